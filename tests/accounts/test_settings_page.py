import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

URL = reverse("account_settings")


def test_settings_page_links_and_explains_visibility(client, member):
    client.force_login(member)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "your pseudonym, <strong>GentleOtter</strong>, and nothing else" in html
    for name in ["account_email", "account_change_password", "mfa_index", "account_logout"]:
        assert reverse(name) in html
    assert reverse("mfa_index").startswith("/accounts/2fa/")


def test_change_region(client, member):
    client.force_login(member)
    response = client.post(URL, {"region": "NZ"}, follow=True)
    member.refresh_from_db()
    assert member.region == "NZ"
    assert "Your region is now New Zealand" in response.content.decode()


def test_unknown_region_changes_nothing(client, member):
    client.force_login(member)
    response = client.post(URL, {"region": "XX"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    member.refresh_from_db()
    assert member.region == "GB"


def test_settings_needs_login(client):
    response = client.get(URL)
    assert response.status_code == 302


@pytest.mark.parametrize("url_name", ["account_email", "account_change_password", "mfa_index"])
def test_allauth_account_pages_work_for_a_member(client, member, url_name):
    client.force_login(member)
    assert client.get(reverse(url_name)).status_code == 200


@pytest.mark.parametrize("url_name", ["guidelines", "privacy_notice"])
def test_consent_documents_are_public_and_versioned(client, url_name):
    html = client.get(reverse(url_name)).content.decode()
    assert "Version 2026-11" in html
