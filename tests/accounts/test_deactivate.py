"""Members close their own account: password again, optional exit survey, nothing deleted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services
from accounts.models import ConsentRecord, User
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("account_deactivate")


def test_service_deactivates_and_keeps_everything(member):
    ConsentRecord.objects.create(user=member, document=ConsentRecord.Document.PRIVACY, version="1")
    services.user_deactivate(user=member, reason="member")
    member.refresh_from_db()
    assert member.is_active is False
    assert member.deactivated_at is not None
    assert User.objects.filter(pk=member.pk).exists()
    assert ConsentRecord.objects.filter(user=member).count() == 1
    with pytest.raises(services.DeactivationRefused):
        services.user_deactivate(user=member)


@pytest.mark.parametrize("role", ["guide", "clinician", "admin"])
def test_service_refuses_staff(role):
    staff = UserFactory(role=role, is_staff=role == "admin")
    with pytest.raises(services.DeactivationRefused):
        services.user_deactivate(user=staff)
    staff.refresh_from_db()
    assert staff.is_active is True
    assert staff.deactivated_at is None


def test_settings_page_offers_closing_to_members_only(client, member, guide):
    client.force_login(member)
    assert URL in client.get(reverse("account_settings")).content.decode()
    client.force_login(guide)
    assert URL not in client.get(reverse("account_settings")).content.decode()


def test_confirm_page_offers_the_exit_survey_first(client, member):
    client.force_login(member)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    survey = reverse("outcomes:exit-survey", args=["deactivation"])
    assert survey in html
    assert html.index(survey) < html.index('name="password"')
    assert reverse("crisis-help") in html
    # The survey is skippable and comes back to the settings page, which links here again.
    done = client.post(survey, {"skip": "1"})
    assert done.status_code == 200
    assert reverse("account_settings") in done.content.decode()
    assert URL in client.get(reverse("account_settings")).content.decode()
    member.refresh_from_db()
    assert member.is_active is True


def test_wrong_password_changes_nothing(client, member):
    client.force_login(member)
    response = client.post(URL, {"password": "not-my-password"})
    assert response.status_code == 400
    assert "That password isn&#x27;t right" in response.content.decode()
    member.refresh_from_db()
    assert member.is_active is True
    assert member.deactivated_at is None
    assert client.post(URL, {}).status_code == 400
    member.refresh_from_db()
    assert member.is_active is True


def test_deactivation_logs_out_and_says_goodbye(client, member, other_member):
    from community.models import Space
    from tests.community.conftest import make_thread

    space = Space.objects.create(slug="anxiety", name="Anxiety")
    thread = make_thread(author=member, space=space, title="Still here for others")
    client.force_login(member)
    response = client.post(URL, {"password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_deactivated")
    goodbye = client.get(response.url)
    assert goodbye.status_code == 200
    html = goodbye.content.decode()
    assert reverse("crisis-help") in html
    assert "/help/" in html
    assert "GentleOtter" not in html
    # Signed out: a member page now sends to the login page.
    assert client.get(reverse("account_settings")).status_code == 302
    member.refresh_from_db()
    assert member.is_active is False
    assert member.deactivated_at is not None
    # What they wrote is still there for others.
    thread.refresh_from_db()
    client.force_login(other_member)
    assert client.get(reverse("community:thread-detail", args=[thread.pk])).status_code == 200
    # And they can no longer sign in.
    client.logout()
    client.post(reverse("account_login"), {"login": "GentleOtter", "password": TEST_PASSWORD})
    assert "_auth_user_id" not in client.session


def test_csrf_is_required(member):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(member)
    assert strict.post(URL, {"password": TEST_PASSWORD}).status_code == 403
    member.refresh_from_db()
    assert member.is_active is True


@pytest.mark.parametrize("fixture", ["guide", "clinician", "admin_user", "commissioner"])
def test_staff_cannot_close_their_account_here(client, request, fixture):
    staff = request.getfixturevalue(fixture)
    client.force_login(staff)
    for response in (client.get(URL), client.post(URL, {"password": TEST_PASSWORD})):
        assert response.status_code == 403
        assert "Please ask a Kindred admin" in response.content.decode()
    staff.refresh_from_db()
    assert staff.is_active is True
    assert staff.deactivated_at is None


def test_needs_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("account_login") in response.url


def test_other_sessions_and_api_tokens_stop_working(client, member):
    from django.test import Client
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    other_device = Client()
    other_device.force_login(member)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=member).key}")
    assert api.get("/api/v1/spaces/").status_code == 200
    services.user_deactivate(user=member, reason="member")
    assert other_device.get(reverse("account_settings")).status_code == 302
    assert api.get("/api/v1/spaces/").status_code == 401
