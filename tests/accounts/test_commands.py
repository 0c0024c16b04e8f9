import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command

from accounts.models import AccessCode, ConsentRecord, Organisation, Role, User

pytestmark = pytest.mark.django_db


def test_create_staff_guide_with_password(capsys):
    call_command(
        "create_staff",
        "--role",
        "guide",
        "--pseudonym",
        "GuideRowan",
        "--email",
        "rowan@example.org",
        "--password",
        "sturdy-lantern-harbour-9",
    )
    user = User.objects.get(pseudonym="GuideRowan")
    assert user.role == Role.GUIDE
    assert user.check_password("sturdy-lantern-harbour-9")
    assert not user.is_staff
    assert EmailAddress.objects.filter(user=user, email="rowan@example.org", primary=True).exists()
    assert "sturdy-lantern-harbour-9" not in capsys.readouterr().out


def test_create_staff_generates_and_prints_a_password(capsys):
    call_command(
        "create_staff",
        "--role",
        "admin",
        "--pseudonym",
        "AdminHazel",
        "--email",
        "hazel@example.org",
        "--generate-password",
    )
    out = capsys.readouterr().out
    password = out.split("Password (shown once): ")[1].strip()
    user = User.objects.get(pseudonym="AdminHazel")
    assert user.check_password(password)
    assert user.is_staff
    assert user.is_superuser
    assert user.role == Role.ADMIN


def test_create_staff_commissioner_is_scoped(organisation):
    call_command(
        "create_staff",
        "--role",
        "commissioner",
        "--pseudonym",
        "NorthLead",
        "--email",
        "lead@example.org",
        "--organisation",
        "northfield",
        "--generate-password",
    )
    user = User.objects.get(pseudonym="NorthLead")
    assert list(user.commissioned_organisations.all()) == [organisation]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "commissioner"], "at least one organisation"),
        (["--role", "guide", "--organisation", "northfield"], "Only commissioners"),
        (["--role", "commissioner", "--organisation", "nowhere"], "No organisation with slug: nowhere"),
        (["--role", "guide", "--password", "short"], "too short"),
        (["--role", "guide", "--pseudonym", "guide@example.org"], "email address"),
        (["--role", "guide", "--pseudonym", "gentleotter"], "already taken"),
    ],
)
def test_create_staff_refusals_create_nothing(member, organisation, args, message):
    base = {"--pseudonym": "NewGuide", "--email": "new@example.org", "--password": "sturdy-lantern-harbour-9"}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    argv = [item for pair in base.items() for item in pair]
    argv += [a for a in args if a not in base and a not in base.values()]
    before = User.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command("create_staff", *argv)
    assert User.objects.count() == before


def test_create_staff_cannot_make_members():
    with pytest.raises(CommandError):
        call_command("create_staff", "--role", "member", "--pseudonym", "Sneaky", "--email", "s@example.org")


def counts():
    return (
        User.objects.count(),
        Organisation.objects.count(),
        AccessCode.objects.count(),
        ConsentRecord.objects.count(),
        EmailAddress.objects.count(),
        AccessCode.objects.get(code="NORTHFIELD-2026").uses,
    )


def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    # five demo logins plus five community members who write the demo conversations
    assert first[1:] == (1, 1, 3, 5, 1)
    assert User.objects.filter(pseudonym__startswith="demo_").count() == 5
    out = capsys.readouterr().out
    assert "kindred-demo-2026" in out
    for pseudonym in ["demo_member", "demo_guide", "demo_clinician", "demo_commissioner", "demo_admin"]:
        assert pseudonym in out
    roles = dict(User.objects.filter(pseudonym__startswith="demo_").values_list("pseudonym", "role"))
    assert roles == {
        "demo_member": "member",
        "demo_guide": "guide",
        "demo_clinician": "clinician",
        "demo_commissioner": "commissioner",
        "demo_admin": "admin",
    }
    northfield = Organisation.objects.get(name="Northfield University")
    assert User.objects.get(pseudonym="demo_member").organisation == northfield
    assert list(User.objects.get(pseudonym="demo_commissioner").commissioned_organisations.all()) == [
        northfield
    ]
    assert User.objects.get(pseudonym="demo_admin").check_password("kindred-demo-2026")
