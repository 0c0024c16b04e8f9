import pytest
from django.core.exceptions import ValidationError

from accounts.validators import (
    pseudonym_problem,
    validate_pseudonym,
    validate_staff_pseudonym,
    validate_time_zone,
)


@pytest.mark.parametrize(
    "pseudonym",
    [
        "GentleOtter",
        "Fern2024",
        "Room101",
        "Elmo.2.0",
        "quiet_fern",
        "Café-Bleu",
        "BadmintonFan",
        "Modest",
        "abc",
    ],
)
def test_ordinary_pseudonyms_are_accepted(pseudonym):
    assert pseudonym_problem(pseudonym) is None
    validate_pseudonym(pseudonym)


@pytest.mark.parametrize(
    ("pseudonym", "fragment"),
    [
        ("jane.doe@gmail.com", "email address"),
        ("jane@uni.ac.uk", "email address"),
        ("jane (at) gmail", "email address"),
        ("jane[at]outlook", "email address"),
        ("https://jane.example", "web address"),
        ("www.janedoe.net", "web address"),
        ("janedoe.com", "web address"),
        ("jane.co.uk", "web address"),
        ("@janedoe", "social media handle"),
        ("jane @doe", "social media handle"),
        ("jane@insta", "social media handle"),
        ("my_instagram_jd", "social media account"),
        ("TikTokJane", "social media account"),
        ("snapchat-jd", "social media account"),
        ("07700900123", "phone number"),
        ("07700 900 123", "phone number"),
        ("+44-7700-900123", "phone number"),
        ("(555) 123-4567", "phone number"),
        ("Fern12345", "long number"),
        ("12345", "long number"),
        ("a1b2c3d4e5", "long number"),
        ("Otter-1990-01", "long number"),
    ],
)
def test_identifying_pseudonyms_are_refused_with_the_reason(pseudonym, fragment):
    problem = pseudonym_problem(pseudonym)
    assert problem is not None
    assert fragment in problem
    with pytest.raises(ValidationError) as excinfo:
        validate_pseudonym(pseudonym)
    assert excinfo.value.code == "pseudonym_identifying"


@pytest.mark.parametrize(
    ("pseudonym", "fragment"),
    [
        ("", "Choose a pseudonym"),
        ("ab", "at least 3"),
        ("x" * 31, "at most 30"),
        ("Gentle Otter", "no spaces"),
        ("_hidden", "start with a letter"),
        ("otter!", "only letters"),
    ],
)
def test_malformed_pseudonyms_are_refused(pseudonym, fragment):
    assert fragment in pseudonym_problem(pseudonym)


@pytest.mark.parametrize("pseudonym", ["KindredTeam", "Admin1", "TheAdmin", "Mod_Team", "Official-Support"])
def test_members_cannot_pass_as_staff_but_staff_may(pseudonym):
    assert "mistaken for Kindred staff" in pseudonym_problem(pseudonym)
    validate_staff_pseudonym(pseudonym)


def test_staff_pseudonyms_still_refuse_identifying_details():
    with pytest.raises(ValidationError):
        validate_staff_pseudonym("guide@kindred.org")


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Pacific/Auckland", "UTC"])
def test_time_zones_by_their_iana_name_are_accepted(zone):
    validate_time_zone(zone)


@pytest.mark.parametrize("zone", ["London", "GMT+1 London", "", "../etc/passwd", "Europe/Londn"])
def test_anything_else_is_refused_with_an_example(zone):
    with pytest.raises(ValidationError, match="Europe/London"):
        validate_time_zone(zone)


@pytest.mark.django_db
def test_an_organisation_with_a_misspelt_time_zone_is_refused_and_not_saved(admin_client, organisation):
    # A zone no rollup or dashboard could read would break the nightly rollups for everyone.
    from django.urls import reverse

    url = reverse("admin:accounts_organisation_change", args=[organisation.pk])
    response = admin_client.post(
        url,
        {
            "name": organisation.name,
            "slug": organisation.slug,
            "time_zone": "London",
            "eligible_email_domains": "[]",
        },
    )
    assert response.status_code == 200
    assert "is not a time zone" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.time_zone == "Europe/London"
