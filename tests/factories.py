"""Factories for the test suite: one per model that tests create often."""

import factory

from accounts.models import AccessCode, Organisation, Role, User

TEST_PASSWORD = "a-long-test-password-42"


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
