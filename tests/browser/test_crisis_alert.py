"""The safety path in two browsers: a member writes that they are about to act, a clinician on
duty with the dashboard open gets the alert live, acknowledges it and checks in with the member.

The tasks run in-process and the channel layer is in memory (no REDIS_URL), so the in-process
server delivers the WebSocket doorbell to the clinician's open page.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community import services as community_services
from community.models import Post, PostState, Space
from escalation.models import Alert, CaseEvent, CaseMessage, CrisisCase, Shift
from escalation.services import DEFAULT_CHECK_IN_MESSAGE
from tests.browser.helpers import shot
from tests.factories import UserFactory

pytestmark = pytest.mark.browser

IMMINENT = "I have the pills in front of me and I am taking them all tonight. Goodbye everyone."


def signed_in(browser, live_url: str, user, *, width: int = 1100):
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    context = browser.new_context(base_url=live_url, viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": live_url}])
    return context, context.new_page()


@pytest.fixture
def eager_tasks():
    from config.celery_app import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def crisis_setup(live_url, settings, eager_tasks):
    # This test is about the pages (signposting, the live dashboard, the check-in); the real
    # worker path (broker, Celery worker, sweeper) is tested in tests/escalation. With REDIS_URL
    # set there is no worker here, so the assessment task runs in-process on commit (eager_tasks).
    # Moderation's hold of new members' posts (no guide on shift) is not what this test is about.
    settings.MODERATION_HOLD_NEW_MEMBERS_WITHOUT_GUIDE = False
    settings.ESCALATION_ALERT_CHANNELS = ["inapp"]
    space = Space.objects.create(slug="low-mood", name="Low mood", description="Days that feel heavy.")
    host = UserFactory(pseudonym="SteadyWren", date_joined=timezone.now() - timedelta(days=60))
    thread = community_services.thread_create(
        author=host, space=space, title="How is tonight going?", body="Checking in with everyone tonight."
    )
    assert Post.objects.get(pk=thread.opening_post_id).state == PostState.PUBLISHED
    member = UserFactory(
        pseudonym="GentleOtter", region="GB", date_joined=timezone.now() - timedelta(days=30)
    )
    clinician = UserFactory(pseudonym="DrAsh", role="clinician")
    now = timezone.now()
    Shift.objects.create(
        clinician=clinician, tier="primary", start=now - timedelta(hours=1), end=now + timedelta(hours=8)
    )
    return {"thread": thread, "member": member, "clinician": clinician}


def test_member_in_crisis_is_signposted_and_the_clinician_alerted_live(
    chromium_browser, live_url, crisis_setup
):
    thread, member, clinician = crisis_setup["thread"], crisis_setup["member"], crisis_setup["clinician"]
    clinician_context, dashboard = signed_in(chromium_browser, live_url, clinician, width=1280)
    member_context, member_page = signed_in(chromium_browser, live_url, member, width=390)
    try:
        dashboard.goto(reverse("escalation:dashboard"))
        dashboard.wait_for_function(
            "document.getElementById('live-status').textContent.includes('connected')", timeout=10_000
        )
        dashboard.evaluate("window.__notReloaded = true")
        assert dashboard.locator("#pending-alerts .crisis-alert").count() == 0
        shot(dashboard, "a-dashboard-waiting")

        # The member posts; the reply is held and the crisis lines are on the very next page.
        member_page.goto(reverse("community:thread-detail", args=[thread.pk]))
        member_page.get_by_label("Your reply").fill(IMMINENT)
        member_page.get_by_role("button", name="Post reply").click()
        member_page.wait_for_load_state()
        body = member_page.locator("main").inner_text()
        assert "Samaritans" in body
        assert "116 123" in body
        assert "999" in body
        post = Post.objects.get(thread=thread, author=member)
        assert post.state == PostState.HELD
        shot(member_page, "b-member-sees-resources")

        # The alert arrives on the open dashboard without a reload.
        case = CrisisCase.objects.get(member=member)
        alert = Alert.objects.get(case=case, recipient=clinician)
        item = dashboard.locator(f'#pending-alerts [data-alert-id="{alert.pk}"]')
        item.wait_for(state="visible", timeout=10_000)
        assert dashboard.evaluate("window.__notReloaded") is True
        assert f"Case {case.pk}" in item.inner_text()
        assert "imminent" in item.inner_text()
        assert dashboard.title().startswith("(!)")
        shot(dashboard, "c-alert-arrived")

        # One click acknowledges and opens the case.
        item.get_by_role("button", name="Acknowledge").click()
        dashboard.wait_for_url(f"**{reverse('escalation:case-detail', args=[case.pk])}")
        case.refresh_from_db()
        alert.refresh_from_db()
        assert case.status == "acknowledged"
        assert case.assignee == clinician
        assert (alert.status, alert.acknowledged_via) == ("acknowledged", "dashboard")
        assert IMMINENT in dashboard.locator("main").inner_text()
        shot(dashboard, "d-case-acknowledged")

        # The standard check-in message goes to the member.
        dashboard.get_by_role("button", name="Send message").click()
        dashboard.wait_for_load_state()
        message = CaseMessage.objects.get(case=case)
        assert (message.recipient, message.body) == (member, DEFAULT_CHECK_IN_MESSAGE)
        assert CaseEvent.objects.filter(case=case, kind="message").count() == 1
        shot(dashboard, "e-message-sent")

        member_page.goto(reverse("home"))
        section = member_page.locator("section", has_text="A message from our clinical team")
        section.wait_for(state="visible")
        assert "would like to check in with you" in section.inner_text()
        shot(member_page, "f-member-sees-check-in")
    finally:
        clinician_context.close()
        member_context.close()
