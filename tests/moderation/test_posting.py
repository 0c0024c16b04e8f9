"""What moderation decides through community's hooks: a blocked watched word refuses a post
(nothing kept, the text stays in the form), unless something in it needs a human; suspended and
banned members read and get help but cannot post; redaction goes through community's service."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from community import services as community_services
from community.models import Post, PostRevision, PostState, Thread
from escalation.models import RiskAssessment
from moderation import services
from moderation.models import ReviewItem, WatchedWord
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

CRISIS_TEXT = "I have the pills in front of me and I am taking them all tonight. frobnicate"


def block(guide, pattern="frobnicate", message=""):
    word = services.watched_word_create(actor=guide, pattern=pattern, match="word", action="block")
    if message:
        WatchedWord.objects.filter(pk=word.pk).update(message=message)
    return word


def login(client, user):
    assert client.login(username=user.pseudonym, password=TEST_PASSWORD)
    return client


def test_blocked_word_refuses_the_reply_and_keeps_nothing(thread, other_member, guide):
    block(guide, message="Please don't use that word here.")
    posts_before = Post.objects.count()
    with pytest.raises(community_services.PostRefused) as refused:
        community_services.post_create(author=other_member, thread=thread, body="You frobnicate idiot")
    assert "Please don't use that word here." in refused.value.messages[0]
    assert refused.value.code == "refused"
    assert Post.objects.count() == posts_before
    assert not ReviewItem.objects.exists()
    assert not RiskAssessment.objects.filter(post__author=other_member).exists()


def test_blocked_word_in_a_new_thread_rolls_back_the_thread(space, other_member, guide):
    block(guide)
    with pytest.raises(community_services.PostRefused) as refused:
        community_services.thread_create(
            author=other_member, space=space, title="About frobnicate", body="Just a question"
        )
    assert "words that aren't allowed" in refused.value.messages[0]
    assert not Thread.objects.filter(author=other_member).exists()


def test_blocked_word_in_an_edit_keeps_the_old_text(make_post, other_member, guide):
    post = make_post(body="A kind reply.")
    block(guide)
    with pytest.raises(community_services.PostRefused):
        community_services.post_edit(actor=other_member, post=post, body="A frobnicate reply.")
    post.refresh_from_db()
    assert post.body == "A kind reply."
    assert not PostRevision.objects.filter(post=post).exists()


def test_blocked_word_in_a_crisis_post_is_held_for_a_human_not_refused(thread, other_member, guide):
    block(guide)
    post = community_services.post_create(author=other_member, thread=thread, body=CRISIS_TEXT)
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert {"risk_assessment", "watched_word"} <= set(ReviewItem.objects.get(post=post).sources)


def test_blocked_word_with_moderate_risk_is_held_not_refused(thread, other_member, guide):
    block(guide)
    post = community_services.post_create(
        author=other_member, thread=thread, body="Everyone would be better off without me. frobnicate"
    )
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert "watched_word" in ReviewItem.objects.get(post=post).sources


def test_blocked_word_with_identifying_details_is_refused(thread, other_member, guide):
    # Nothing asked for a human before moderation's own screening: the member rewrites it all.
    block(guide)
    with pytest.raises(community_services.PostRefused):
        community_services.post_create(
            author=other_member, thread=thread, body="frobnicate, email me at sam@example.com"
        )


def test_reply_page_shows_the_refusal_and_keeps_the_text(client, thread, other_member, guide):
    block(guide, message="That word isn't welcome here.")
    login(client, other_member)
    text = "Honestly you frobnicate, but I hear you."
    response = client.post(reverse("community:thread-detail", args=[thread.pk]), {"body": text})
    assert response.status_code == 400
    html = response.content.decode()
    assert "That word isn&#x27;t welcome here." in html
    assert text in html  # still in the textarea
    assert not Post.objects.filter(author=other_member).exists()


# --- suspended and banned members ----------------------------------------------------------------


def test_suspended_member_cannot_post_and_is_told_until_when(thread, other_member, guide):
    services.member_suspend(member=other_member, actor=guide, reason="Repeated unkindness.", days=3)
    with pytest.raises(community_services.PostingNotAllowed) as refused:
        community_services.post_create(author=other_member, thread=thread, body="hello again")
    message = refused.value.messages[0]
    assert message.startswith("You can read the forums and get help, but you can't post until ")
    assert not Post.objects.filter(author=other_member).exists()
    assert not ReviewItem.objects.exists()


def test_banned_member_cannot_start_a_thread_or_edit(space, make_post, other_member, guide):
    post = make_post(body="An older post.")
    services.member_ban(member=other_member, actor=guide, reason="Harassing other members.")
    with pytest.raises(community_services.PostingNotAllowed) as refused:
        community_services.thread_create(author=other_member, space=space, title="Hello all", body="Hi")
    assert "can no longer post" in refused.value.messages[0]
    with pytest.raises(community_services.PostingNotAllowed):
        community_services.post_edit(actor=other_member, post=post, body="Changed")
    post.refresh_from_db()
    assert post.body == "An older post."


def test_lifting_the_suspension_lets_them_post_again(thread, other_member, guide):
    sanction = services.member_suspend(member=other_member, actor=guide, reason="Cooling off.", days=1)
    services.sanction_lift(sanction=sanction, actor=guide, reason="Talked it through.")
    post = community_services.post_create(author=other_member, thread=thread, body="Thanks, all.")
    assert post.state == PostState.PUBLISHED


def test_suspended_member_sees_the_message_on_the_page_with_their_text(client, thread, other_member, guide):
    services.member_suspend(member=other_member, actor=guide, reason="Repeated unkindness.", days=2)
    login(client, other_member)
    response = client.post(reverse("community:thread-detail", args=[thread.pk]), {"body": "Sorry, everyone."})
    assert response.status_code == 400
    html = response.content.decode()
    assert "you can&#x27;t post until" in html
    assert "Sorry, everyone." in html
    # Reading and getting help still work.
    assert client.get(reverse("community:thread-detail", args=[thread.pk])).status_code == 200
    assert client.get(reverse("crisis-help")).status_code == 200


# --- redaction through community ------------------------------------------------------------------


def test_post_redact_keeps_the_original_and_needs_staff(make_post, member, guide):
    post = make_post(body="Call me on 07700 900123 any time.")
    with pytest.raises(community_services.PermissionDenied):
        community_services.post_redact(post=post, actor=member, body="Call me any time.")
    revision = community_services.post_redact(post=post, actor=guide, body="Call me any time.")
    post.refresh_from_db()
    assert post.body == "Call me any time."
    assert "07700" not in post.body_html
    assert revision.body == "Call me on 07700 900123 any time."
    assert revision.editor == guide
    with pytest.raises(community_services.ValidationError):
        community_services.post_redact(post=post, actor=guide, body="Call me any time.")
    assert PostRevision.objects.filter(post=post).count() == 1


def test_a_refusal_never_overrides_a_hold_or_a_failed_receiver(thread, other_member):
    from community import hooks

    def refuse(*, post, decision):
        decision.refuse(reason="test", message="Not this.")

    def hold(*, post, decision):
        decision.hold(reason="test-hold")

    def broken(*, post, decision):
        raise RuntimeError("receiver bug")

    hooks.post_submitted.connect(refuse, dispatch_uid="test.refuse")
    try:
        with pytest.raises(community_services.PostRefused):
            community_services.post_create(author=other_member, thread=thread, body="one")
        for uid, receiver in (("test.hold", hold), ("test.broken", broken)):
            hooks.post_submitted.connect(receiver, dispatch_uid=uid)
            try:
                post = community_services.post_create(author=other_member, thread=thread, body=f"with {uid}")
            finally:
                hooks.post_submitted.disconnect(dispatch_uid=uid)
            post.refresh_from_db()
            assert post.state == PostState.HELD
    finally:
        hooks.post_submitted.disconnect(dispatch_uid="test.refuse")


def test_api_refusals_are_400_with_the_message_and_save_nothing(thread, other_member, guide):
    from rest_framework.test import APIClient

    block(guide, message="Please don't use that word here.")
    client = APIClient()
    client.force_authenticate(other_member)
    url = reverse("community-api:thread-posts", args=[thread.pk])
    response = client.post(url, {"body": "you frobnicate"}, format="json")
    assert response.status_code == 400
    assert "Please don't use that word here." in response.json()["detail"]
    services.member_suspend(member=other_member, actor=guide, reason="Cooling off period.", days=1)
    response = client.post(url, {"body": "a kind reply"}, format="json")
    assert response.status_code == 400
    assert "you can't post until" in response.json()["detail"]
    assert not Post.objects.filter(author=other_member).exists()


@override_settings(ESCALATION_SEMANTIC_TRIAGE=True)
def test_blocked_word_is_held_not_refused_where_the_full_assessment_reads_more(thread, other_member, guide):
    """The inline rules miss some crises the worker's semantic stage catches; a refusal would roll
    back that assessment, so with the stage on a blocked word holds the post for a guide."""
    block(guide)
    post = community_services.post_create(author=other_member, thread=thread, body="You frobnicate idiot")
    post.refresh_from_db()
    assert post.state == PostState.HELD
    assert "watched_word" in ReviewItem.objects.get(post=post).sources
