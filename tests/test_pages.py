"""Every page's frame: the crisis link, navigation by role, messages, forms and error pages."""

import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.fallback import FallbackStorage
from django.template import Context, engines
from django.template.loader import get_template
from django.test import RequestFactory
from django.urls import include, path

from accounts.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CRISIS_LINK = re.compile(r'<a class="crisis-link" href="/help/"[^>]*>Need help now\?</a>')
FOOTER = "Kindred is not an emergency service."


def assert_has_crisis_frame(html: str) -> None:
    assert CRISIS_LINK.search(html), "the header must link to /help/"
    assert FOOTER in html
    assert '<a class="skip-link" href="#main">' in html
    assert '<main id="main"' in html


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/", "/help/", "/help/?region=NZ"])
def test_public_pages_show_the_crisis_link(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert_has_crisis_frame(response.content.decode())


def test_404_keeps_the_crisis_link(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "We can't find that page" in html
    assert_has_crisis_frame(html)


@pytest.mark.parametrize("role", [Role.MEMBER, Role.GUIDE, Role.CLINICIAN, Role.COMMISSIONER, Role.ADMIN])
def test_each_role_home_has_the_crisis_link_and_its_own_navigation(client, role):
    user = UserFactory(role=role)
    client.force_login(user)
    response = client.get("/home/", follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert_has_crisis_frame(html)
    nav = html.split('<nav class="site-nav" aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    assert "Settings</a>" in nav
    assert re.search(
        r'<form method="post" action="/accounts/logout/">\s*<input type="hidden" name="csrfmiddlewaretoken"',
        nav,
    )
    assert ">Log out</button>" in nav
    assert "Log in" not in nav
    assert "Join" not in nav


def test_anonymous_navigation_offers_log_in_and_join(client):
    html = client.get("/").content.decode()
    nav = html.split('aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/accounts/login/">Log in</a>' in nav
    assert '<a href="/accounts/signup/">Join</a>' in nav
    assert "Log out" not in nav


def test_current_page_is_marked_in_the_navigation(client):
    html = client.get("/accounts/login/").content.decode()
    assert '<a href="/accounts/login/" aria-current="page">Log in</a>' in html


def test_403_keeps_the_crisis_link(client):
    client.force_login(UserFactory(role=Role.MEMBER))
    response = client.get("/clinician/dashboard/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "You can't open this page" in html
    assert "for clinicians and admins only" in html  # the reason, so the person knows why
    assert_has_crisis_frame(html)


def test_500_page_renders_with_no_context_at_all():
    html = get_template("500.html").render({})
    assert 'href="/help/"' in html
    assert "Need help now?" in html
    assert FOOTER in html
    for number in ("tel:999", "tel:112", "tel:911", "tel:988", "tel:000", "tel:111", "tel:116123"):
        assert number in html


def _failing_view(request):
    raise RuntimeError("simulated failure")


urlpatterns = [path("explode/", _failing_view), path("", include("config.urls"))]


@pytest.mark.urls("tests.test_pages")
def test_a_server_error_shows_the_500_page(client):
    client.raise_request_exception = False
    response = client.get("/explode/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert 'href="/help/"' in html


def test_messages_are_announced():
    request = RequestFactory().get("/")
    request.user = UserFactory.build()
    request.session = {}
    storage = FallbackStorage(request)
    storage.add(constants.SUCCESS, "Saved.")
    storage.add(constants.ERROR, "That did not work.")
    html = engines["django"].get_template("base.html").render({"messages": storage, "request": request})
    assert '<li class="message message--success" role="status">Saved.</li>' in html
    assert '<li class="message message--error" role="alert">That did not work.</li>' in html


def test_signup_errors_are_summarised_and_shown_next_to_fields(client):
    response = client.post("/accounts/signup/", {"username": "", "email": "not-an-email"})
    html = response.content.decode()
    assert response.status_code == 200
    summary = html.split('<div class="alert alert--error" role="alert" id="error-summary">', 1)[1].split(
        "</div>", 1
    )[0]
    assert 'href="#id_email"' in summary
    assert 'href="#id_username"' in summary
    assert re.search(r'<ul class="errorlist" id="id_email_errors">', html)
    assert 'aria-invalid="true"' in html


def test_every_signup_field_has_a_label(client):
    html = client.get("/accounts/signup/").content.decode()
    form = html.split('action="/accounts/signup/"', 1)[1].split("</form>", 1)[0]
    controls = re.findall(r"<(?:input|select|textarea)\b[^>]*>", form)
    ids = [re.search(r'\bid="([^"]+)"', c).group(1) for c in controls if 'type="hidden"' not in c]
    assert len(ids) >= 4  # pseudonym, email, two passwords, and whatever accounts adds
    for field_id in ids:
        assert f'<label for="{field_id}">' in form, field_id


def test_login_and_logout_pages_use_kindred_layout(client):
    html = client.get("/accounts/login/").content.decode()
    assert "<title>Log in · Kindred</title>" in html
    assert '<label for="id_login">' in html
    assert '<label for="id_password">' in html
    client.force_login(UserFactory())
    html = client.get("/accounts/logout/").content.decode()
    assert "Are you sure you want to log out?" in html
    assert_has_crisis_frame(html)


@pytest.mark.parametrize(
    "path", ["/accounts/password/reset/", "/accounts/password/change/", "/accounts/email/", "/accounts/2fa/"]
)
def test_account_management_pages_use_kindred_layout(client, path):
    client.force_login(UserFactory())
    response = client.get(path)
    assert response.status_code == 200
    assert_has_crisis_frame(response.content.decode())


def test_landing_explains_kindred_and_safety(client):
    html = client.get("/").content.decode()
    assert "peer-support community" in html
    assert "Guides read every post" in html
    assert "Clinicians on duty" in html
    assert '<a class="button" href="/accounts/signup/">Join Kindred</a>' in html
    assert 'href="/accounts/login/">Log in</a>' in html
    assert "Kindred is not an emergency service" in html


def test_pages_stay_light(client):
    from django.contrib.staticfiles import finders

    css = finders.find("css/kindred.css")
    with open(css, "rb") as f:
        assert len(f.read()) < 12_000
    html = client.get("/").content.decode()
    assert html.count("<script") == 0
    assert "https://" not in re.sub(r'href="https://[^"]+"', "", html)  # no CDN assets


def test_base_template_renders_without_any_context():
    # A bare render (no request, no context processors) must not crash.
    html = engines["django"].get_template("base.html").render(Context().flatten())
    assert CRISIS_LINK.search(html)
