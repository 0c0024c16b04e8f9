"""Role fixtures shared by every test folder."""

import pytest

from accounts.models import Role
from tests.factories import OrganisationFactory, UserFactory


@pytest.fixture
def organisation():
    return OrganisationFactory(name="Northfield University", slug="northfield")


@pytest.fixture
def member(organisation):
    return UserFactory(pseudonym="GentleOtter", role=Role.MEMBER, organisation=organisation)


@pytest.fixture
def other_member():
    return UserFactory(pseudonym="BraveHeron", role=Role.MEMBER)


@pytest.fixture
def guide():
    return UserFactory(pseudonym="GuideWillow", role=Role.GUIDE)


@pytest.fixture
def clinician():
    return UserFactory(pseudonym="DrAsh", role=Role.CLINICIAN)


@pytest.fixture
def commissioner(organisation):
    user = UserFactory(pseudonym="CommissionerOak", role=Role.COMMISSIONER)
    user.commissioned_organisations.add(organisation)
    return user


@pytest.fixture
def admin_user():
    return UserFactory(pseudonym="AdminBirch", role=Role.ADMIN, is_staff=True, is_superuser=True)
