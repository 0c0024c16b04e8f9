"""The member's sealed safety contact: the form and the one service that changes it."""

from __future__ import annotations

from django import forms
from django.db import transaction
from django.utils import timezone

from accounts.models import SafetyContact


class SafetyContactForm(forms.Form):
    phone = forms.RegexField(
        label="Phone number",
        regex=r"^\+?[0-9][0-9 \-()]{5,30}$",
        required=False,
        max_length=32,
        error_messages={
            "invalid": "Please enter a phone number using digits, spaces and an optional leading +."
        },
    )
    email = forms.EmailField(label="Email address", required=False)
    location = forms.CharField(
        label="Where you usually are",
        required=False,
        max_length=300,
        help_text="A town, an address, or anything that would help emergency services find you.",
    )


@transaction.atomic
def safety_contact_set(*, user, phone: str = "", email: str = "", location: str = "") -> SafetyContact:
    contact, _ = SafetyContact.objects.select_for_update().get_or_create(user=user)
    contact.phone = (phone or "").strip()
    contact.email = (email or "").strip()
    contact.location = (location or "").strip()
    contact.updated_at = timezone.now()
    contact.save()
    return contact
