"""The landing page, served by the real ASGI stack, in a real browser."""

import pytest

from tests.browser.helpers import shot

pytestmark = pytest.mark.browser


def test_landing_page_loads_with_crisis_link(page):
    response = page.goto("/")

    assert response is not None
    assert response.status == 200
    help_link = page.get_by_role("link", name="Need help now?")
    assert help_link.count() >= 1
    assert help_link.first.is_visible()
    path = shot(page, "landing")
    assert path.stat().st_size > 0


def test_static_files_are_served(page, live_url):
    response = page.request.get(f"{live_url}/static/admin/css/base.css")

    assert response.status == 200
    assert "text/css" in response.headers["content-type"]
