"""The safety path in the request and after commit: hold, signpost, assess once, sweep, degrade."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from community import services as community_services
from community.models import Post, PostState
from escalation import health, services, tasks
from escalation.models import Alert, CaseEvent, CrisisCase, DeliveryAttempt, RiskAssessment, TriageHeartbeat
from tests.escalation.conftest import HIGH_TEXT, IMMINENT_TEXT, SAFE_TEXT

pytestmark = pytest.mark.django_db


def reply(client, thread, body):
    return client.post(reverse("community:thread-detail", args=[thread.pk]), {"body": body}, follow=True)


def test_imminent_reply_is_held_and_the_author_sees_crisis_lines_at_once(
    client, member, thread, rota, primary, django_capture_on_commit_callbacks
):
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = reply(client, thread, IMMINENT_TEXT)
    post = Post.objects.get(body=IMMINENT_TEXT)
    assert post.state == PostState.HELD
    assert post.hold_reason == "risk:imminent"
    page = response.content.decode()
    assert "Thank you for telling us" in page
    assert "Samaritans" in page
    assert "999" in page
    # After commit: one assessment, a case, alerts to the primary on duty.
    assessment = RiskAssessment.objects.get(post=post)
    assert assessment.level == "imminent"
    assert assessment.engine_version
    assert assessment.rules
    assert assessment.rules[0]["spans"]
    post.refresh_from_db()
    assert post.screened_at is not None
    assert post.screening_level == "imminent"
    case = CrisisCase.objects.get(member=member)
    assert case.status == "open"
    assert assessment.case_id == case.pk
    assert [a.recipient for a in Alert.objects.filter(case=case)] == [primary]
    assert [m.to for m in mail.outbox] == [[primary.email]]
    assert "/clinician/ack/" in mail.outbox[0].body
    assert IMMINENT_TEXT not in mail.outbox[0].body  # member text never leaves in an alert


def test_other_members_cannot_see_the_held_post(client, member, other_member, thread):
    community_services.post_create(author=member, thread=thread, body=HIGH_TEXT)
    client.force_login(other_member)
    page = client.get(reverse("community:thread-detail", args=[thread.pk])).content.decode()
    assert HIGH_TEXT not in page


def test_high_is_held_without_a_case(member, thread, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post = community_services.post_create(author=member, thread=thread, body=HIGH_TEXT)
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert post.screening_level == "high"
    assert not CrisisCase.objects.exists()


def test_safe_post_is_published_and_screened(member, thread, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post = community_services.post_create(
            author=member, thread=thread, body="Thanks all, feeling a bit better."
        )
    post.refresh_from_db()
    assert post.state == PostState.PUBLISHED
    assert post.screening_level == "none"
    assert post.screened_at is not None
    assert TriageHeartbeat.objects.get().last_success_at is not None


def test_edit_to_imminent_is_held_and_assessed_again(
    member, thread, rota, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post = community_services.post_create(author=member, thread=thread, body=SAFE_TEXT + " again")
    with django_capture_on_commit_callbacks(execute=True):
        community_services.post_edit(actor=member, post=post, body=IMMINENT_TEXT)
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert sorted(RiskAssessment.objects.filter(post=post).values_list("level", flat=True)) == [
        "imminent",
        "none",
    ]
    assert CrisisCase.objects.filter(member=member).count() == 1


def test_same_task_twice_gives_one_assessment_one_case_one_alert_set(member, thread, rota):
    post = community_services.post_create(
        author=member, thread=thread, body=IMMINENT_TEXT
    )  # callbacks not run
    tasks.assess_post.apply(args=[post.pk])
    tasks.assess_post.apply(args=[post.pk])
    assert RiskAssessment.objects.filter(post=post).count() == 1
    assert CrisisCase.objects.count() == 1
    assert Alert.objects.count() == 1
    assert DeliveryAttempt.objects.count() == 2  # in-app + email, once
    assert CaseEvent.objects.filter(kind="opened").count() == 1


def test_second_imminent_post_attaches_to_the_open_case(member, thread, rota):
    first = community_services.post_create(author=member, thread=thread, body=IMMINENT_TEXT)
    second = community_services.post_create(
        author=member, thread=thread, body="Goodbye everyone, I'm ending it tonight."
    )
    services.post_assess(post_id=first.pk)
    services.post_assess(post_id=second.pk)
    case = CrisisCase.objects.get()
    assert case.assessments.count() == 2
    assert CaseEvent.objects.filter(case=case, kind="post_linked").count() == 1
    assert Alert.objects.count() == 1


def test_sweeper_screens_posts_left_unscreened_for_30_seconds(member, thread, rota):
    post = community_services.post_create(author=member, thread=thread, body=IMMINENT_TEXT)
    assert services.posts_sweep_unscreened() == 0  # too fresh: the normal path may still be running
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(seconds=31))
    assert services.posts_sweep_unscreened() == 1
    post.refresh_from_db()
    assert post.screened_at is not None
    assert CrisisCase.objects.filter(member=member).exists()
    assert services.posts_sweep_unscreened() == 0


def test_engine_failure_in_the_request_holds_the_post_with_crisis_lines(member, thread, settings):
    settings.ESCALATION_TRIAGE_ENGINE = "escalation.does_not_exist.assess"
    post = community_services.post_create(author=member, thread=thread, body=SAFE_TEXT)
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert post.hold_reason == "triage-unavailable"
    assert "116 123" in post.author_notice


def test_failing_async_triage_is_recorded_and_the_post_stays_unscreened(member, thread, settings):
    post = community_services.post_create(author=member, thread=thread, body=SAFE_TEXT)
    settings.ESCALATION_TRIAGE_ENGINE = "escalation.does_not_exist.assess"
    tasks.assess_post.apply(args=[post.pk])
    post.refresh_from_db()
    assert post.screened_at is None
    heartbeat = TriageHeartbeat.objects.get()
    assert heartbeat.failing_since is not None
    assert "cannot be imported" in heartbeat.last_error


def test_degraded_triage_holds_every_new_post_and_shows_the_banner(client, member, clinician, thread):
    waiting = community_services.post_create(author=member, thread=thread, body="Anyone around tonight?")
    Post.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(seconds=61))
    assert health.triage_degraded()
    post = community_services.post_create(
        author=member, thread=thread, body="Thanks all, feeling a bit better."
    )
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert post.hold_reason == "triage-degraded"
    client.force_login(clinician)
    assert "Triage degraded" in client.get(reverse("escalation:dashboard")).content.decode()
    # Recovery: the sweeper screens the backlog and the banner goes.
    services.posts_sweep_unscreened(now=timezone.now() + timedelta(seconds=31))
    assert not health.triage_degraded()
    assert "Triage degraded" not in client.get(reverse("escalation:dashboard")).content.decode()


def test_triage_failing_for_over_a_minute_is_degraded(db):
    now = timezone.now()
    health.record_failure(error="boom", now=now - timedelta(seconds=61))
    assert health.triage_status(now=now).degraded
    health.record_success(now=now)
    assert not health.triage_status(now=now).degraded


def test_banner_is_not_shown_to_members(client, member, thread):
    waiting = community_services.post_create(author=member, thread=thread, body="Anyone around tonight?")
    Post.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(seconds=61))
    client.force_login(member)
    page = client.get(reverse("community:thread-detail", args=[thread.pk])).content.decode()
    assert "Triage degraded" not in page


def test_risk_assessed_hook_hands_moderate_and_above_to_review(member, thread):
    from escalation import hooks

    received = []
    hooks.risk_assessed.connect(
        lambda *, assessment, needs_review: received.append((assessment.level, needs_review)),
        dispatch_uid="t",
    )
    try:
        for body in (SAFE_TEXT, HIGH_TEXT):
            post = community_services.post_create(author=member, thread=thread, body=body)
            services.post_assess(post_id=post.pk)
            services.post_assess(post_id=post.pk)
    finally:
        hooks.risk_assessed.disconnect(dispatch_uid="t")
    assert received == [("none", False), ("high", True)]
