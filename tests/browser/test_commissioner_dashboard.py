"""A commissioner signs in and reads their organisation's dashboard: charts, tables, hidden cells."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from outcomes.models import RollupRun
from tests.browser.helpers import shot
from tests.factories import TEST_PASSWORD, OrganisationFactory, UserFactory
from tests.outcomes.test_dashboard import END, START, TODAY, seed

pytestmark = pytest.mark.browser


def test_commissioner_reads_the_dashboard_with_suppressed_cells(page):
    northfield = OrganisationFactory(name="Northfield University", slug="northfield")
    southgate = OrganisationFactory(name="Southgate College", slug="southgate")
    seed(
        northfield,
        weeks=[3, 13, 40, 26],
        spaces=[("Anxiety", 3, 30, 52), ("Low mood", 12, 44, 61)],
        active=21,
    )
    seed(southgate, weeks=[777, 0, 0, 0], spaces=[("Anxiety", 333, 0, 0)], active=444)
    RollupRun.objects.create(
        first_day=START, last_day=TODAY, started_at=timezone.now(), finished_at=timezone.now(), rows=1
    )
    commissioner = UserFactory(pseudonym="CommissionerOak", role=Role.COMMISSIONER)
    commissioner.commissioned_organisations.add(northfield)

    # Commissioners are not staff: password only, no authenticator step.
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill("CommissionerOak")
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Open the dashboards").click()
    page.wait_for_load_state()

    # A Wednesday to today: the figures are for whole, finished weeks, and the form says so.
    page.get_by_label("From", exact=True).fill((START + datetime.timedelta(days=2)).isoformat())
    page.get_by_label("To", exact=True).fill(TODAY.isoformat())
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert page.get_by_label("From", exact=True).input_value() == START.isoformat()
    assert page.get_by_label("To", exact=True).input_value() == END.isoformat()
    assert page.get_by_text("Ranges are whole weeks, Monday to Sunday").is_visible()
    assert (
        page.locator("#report-range")
        .inner_text()
        .startswith(f"Monday {START:%-d %b %Y} to Sunday {END:%-d %b %Y}, whole weeks")
    )

    assert page.get_by_role("heading", level=1, name="Northfield University").is_visible()
    assert page.get_by_role("heading", name="Registrations by week").is_visible()
    assert page.locator("svg.dash-chart").count() >= 4
    assert page.locator("svg.dash-chart").first.is_visible()
    registrations = page.locator("#registrations-table td").all_inner_texts()
    assert registrations[:2] == ["*", "*"]  # 3 hidden, and 13 so that 3 cannot be worked out
    assert page.locator("#legend").inner_text().count("fewer than 8") == 1
    assert page.get_by_role("link", name="Download all tables (CSV)").is_visible()
    content = page.content()
    for leaked in ["Southgate", "777", "333", "444"]:
        assert leaked not in content
    shot(page, "dashboard")

    # Another organisation's id in the address bar: a form error and nothing of it.
    page.goto(f"/dashboards/?organisation={southgate.pk}")
    assert "Choose one of your organisations." in page.content()
    assert "Southgate" not in page.content()
    shot(page, "other-organisation")

    # A reversed range is explained, not shown.
    page.goto(
        f"/dashboards/?organisation={northfield.pk}&start={TODAY}&end={TODAY - datetime.timedelta(days=9)}"
    )
    assert page.get_by_text("The end date is before the start date.").is_visible()
    assert page.locator("svg.dash-chart").count() == 0
    shot(page, "reversed-range")
