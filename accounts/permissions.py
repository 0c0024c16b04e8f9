"""Explicit role checks for pages and services."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts.models import Role

DEFAULT_ROLE_HOME_URL_NAMES: dict[str, str] = {
    Role.MEMBER: "member_home",
    Role.GUIDE: "moderation:dashboard",
    Role.CLINICIAN: "escalation:dashboard",
    Role.COMMISSIONER: "commissioner_home",
    Role.ADMIN: "staff_home",
}


def _role_label(role: str) -> str:
    return Role(role).label.lower() if role in Role.values else role


def check_role(user, *roles: str) -> None:
    """Raise PermissionDenied, with a reason, unless ``user`` is active and has one of ``roles``."""
    if not roles:
        raise ValueError("check_role needs at least one role")
    if user is None or not user.is_authenticated:
        raise PermissionDenied("You need to sign in to see this page.")
    if not user.is_active:
        raise PermissionDenied("This account is not active.")
    if user.role not in roles:
        allowed = " or ".join(_role_label(r) + "s" for r in roles)
        current = _role_label(user.role)
        raise PermissionDenied(f"This page is for {allowed}; you are signed in as a {current}.")


def role_required(*roles: str) -> Callable:
    """View decorator: sign in first (redirect to login), then the role check (403)."""
    if not roles:
        raise ValueError("role_required needs at least one role")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            check_role(request.user, *roles)
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def role_home_url(user) -> str:
    """Where ``user`` lands after signing in; later apps move homes via settings."""
    names = {**DEFAULT_ROLE_HOME_URL_NAMES, **getattr(settings, "ROLE_HOME_URL_NAMES", {})}
    return reverse(names[user.role])
