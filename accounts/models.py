"""Members, staff, organisations and the consent they gave.

Nobody here has a real name: members are known to each other by a pseudonym only. The email
address is private (account recovery) and never rendered where another member or a
commissioner can see it.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.regions import DEFAULT_REGION, REGION_CHOICES
from accounts.validators import validate_time_zone


class Role(models.TextChoices):
    MEMBER = "member", "Member"
    GUIDE = "guide", "Guide"
    CLINICIAN = "clinician", "Clinician"
    COMMISSIONER = "commissioner", "Commissioner"
    ADMIN = "admin", "Admin"


STAFF_ROLES = frozenset({Role.GUIDE, Role.CLINICIAN, Role.ADMIN})


class Organisation(models.Model):
    """A university, health service or employer that refers people to Kindred."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    time_zone = models.CharField(max_length=64, default="Europe/London", validators=[validate_time_zone])
    eligible_email_domains = models.JSONField(
        default=list,
        blank=True,
        help_text=(
            "If set, only members whose recovery email is on one of these domains "
            "may join with this organisation's codes."
        ),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AccessCode(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="access_codes")
    code = models.CharField(max_length=40, unique=True)
    is_active = models.BooleanField(default=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True, help_text="Empty means no cap.")
    uses = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_uses__isnull=True) | models.Q(uses__lte=models.F("max_uses")),
                name="accesscode_uses_within_cap",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.organisation})"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(pseudonym__iexact=username)

    def create_user(self, pseudonym: str, email: str, password: str | None = None, **extra) -> User:
        user = self.model(pseudonym=pseudonym, email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, pseudonym: str, email: str, password: str | None = None, **extra) -> User:
        extra.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self.create_user(pseudonym, email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    pseudonym = models.CharField(
        max_length=30,
        unique=True,
        help_text="Shown to other members. Case-insensitively unique.",
    )
    email = models.EmailField("private email", help_text="Only for account recovery; never shown to others.")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MEMBER)
    region = models.CharField(
        max_length=8, choices=REGION_CHOICES, default=DEFAULT_REGION, help_text="For crisis resources."
    )
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        help_text="Joined through this organisation's code; used for aggregate reporting only.",
    )
    commissioned_organisations = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="commissioners",
        help_text="Commissioners see aggregates for these organisations only.",
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log in to the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    deactivated_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the member closed their account. Everything they wrote is kept.",
    )

    objects = UserManager()

    USERNAME_FIELD = "pseudonym"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["email"]

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("pseudonym"), name="user_pseudonym_ci_unique"),
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="user_role_valid"),
        ]
        indexes = [models.Index(fields=["organisation", "date_joined"])]

    def __str__(self) -> str:
        return self.pseudonym

    def get_username(self) -> str:
        return self.pseudonym

    @property
    def is_member(self) -> bool:
        return self.role == Role.MEMBER

    @property
    def is_guide(self) -> bool:
        return self.role == Role.GUIDE

    @property
    def is_clinician(self) -> bool:
        return self.role == Role.CLINICIAN

    @property
    def is_commissioner(self) -> bool:
        return self.role == Role.COMMISSIONER

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_kindred_staff(self) -> bool:
        """Guides, clinicians and admins: people who keep the community safe."""
        return self.role in STAFF_ROLES


class ConsentRecord(models.Model):
    """What a member agreed to, and which version of it, when."""

    class Document(models.TextChoices):
        AGE = "age_16_plus", "Confirmed aged 16 or over"
        GUIDELINES = "guidelines", "Community guidelines"
        PRIVACY = "privacy", "Privacy notice"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    document = models.CharField(max_length=32, choices=Document.choices)
    version = models.CharField(max_length=20)
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "document", "version"], name="consent_once_per_version"),
        ]

    def __str__(self) -> str:
        return f"{self.user} accepted {self.document} v{self.version}"


class SafetyContact(models.Model):
    """How a clinician could reach a member in an emergency, if the member chose to say.

    Sealed: nothing in accounts renders it to anyone but the member. Escalation reveals it only
    to a clinician working an open crisis case who states a reason, and audits every view.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="safety_contact")
    phone = models.CharField(max_length=32, blank=True)
    email = models.EmailField(blank=True)
    location = models.CharField(
        max_length=300, blank=True, help_text="A town, address or other way to find you in an emergency."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Safety contact of user {self.user_id}"

    @property
    def is_empty(self) -> bool:
        return not (self.phone or self.email or self.location)
