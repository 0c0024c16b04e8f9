"""Public signup through allauth's signup page: every refusal is explained and writes nothing."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from accounts.consents import AGE_CONFIRMATION_VERSION, GUIDELINES_VERSION, PRIVACY_VERSION
from accounts.models import AccessCode, ConsentRecord, Role, User
from tests.factories import AccessCodeFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

SIGNUP_URL = reverse("account_signup")


def signup_data(**overrides):
    data = {
        "username": "QuietFern",
        "email": "fern@example.org",
        "password1": "violet-harbour-lantern-7",
        "password2": "violet-harbour-lantern-7",
        "region": "GB",
        "access_code": "",
        "confirm_age": "on",
        "accept_terms": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def snapshot():
    return (
        User.objects.count(),
        ConsentRecord.objects.count(),
        EmailAddress.objects.count(),
        list(AccessCode.objects.order_by("pk").values_list("uses", flat=True)),
    )


def assert_refused(client, data, field, fragment):
    before = snapshot()
    response = client.post(SIGNUP_URL, data)
    assert response.status_code in (200, 400)
    form = response.context["form"]
    errors = form.errors.get(field, [])
    assert any(fragment in e for e in errors), form.errors
    assert fragment in response.content.decode().replace("&#x27;", "'")
    assert snapshot() == before
    assert "_auth_user_id" not in client.session


def test_signup_page_renders_every_field_with_labels(client):
    html = client.get(SIGNUP_URL).content.decode().replace("&#x27;", "'")
    for text in [
        "Pseudonym",
        "Private email",
        "Only used to recover your account",
        "Region",
        "New Zealand",
        "Organisation access code (optional)",
        "I am aged 16 or over",
        "community guidelines",
    ]:
        assert text in html


def test_successful_signup_without_code_creates_member_and_consents(client):
    response = client.post(SIGNUP_URL, signup_data(region="IE"))
    assert response.status_code == 302
    assert response.url == reverse("member_home")
    user = User.objects.get(pseudonym="QuietFern")
    assert user.role == Role.MEMBER
    assert user.region == "IE"
    assert user.organisation is None
    assert not user.is_staff
    assert not user.is_superuser
    assert user.check_password("violet-harbour-lantern-7")
    assert set(user.consents.values_list("document", "version")) == {
        (ConsentRecord.Document.AGE, AGE_CONFIRMATION_VERSION),
        (ConsentRecord.Document.GUIDELINES, GUIDELINES_VERSION),
        (ConsentRecord.Document.PRIVACY, PRIVACY_VERSION),
    }
    assert EmailAddress.objects.get(user=user).email == "fern@example.org"
    assert int(client.session["_auth_user_id"]) == user.pk


def test_successful_signup_with_code_sets_organisation_and_spends_one_use(client):
    code = AccessCodeFactory(code="NORTH-1", max_uses=3, uses=2)
    response = client.post(SIGNUP_URL, signup_data(access_code=" north-1 "), follow=True)
    assert response.redirect_chain[-1][0] == reverse("member_home")
    assert response.status_code == 200
    assert b"Welcome to Kindred, QuietFern" in response.content
    user = User.objects.get(pseudonym="QuietFern")
    assert user.organisation == code.organisation
    assert user.role == Role.MEMBER
    assert user.consents.count() == 3
    code.refresh_from_db()
    assert code.uses == 3


def test_signup_cannot_choose_a_role(client):
    client.post(SIGNUP_URL, signup_data(role="admin", is_staff="on"))
    user = User.objects.get(pseudonym="QuietFern")
    assert user.role == Role.MEMBER
    assert not user.is_staff


def test_email_in_eligible_domain_including_subdomain_is_accepted(client):
    organisation = OrganisationFactory(eligible_email_domains=["northfield.ac.uk"])
    AccessCodeFactory(code="NF", organisation=organisation)
    response = client.post(SIGNUP_URL, signup_data(email="fern@student.northfield.ac.uk", access_code="NF"))
    assert response.status_code == 302
    assert User.objects.get(pseudonym="QuietFern").organisation == organisation


@pytest.mark.parametrize(
    ("pseudonym", "fragment"),
    [
        ("fern@example.org", "looks like an email address"),
        ("07700900123", "looks like a phone number"),
        ("www.fern.com", "looks like a web address"),
        ("@quietfern", "looks like a social media handle"),
        ("Fern123456", "long number"),
        ("KindredSupport", "mistaken for Kindred staff"),
    ],
)
def test_identifying_pseudonym_is_refused(client, pseudonym, fragment):
    assert_refused(client, signup_data(username=pseudonym), "username", fragment)


def test_taken_pseudonym_in_different_case_is_refused(client):
    UserFactory(pseudonym="QuietFern")
    assert_refused(client, signup_data(username="qUIETfERN"), "username", "That pseudonym is already taken")


def test_taken_email_is_refused(client):
    UserFactory(email="fern@example.org")
    assert_refused(client, signup_data(email="FERN@example.org"), "email", "already registered")


def test_age_unconfirmed_is_refused(client):
    assert_refused(client, signup_data(confirm_age=None), "confirm_age", "16 or over")


def test_missing_consent_is_refused(client):
    assert_refused(client, signup_data(accept_terms=None), "accept_terms", "accept the community guidelines")


def test_password_mismatch_is_refused(client):
    assert_refused(client, signup_data(password2="something-else-entirely"), "password2", "same password")


def test_unknown_region_is_refused(client):
    assert_refused(client, signup_data(region="FR"), "region", "Select a valid choice")


def test_unknown_code_is_refused(client):
    AccessCodeFactory(code="REAL-CODE")
    assert_refused(
        client, signup_data(access_code="MADE-UP"), "access_code", "don't recognise that access code"
    )


def test_inactive_code_is_refused(client):
    AccessCodeFactory(code="OLD", is_active=False)
    assert_refused(client, signup_data(access_code="OLD"), "access_code", "no longer active")


def test_expired_code_is_refused(client):
    AccessCodeFactory(code="LAPSED", expires_at=timezone.now() - timedelta(minutes=1))
    assert_refused(client, signup_data(access_code="LAPSED"), "access_code", "has expired")


def test_used_up_code_is_refused(client):
    AccessCodeFactory(code="FULL", max_uses=5, uses=5)
    assert_refused(client, signup_data(access_code="FULL"), "access_code", "maximum number of times")


def test_email_outside_eligible_domains_is_refused(client):
    organisation = OrganisationFactory(name="Northfield", eligible_email_domains=["northfield.ac.uk"])
    AccessCodeFactory(code="NF", organisation=organisation)
    assert_refused(
        client,
        signup_data(email="fern@northfield.ac.uk.evil.example", access_code="NF"),
        "access_code",
        "only for Northfield email addresses (northfield.ac.uk)",
    )


def test_code_used_up_between_validation_and_save_writes_nothing(client, monkeypatch):
    """The service re-checks the locked code row, so a race cannot overspend it."""
    code = AccessCodeFactory(code="LAST", max_uses=1)
    from accounts import forms

    def stale_check(*args, **kwargs):
        AccessCode.objects.filter(pk=code.pk).update(uses=1)  # another signup took the last place
        return None

    monkeypatch.setattr(forms, "access_code_problem", stale_check)
    before = snapshot()
    response = client.post(SIGNUP_URL, signup_data(access_code="LAST"))
    assert response.status_code == 400
    assert "maximum number of times" in response.content.decode()
    assert User.objects.count() == before[0]
    assert ConsentRecord.objects.count() == before[1]
    code.refresh_from_db()
    assert code.uses == 1
