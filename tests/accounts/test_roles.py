import pytest
from django.core.exceptions import PermissionDenied
from django.test import override_settings
from django.urls import reverse

from accounts.models import Role
from accounts.permissions import check_role, role_home_url
from tests.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

HOMES = {
    "member": "member_home",
    "guide": "moderation:dashboard",
    "clinician": "escalation:dashboard",
    "commissioner": "commissioner_home",
    "admin_user": "staff_home",
}


@pytest.mark.parametrize("fixture_name", HOMES)
def test_home_redirects_each_role_to_its_own_home(client, request, fixture_name):
    user = request.getfixturevalue(fixture_name)
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse(HOMES[fixture_name])
    assert client.get(response.url).status_code == 200


@pytest.mark.parametrize("owner", HOMES)
@pytest.mark.parametrize("visitor", HOMES)
def test_each_home_refuses_every_other_role(client, request, owner, visitor):
    client.force_login(request.getfixturevalue(visitor))
    response = client.get(reverse(HOMES[owner]))
    # Admins may also open the clinician and guide dashboards (they are the last line of both).
    allowed = owner == visitor or (owner in {"clinician", "guide"} and visitor == "admin_user")
    assert response.status_code == (200 if allowed else 403)


@pytest.mark.parametrize("url_name", HOMES.values())
def test_anonymous_is_sent_to_login(client, url_name):
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={url}"


def test_check_role_gives_a_reason(member):
    with pytest.raises(PermissionDenied, match="for guides or clinicians; you are signed in as a member"):
        check_role(member, Role.GUIDE, Role.CLINICIAN)
    check_role(member, Role.MEMBER)


def test_check_role_refuses_inactive_users(member):
    member.is_active = False
    with pytest.raises(PermissionDenied, match="not active"):
        check_role(member, Role.MEMBER)


@override_settings(ROLE_HOME_URL_NAMES={"guide": "account_settings"})
def test_role_homes_are_configurable(guide, member):
    assert role_home_url(guide) == reverse("account_settings")
    assert role_home_url(member) == reverse("member_home")


def test_member_home_explains_safety_and_links_crisis_help(client, member):
    client.force_login(member)
    html = client.get(reverse("member_home")).content.decode()
    assert "GentleOtter" in html
    assert "guides" in html.lower()
    assert reverse("crisis-help") in html
    assert reverse("account_settings") in html
    assert member.email not in html


def test_admin_home_links_to_django_admin(client, admin_user):
    client.force_login(admin_user)
    html = client.get(reverse("staff_home")).content.decode()
    assert 'href="/django-admin/"' in html
    assert reverse("outcomes:commissioner-dashboard") in html
    assert client.get("/django-admin/").status_code == 200


def test_commissioner_sees_only_their_organisations_with_suppressed_counts(
    client, commissioner, organisation
):
    other_org = OrganisationFactory(name="Southgate College")
    mine_too = OrganisationFactory(name="Eastbrook Trust")
    commissioner.commissioned_organisations.add(mine_too)
    members = [UserFactory(organisation=organisation) for _ in range(12)]
    UserFactory(organisation=organisation, is_active=False)
    UserFactory(organisation=organisation, role=Role.GUIDE)
    UserFactory(organisation=mine_too)
    UserFactory(organisation=other_org)
    client.force_login(commissioner)
    html = client.get(reverse("commissioner_home")).content.decode()
    assert "Northfield University" in html
    assert "Eastbrook Trust" in html
    assert "Southgate College" not in html
    assert "<td>10</td>" in html  # 12 active members, rounded to the nearest 5
    assert "<td>*</td>" in html  # exactly one member: hidden, as on the dashboards
    assert "<td>12</td>" not in html
    assert reverse("outcomes:commissioner-dashboard") in html
    for user in members:
        assert user.email not in html
        assert user.pseudonym not in html


@pytest.mark.parametrize("viewer", ["other_member", "commissioner", "guide"])
def test_a_members_email_is_never_rendered_to_others(client, request, member, viewer):
    client.force_login(request.getfixturevalue(viewer))
    for url in [
        reverse("home"),
        reverse("account_settings"),
        reverse("guidelines"),
        reverse("privacy_notice"),
    ]:
        response = client.get(url, follow=True)
        assert response.status_code == 200
        assert member.email not in response.content.decode()
