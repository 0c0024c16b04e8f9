"""Joining with an organisation's access code, and each role landing on its own home."""

import re

import pytest

from accounts.models import STAFF_ROLES, ConsentRecord, Role, User
from accounts.permissions import role_home_url
from tests.browser.helpers import shot
from tests.factories import (
    TEST_PASSWORD,
    AccessCodeFactory,
    OrganisationFactory,
    UserFactory,
    current_totp_code,
)

pytestmark = pytest.mark.browser


def fill_signup(page, *, pseudonym: str, email: str, access_code: str) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Pseudonym").fill(pseudonym)
    page.get_by_label("Private email").fill(email)
    page.locator("input[name=password1]").fill(TEST_PASSWORD)
    page.locator("input[name=password2]").fill(TEST_PASSWORD)
    page.get_by_label("Region").select_option("GB")
    page.get_by_label("Organisation access code (optional)").fill(access_code)
    page.get_by_label(re.compile(r"^I am aged \d+ or over")).check()
    page.get_by_label(re.compile(r"^I accept the community guidelines")).check()


def test_member_joins_with_an_access_code(page):
    organisation = OrganisationFactory(name="Northfield University", slug="northfield")
    AccessCodeFactory(organisation=organisation, code="NORTHFIELD-E2E")

    fill_signup(page, pseudonym="QuietFernE2E", email="fern@example.org", access_code="NORTHFIELD-E2E")
    shot(page, "signup-filled")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_load_state()

    user = User.objects.get(pseudonym="QuietFernE2E")
    assert user.role == Role.MEMBER
    assert user.organisation == organisation
    assert ConsentRecord.objects.filter(user=user).exists()
    assert page.url.endswith(role_home_url(user))
    assert page.get_by_role("heading", name=re.compile("QuietFernE2E")).is_visible()
    # The private email is never shown, not even on the member's own home.
    assert "fern@example.org" not in page.content()
    shot(page, "member-home")


def test_unknown_access_code_is_refused_and_nothing_is_created(page):
    fill_signup(page, pseudonym="LostHeron", email="heron@example.org", access_code="NO-SUCH-CODE")
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_load_state()

    assert "/accounts/signup/" in page.url
    assert page.locator("form").get_by_text(re.compile("code", re.IGNORECASE)).count() >= 1
    assert not User.objects.filter(pseudonym="LostHeron").exists()
    shot(page, "refused")


@pytest.mark.parametrize(
    ("role", "extra"),
    [
        (Role.MEMBER, {}),
        (Role.GUIDE, {}),
        (Role.CLINICIAN, {}),
        (Role.COMMISSIONER, {}),
        (Role.ADMIN, {"is_staff": True, "is_superuser": True}),
    ],
)
def test_each_role_logs_in_to_its_own_home(page, role, extra):
    user = UserFactory(pseudonym=f"Login{role.capitalize()}", role=role, **extra)
    if role == Role.COMMISSIONER:
        user.commissioned_organisations.add(OrganisationFactory(slug="e2e-org", name="E2E Org"))

    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(user.pseudonym)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
    if role in STAFF_ROLES:
        # Staff have an authenticator (staff pages require TOTP): the second step asks for its code.
        assert "/accounts/2fa/authenticate/" in page.url, page.url
        shot(page, f"{role}-2fa")
        page.locator("input[name=code]").fill(current_totp_code())
        page.get_by_role("button", name="Sign In").click()
        page.wait_for_load_state()

    assert page.url.endswith(role_home_url(user)), page.url
    assert page.locator("main").is_visible()
    shot(page, f"{role}-home")


def test_wrong_password_keeps_the_visitor_logged_out(page):
    user = UserFactory(pseudonym="WrongPassOwl", role=Role.MEMBER)

    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(user.pseudonym)
    page.locator("input[name=password]").fill("not-the-password-at-all")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()

    assert "/accounts/login/" in page.url
    page.goto("/home/")
    assert "/accounts/login/" in page.url
