"""Staff must turn on two-factor authentication (TOTP, allauth.mfa) before staff pages.

* ``staff_page(*roles)``: view decorator = sign in (redirect), role check (403), TOTP check
  (redirect to allauth's "activate authenticator" page, coming back afterwards), request id
  for the audit log.
* ``StaffMFAMiddleware``: the same TOTP check for whole URL prefixes you do not own the views
  of (``STAFF_MFA_PATH_PREFIXES``, e.g. the clinician pages and the Django admin).
* ``HasStaffMFA``: the same for the REST API (403 with a reason; an API client cannot be sent
  to set it up).

Recovery codes come with allauth.mfa (``MFA_SUPPORTED_TYPES`` includes them): allauth offers
them once TOTP is on. ``MODERATION_STAFF_MFA_REQUIRED = False`` turns the check off (demo only).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from rest_framework.permissions import BasePermission

from accounts.models import STAFF_ROLES
from accounts.permissions import check_role
from moderation import conf
from moderation.audit import request_id_for, set_request_id

MFA_REASON = "Staff accounts need two-factor authentication. Please set up an authenticator app first."


def needs_mfa(user) -> bool:
    """True when ``user`` is staff, the requirement is on, and they have no TOTP authenticator."""
    if not conf.staff_mfa_required():
        return False
    if user is None or not user.is_authenticated or user.role not in STAFF_ROLES:
        return False
    cached = getattr(user, "_kindred_has_totp", None)
    if cached is None:
        cached = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        user._kindred_has_totp = cached
    return not cached


def mfa_setup_redirect(request):
    url = reverse("mfa_activate_totp")
    return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")


def staff_page(*roles: str) -> Callable:
    """Decorator for staff views: signed in, one of ``roles``, TOTP on."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            check_role(request.user, *roles)
            if needs_mfa(request.user):
                return mfa_setup_redirect(request)
            set_request_id(request_id_for(request))
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def default_prefixes() -> tuple[str, ...]:
    return tuple(getattr(settings, "STAFF_MFA_PATH_PREFIXES", ("/clinician/", "/django-admin/", "/guide/")))


class StaffMFAMiddleware:
    """Send staff without TOTP to set it up before any page under ``STAFF_MFA_PATH_PREFIXES``.

    Place after AuthenticationMiddleware and allauth's AccountMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if path.startswith(default_prefixes()) and needs_mfa(getattr(request, "user", None)):
            return mfa_setup_redirect(request)
        return self.get_response(request)


class HasStaffMFA(BasePermission):
    message = MFA_REASON

    def has_permission(self, request, view) -> bool:
        return not needs_mfa(request.user)
