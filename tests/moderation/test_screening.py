"""Hooks: watched words, identifying details, sanctions, pre-moderation, no guide on shift,
escalation's risk assessments; and the regular-expression guard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from community import services as community_services
from community.models import PostState
from escalation import services as escalation_services
from moderation import detectors, services
from moderation.models import AuditEntry, Priority, ReasonSource, ReviewItem, WatchedWord
from tests.moderation.conftest import old

pytestmark = pytest.mark.django_db


def word(guide, pattern, action, match="word"):
    return services.watched_word_create(actor=guide, pattern=pattern, match=match, action=action)


@pytest.mark.parametrize(
    ("action", "state", "queued"),
    [
        ("hold", PostState.HELD, True),
        ("flag", PostState.PUBLISHED, True),
        ("censor", PostState.PUBLISHED, False),
    ],
)
def test_watched_word_actions(make_post, guide, action, state, queued):
    word(guide, "frobnicate", action)
    post = make_post(body="Please don't Frobnicate here.")
    post.refresh_from_db()
    assert post.state == state
    assert ReviewItem.objects.filter(post=post, reasons__0__source="watched_word").exists() is queued
    if action == "censor":
        assert "Frobnicate" not in post.body_html
        assert "\u2588" * 10 in post.body_html
        assert post.body == "Please don't Frobnicate here."  # the source text is kept


def test_phrase_and_regex_match(make_post, guide):
    word(guide, "meet  up", "hold", match="phrase")
    word(guide, r"kik\s*me", "hold", match="regex")
    assert make_post(body="let's MEET UP sometime").state == PostState.HELD
    assert make_post(body="kik   me later").state == PostState.HELD
    assert make_post(body="a meetup is fine").state == PostState.PUBLISHED


@pytest.mark.parametrize("pattern", [r"(a+)+$", r"(\w+\s?)*$", r"(x|x)*y", "(unclosed", "", r"(a)\1", "a?"])
def test_dangerous_or_invalid_regex_is_refused_and_nothing_saved(guide, pattern):
    with pytest.raises(ValidationError):
        services.watched_word_create(actor=guide, pattern=pattern, match="regex", action="hold")
    assert WatchedWord.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_regex_timeout_at_match_time_fails_closed(monkeypatch, make_post, guide):
    word(guide, "slowpattern", "flag", match="regex")

    def slow(text, words=None):
        reading = detectors.Reading()
        reading.timed_out.append(1)
        return reading

    monkeypatch.setattr(detectors, "find_watched", slow)
    post = make_post(body="anything at all")
    assert post.state == PostState.HELD


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("write to me at sam.smith@gmail.com", "email"),
        ("my number is +44 7700 900123", "phone"),
        ("follow me @sunny_days_99", "handle"),
        ("instagram.com/sunnydays", "profile_link"),
        ("I live at 14 Acacia Avenue near the park", "street_address"),
        ("near LS6 3QF", "postcode"),
    ],
)
def test_identifying_information_holds_the_post_for_redaction(make_post, text, kind):
    post = make_post(body=text)
    assert post.state == PostState.HELD
    item = ReviewItem.objects.get(post=post)
    reason = next(r for r in item.reasons if r["source"] == "identifying_info")
    assert kind in reason["detail"]["kinds"]
    assert reason["detail"]["highlight"][0]["spans"]


def test_ordinary_text_is_not_identifying():
    assert detectors.find_identifying("I slept 8 hours and walked 2 miles in 2024. Feeling ok at 10am.") == []


def test_staff_posts_are_not_screened_for_identifying_details(thread, guide):
    post = community_services.post_create(
        author=guide, thread=thread, body="Call Samaritans on 116 123 or 0800 123 4567"
    )
    assert post.state == PostState.PUBLISHED


def test_suspended_members_posts_are_held_if_the_posting_check_is_bypassed(make_post, other_member, guide):
    """The posting check refuses first (see test_posting.py); if it is not connected (or failed),
    screening still holds a sanctioned member's post for a guide."""
    from community import hooks

    services.member_suspend(member=other_member, actor=guide, reason="Repeated unkindness.", days=1)
    hooks.posting_check.disconnect(dispatch_uid="moderation.sanctions")
    try:
        post = make_post(body="hello again")
    finally:
        from moderation import receivers

        hooks.posting_check.connect(receivers.posting_refusal, dispatch_uid="moderation.sanctions")
    assert post.state == PostState.HELD
    assert ReasonSource.SANCTIONED_AUTHOR in ReviewItem.objects.get(post=post).sources


def test_premoderated_space_queues_new_members_posts(thread, other_member):
    space = thread.space
    space.premoderate_new_members = True
    space.save()
    post = community_services.post_create(author=other_member, thread=thread, body="my first post")
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert ReviewItem.objects.get(post=post).sources == ["premoderation"]


def test_new_members_are_held_when_no_guide_is_on_shift(settings, thread, other_member, guide):
    settings.MODERATION_HOLD_NEW_MEMBERS_WITHOUT_GUIDE = True
    post = community_services.post_create(author=other_member, thread=thread, body="first words")
    assert post.state == PostState.HELD
    assert ReviewItem.objects.get(post=post).sources == ["no_guide_on_shift"]
    guide.last_login = timezone.now() - timedelta(minutes=10)
    guide.save(update_fields=["last_login"])
    assert (
        community_services.post_create(author=other_member, thread=thread, body="more").state == "published"
    )
    old(other_member)
    guide.last_login = timezone.now() - timedelta(hours=2)
    guide.save(update_fields=["last_login"])
    assert (
        community_services.post_create(author=other_member, thread=thread, body="later").state == "published"
    )


def test_risk_assessment_queues_with_priority(make_post, django_capture_on_commit_callbacks):
    post = make_post(body="I keep thinking about killing myself lately.")
    post.refresh_from_db()
    assert post.state == PostState.HELD  # escalation held it inline
    item = ReviewItem.objects.get(post=post)
    assert item.priority == Priority.HIGH  # queued at once from the inline screening
    assessment = escalation_services.post_assess(post_id=post.pk)
    assert assessment.level == "high"
    item.refresh_from_db()
    assert {r["source"] for r in item.reasons} == {"risk_assessment"}
    assert any((r["detail"] or {}).get("assessment_id") == assessment.pk for r in item.reasons)
    assert ReviewItem.objects.filter(post=post).count() == 1


def test_low_risk_assessment_does_not_queue(make_post):
    post = make_post(body="Made banana bread today, small wins!")
    escalation_services.post_assess(post_id=post.pk)
    assert not ReviewItem.objects.filter(post=post).exists()
