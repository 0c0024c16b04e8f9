"""A member completes PHQ-9 in the browser, sees their band in plain words and their history
chart; answering item 9 above 0 shows crisis resources straight away (on a phone-sized screen)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from escalation import signposting
from escalation.models import MemberConcern
from outcomes.measures import services
from outcomes.models import MeasureResponse
from tests.browser.helpers import shot
from tests.factories import UserFactory

pytestmark = pytest.mark.browser


def signed_in(browser, live_url: str, user, *, width: int):
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    context = browser.new_context(base_url=live_url, viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": live_url}])
    return context, context.new_page()


def answer(page, answers: list[int]) -> None:
    labels = ["Not at all", "Several days", "More than half the days", "Nearly every day"]
    for number, value in enumerate(answers, start=1):
        page.locator(f"#q{number}").get_by_label(labels[value], exact=True).check()


def test_member_takes_phq9_and_sees_band_and_chart(chromium_browser, live_url):
    member = UserFactory(pseudonym="GentleOtter", region="GB")
    earlier = timezone.now() - timedelta(days=28)
    services.response_submit(member=member, measure_key="phq9", answers=[2] * 8 + [0], now=earlier)
    services.response_submit(
        member=member,
        measure_key="phq9",
        answers=[2, 2, 1, 2, 1, 2, 1, 1, 0],
        now=earlier + timedelta(days=14),
    )
    context, page = signed_in(chromium_browser, live_url, member, width=1100)
    try:
        page.goto("/checkins/")
        shot(page, "home")
        page.get_by_role("link", name="Take it again").first.click()
        page.get_by_role("button", name="See my result").click()  # nothing answered
        assert page.get_by_text("Please answer every question.").is_visible()
        assert MeasureResponse.objects.filter(member=member).count() == 2
        shot(page, "form-errors")

        answer(page, [1, 1, 0, 1, 0, 1, 0, 1, 0])
        page.get_by_role("button", name="See my result").click()
        page.wait_for_url("**/checkins/results/*/")
        assert page.get_by_role("heading", name="Some signs of low mood").is_visible()
        assert page.get_by_text("Your score went from 12 to 5 (-7)").is_visible()
        assert page.locator(".danger-box").count() == 0
        shot(page, "result")

        page.get_by_role("link", name="See your history").click()
        chart = page.locator("svg.chart")
        assert chart.is_visible()
        assert chart.locator("circle").count() == 3
        assert page.locator("table.data-table tbody tr").count() == 3
        shot(page, "history")
        page.set_viewport_size({"width": 390, "height": 844})
        assert chart.is_visible()
        shot(page, "history-mobile")
    finally:
        context.close()


def test_item_9_above_zero_shows_crisis_resources_at_once(chromium_browser, live_url, settings):
    settings.ESCALATION_ALERT_CHANNELS = ["inapp"]
    member = UserFactory(pseudonym="QuietHeron", region="GB")
    context, page = signed_in(chromium_browser, live_url, member, width=390)
    try:
        page.goto("/checkins/measures/phq9/")
        answer(page, [2, 2, 2, 2, 1, 2, 1, 1, 2])
        page.get_by_role("button", name="See my result").click()
        page.wait_for_url("**/checkins/results/*/")
        region = signposting.resources_for("GB").region
        box = page.locator(".danger-box")
        assert box.is_visible()
        assert box.get_by_role("link", name=f"Call {region.emergency.number}").is_visible()
        first_line = next(r for r in region.resources if r.is_crisis_line)
        assert page.get_by_role("heading", name=first_line.name).is_visible()
        # The crisis box comes before the score, in the first screenful.
        assert (
            box.bounding_box()["y"] < page.get_by_role("heading", name="Your mood result").bounding_box()["y"]
        )
        shot(page, "crisis-mobile")
        assert MemberConcern.objects.get(member=member).level == "high"
    finally:
        context.close()
