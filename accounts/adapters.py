"""django-allauth customised for Kindred: pseudonyms, member-only public signup."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from accounts.permissions import role_home_url
from accounts.validators import validate_pseudonym


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_taken": "That pseudonym is already taken. Please choose another.",
        "username_blacklisted": "That pseudonym can't be used. Please choose another.",
    }

    def clean_username(self, username: str, shallow: bool = False) -> str:
        validate_pseudonym(username)
        return super().clean_username(username.strip(), shallow=shallow)

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return role_home_url(request.user)

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        return role_home_url(request.user)

    def save_user(self, request, user, form, commit=True):
        # Public signup writes go through accounts.services.member_signup (see SignupForm.save).
        raise NotImplementedError("Kindred signs members up through accounts.services.member_signup")
