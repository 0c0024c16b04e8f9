"""A guide's loop in three browsers: member A reports member B's unkind post; the guide (signed in
with password and authenticator code) sees it arrive in the open queue without reloading, claims
it, hides it with a reason; member B sees the hidden notice on the post and the message on their
notifications page; member A sees that a guide has reviewed their report.

The channel layer is in memory (no REDIS_URL) or Redis (REDIS_URL set): either way the
in-process server delivers the queue's doorbell to the guide's open page.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from community import services as community_services
from community.models import Post, PostState, Space
from moderation.models import ItemStatus, ModerationMessage, Resolution, ReviewItem
from tests.browser.helpers import shot
from tests.factories import TEST_PASSWORD, UserFactory, current_totp_code

pytestmark = pytest.mark.browser

UNKIND = "Honestly you all need to toughen up, this forum is pathetic."


def member_context(browser, live_url: str, user, *, width: int = 390):
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    context = browser.new_context(base_url=live_url, viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": live_url}])
    return context, context.new_page()


def guide_context(browser, live_url: str, guide):
    """The real staff sign-in: password, then the authenticator code (staff pages need TOTP)."""
    context = browser.new_context(base_url=live_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(guide.pseudonym)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    assert "/accounts/2fa/authenticate/" in page.url, page.url
    page.locator("input[name=code]").fill(current_totp_code())
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_load_state()
    return context, page


@pytest.fixture
def forum(live_url, settings):
    settings.MODERATION_HOLD_NEW_MEMBERS_WITHOUT_GUIDE = False
    long_ago = timezone.now() - timedelta(days=60)
    space = Space.objects.create(slug="support", name="Support", description="Somewhere to talk.")
    reporter = UserFactory(pseudonym="KindHeron", date_joined=long_ago)
    author = UserFactory(pseudonym="SharpThistle", date_joined=long_ago)
    thread = community_services.thread_create(
        author=reporter,
        space=space,
        title="Rough day, anyone else?",
        body="Today was a lot. How are you all?",
    )
    post = community_services.post_create(author=author, thread=thread, body=UNKIND)
    assert Post.objects.get(pk=post.pk).state == PostState.PUBLISHED
    guide = UserFactory(pseudonym="GuideMarlow", role="guide")
    return {"thread": thread, "post": post, "reporter": reporter, "author": author, "guide": guide}


def test_report_reaches_the_live_queue_and_the_author_reads_why_it_was_hidden(
    chromium_browser, live_url, forum
):
    thread, post = forum["thread"], forum["post"]
    guide_ctx, queue = guide_context(chromium_browser, live_url, forum["guide"])
    reporter_ctx, reporter = member_context(chromium_browser, live_url, forum["reporter"])
    author_ctx, author = member_context(chromium_browser, live_url, forum["author"])
    try:
        # The guide has the queue open and its socket connected; nothing is waiting yet.
        queue.goto("/guide/queue/")
        queue.wait_for_selector("body[data-queue-state=open]")
        assert queue.locator("[data-item-id]").count() == 0
        shot(queue, "1-guide-empty-queue")

        # Member A reports member B's post from the thread page.
        reporter.goto(f"/threads/{thread.pk}/")
        report = reporter.locator(f"#post-{post.pk} a.flag-link")
        assert report.is_visible()
        shot(reporter, "2-reporter-thread")
        report.click()
        reporter.wait_for_load_state()
        reporter.get_by_label("Abusive or unkind").check()
        reporter.locator("textarea[name=note]").fill("Putting people down in a support thread.")
        shot(reporter, "3-reporter-form")
        reporter.get_by_role("button", name="Send report").click()
        reporter.wait_for_load_state()
        assert "We never tell anyone who reported it" in reporter.content()

        # It arrives in the guide's queue without a reload.
        item = ReviewItem.objects.get(post=post, status=ItemStatus.OPEN)
        row = queue.locator(f"#item-{item.pk}")
        row.wait_for(state="visible")
        assert "SharpThistle" in row.inner_text()
        assert "1\u00d7 abusive" in row.inner_text()
        shot(queue, "4-guide-live-queue")

        # Claim, then hide with a reason and a note.
        queue.goto(f"/guide/items/{item.pk}/")
        queue.get_by_role("button", name="Claim (c)").click()
        queue.wait_for_load_state()
        queue.locator("#hide-panel summary").click()
        queue.locator("select[name=reason_key]").select_option("abusive")
        queue.locator("#hide-panel textarea[name=note]").fill("Please be gentle with each other here.")
        shot(queue, "5-guide-item-claimed")
        queue.get_by_role("button", name="Hide and tell the author").click()
        queue.wait_for_load_state()
        item.refresh_from_db()
        assert item.status == ItemStatus.CLOSED
        assert item.resolution == Resolution.HIDDEN
        shot(queue, "6-guide-after-hide")

        # Member B sees the notice on their post and the message on their notifications page.
        author.goto(f"/threads/{thread.pk}/")
        notice = author.locator(f"#post-{post.pk} .message--error")
        assert "A guide has hidden this post" in notice.inner_text()
        assert "unkind to another member" in notice.inner_text()
        shot(author, "7-author-hidden-notice")
        author.goto("/notifications/")
        panel = author.locator("#moderation-messages-panel")
        assert "Your post was hidden" in panel.inner_text()
        assert "Please be gentle with each other here." in panel.inner_text()
        assert "KindHeron" not in author.content()  # never who reported it
        shot(author, "8-author-notifications")
        assert ModerationMessage.objects.filter(recipient=forum["author"], kind="post_hidden").count() == 1

        # Member A learns only that a guide looked, and the post is gone from their view.
        reporter.goto("/me/reports/")
        assert "A guide has reviewed this." in reporter.content()
        shot(reporter, "9-reporter-reports")
        reporter.goto(f"/threads/{thread.pk}/")
        assert UNKIND not in reporter.content()
    finally:
        guide_ctx.close()
        reporter_ctx.close()
        author_ctx.close()


def test_self_assessment_concern_in_the_queue_and_on_the_clinicians_case_page(
    chromium_browser, live_url, settings
):
    """A concern that is not a post (PHQ-9 item 9 answered 'nearly every day', imminent here):
    the guide's queue shows the summary with a link to the member's standing; the clinician's
    case page shows it in the timeline."""
    from escalation import services as escalation_services
    from escalation.models import Shift

    settings.ESCALATION_ALERT_CHANNELS = ["inapp"]
    member = UserFactory(pseudonym="QuietLark", date_joined=timezone.now() - timedelta(days=40))
    guide = UserFactory(pseudonym="GuideTamsin", role="guide")
    clinician = UserFactory(pseudonym="DrOkafor", role="clinician")
    now = timezone.now()
    Shift.objects.create(
        clinician=clinician, tier="primary", start=now - timedelta(hours=1), end=now + timedelta(hours=8)
    )
    summary = "PHQ-9 item 9 (better off dead or hurting yourself): nearly every day"
    concern = escalation_services.member_concern_raise(
        member=member, level="imminent", source="self_assessment", summary=summary, detail={"answer": 3}
    )
    item = ReviewItem.objects.get(concern=concern)  # handed off on commit (no test transaction here)

    guide_ctx, queue = guide_context(chromium_browser, live_url, guide)
    clinician_ctx, dashboard = guide_context(chromium_browser, live_url, clinician)
    try:
        queue.goto("/guide/queue/")
        row = queue.locator(f"#item-{item.pk}")
        assert "QuietLark: PHQ-9 item 9" in row.inner_text()
        assert "Imminent risk" in row.inner_text()
        shot(queue, "1-guide-queue-concern")
        queue.goto(f"/guide/items/{item.pk}/")
        assert "The concern" in queue.content()
        assert queue.locator("a", has_text="QuietLark's standing").is_visible()
        shot(queue, "2-guide-concern-item")

        concern.refresh_from_db()
        dashboard.goto(f"/clinician/cases/{concern.case_id}/")
        assert summary in dashboard.locator("main").inner_text()
        shot(dashboard, "3-clinician-case")
    finally:
        guide_ctx.close()
        clinician_ctx.close()
