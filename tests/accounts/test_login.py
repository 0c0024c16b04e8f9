import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import TEST_PASSWORD, current_totp_code

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("account_login")


@pytest.mark.parametrize("login", ["GentleOtter", "gentleotter", "otter@example.org", "OTTER@example.org"])
def test_login_by_pseudonym_or_email_lands_on_role_home(client, member, login):
    member.email = "otter@example.org"
    member.save(update_fields=["email"])
    response = client.post(LOGIN_URL, {"login": login, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("member_home")
    assert int(client.session["_auth_user_id"]) == member.pk


def test_staff_login_asks_for_the_authenticator_code_then_lands_on_their_own_home(client, guide):
    response = client.post(LOGIN_URL, {"login": guide.pseudonym, "password": TEST_PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("mfa_authenticate"), {"code": current_totp_code()})
    assert response.url == reverse("moderation:dashboard")
    assert int(client.session["_auth_user_id"]) == guide.pk


def test_wrong_password_is_refused_clearly(client, member):
    response = client.post(LOGIN_URL, {"login": "GentleOtter", "password": "not-the-password"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert response.context["form"].non_field_errors()
    assert "not correct" in response.content.decode()


def test_logout(client, member):
    client.force_login(member)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link_to_the_private_email(client, member):
    response = client.post(reverse("account_reset_password"), {"email": member.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_home_redirects_anonymous_to_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)
