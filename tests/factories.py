"""Factories for the test suite: one per model that tests create often."""

import factory
from allauth.mfa.models import Authenticator

from accounts.models import STAFF_ROLES, AccessCode, Organisation, Role, User

TEST_PASSWORD = "a-long-test-password-42"
#: The TOTP secret of every staff account the factory makes (staff pages require TOTP).
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXP"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class AccessCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessCode

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"CODE-{n:04d}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    pseudonym = factory.Sequence(lambda n: f"QuietFern{n}")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    role = Role.MEMBER
    region = "GB"

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or TEST_PASSWORD)
        if create:
            obj.save(update_fields=["password"])

    @factory.post_generation
    def totp(obj, create, extracted, **kwargs):
        """Staff get a TOTP authenticator unless ``totp=False`` (staff pages require one)."""
        wanted = obj.role in STAFF_ROLES if extracted is None else extracted
        if create and wanted:
            Authenticator.objects.get_or_create(
                user=obj, type=Authenticator.Type.TOTP, defaults={"data": {"secret": TEST_TOTP_SECRET}}
            )


def current_totp_code(secret: str = TEST_TOTP_SECRET) -> str:
    """The code an authenticator app would show now for ``secret``."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))
