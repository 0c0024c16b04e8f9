"""Signup, login and settings forms (allauth forms customised, never forked)."""

from __future__ import annotations

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.text import format_lazy

from accounts import services
from accounts.consents import MINIMUM_AGE
from accounts.regions import DEFAULT_REGION, REGION_CHOICES
from accounts.selectors import access_code_by_text, access_code_problem
from accounts.validators import PSEUDONYM_MAX_LENGTH


class SignupForm(AllauthSignupForm):
    region = forms.ChoiceField(
        label="Region",
        choices=REGION_CHOICES,
        initial=DEFAULT_REGION,
        help_text="Where you live, so we can show you the right crisis helplines.",
    )
    access_code = forms.CharField(
        label="Organisation access code (optional)",
        required=False,
        max_length=40,
        help_text="If your university, health service or employer gave you a code, enter it here.",
    )
    confirm_age = forms.BooleanField(
        label=f"I am aged {MINIMUM_AGE} or over",
        required=True,
        error_messages={"required": f"Kindred is for people aged {MINIMUM_AGE} or over."},
    )
    accept_terms = forms.BooleanField(
        label="I accept the community guidelines and the privacy notice",
        required=True,
        help_text=format_lazy(
            'Read the <a href="{}">community guidelines</a> and the '
            '<a href="{}">privacy notice</a> before you join.',
            reverse_lazy("guidelines"),
            reverse_lazy("privacy_notice"),
        ),
        error_messages={"required": "Please accept the community guidelines and privacy notice to join."},
    )

    field_order = [
        "username",
        "email",
        "password1",
        "password2",
        "region",
        "access_code",
        "confirm_age",
        "accept_terms",
    ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.label = "Pseudonym"
        username.max_length = PSEUDONYM_MAX_LENGTH
        username.help_text = (
            "Shown to other members. Don't use your real name, email, phone number or social media handle."
        )
        username.widget.attrs.update({"placeholder": "e.g. QuietFern", "autocomplete": "username"})
        email = self.fields["email"]
        email.label = "Private email"
        email.help_text = "Only used to recover your account. Never shown to anyone else."
        email.widget.attrs["placeholder"] = "Private email"

    def clean_access_code(self) -> str:
        return self.cleaned_data.get("access_code", "").strip()

    def clean(self) -> dict:
        cleaned = super().clean()
        code_text = cleaned.get("access_code")
        if code_text:
            problem = access_code_problem(access_code_by_text(code_text), email=cleaned.get("email") or "")
            if problem:
                self.add_error("access_code", problem)
        return cleaned

    def save(self, request) -> object:
        data = self.cleaned_data
        return services.member_signup(
            pseudonym=data["username"],
            email=data["email"],
            password=data["password1"],
            region=data["region"],
            confirmed_age=data["confirm_age"],
            accepted_guidelines_and_privacy=data["accept_terms"],
            access_code=data.get("access_code", ""),
        )

    def try_save(self, request):
        try:
            return super().try_save(request)
        except services.SignupRefused as refusal:
            # Rare: the state changed between validation and saving (a code used up, a
            # pseudonym taken). Nothing was written; show the form again with the reason.
            field = refusal.field if refusal.field in self.fields else None
            self.add_error(field, refusal)
            return None, render(request, "account/signup.html", {"form": self}, status=400)


class LoginForm(AllauthLoginForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = "Pseudonym or email"
        login.widget.attrs["placeholder"] = "Pseudonym or email"


class RegionForm(forms.Form):
    region = forms.ChoiceField(
        label="Region",
        choices=REGION_CHOICES,
        help_text="Decides which crisis helplines we show you.",
    )


class DeactivateForm(forms.Form):
    """Closing an account: the member types their password again, so nobody at an unlocked
    screen can close it for them."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="To make sure it's really you.",
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That password isn't right. Please try again.", code="password")
        return password
