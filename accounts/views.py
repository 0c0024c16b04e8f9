from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.consents import GUIDELINES_VERSION, PRIVACY_VERSION
from accounts.forms import DeactivateForm, RegionForm
from accounts.models import Role
from accounts.permissions import role_home_url, role_required
from accounts.privacy import disclose_count, disclosure_rules
from accounts.regions import region_name
from accounts.selectors import organisations_for_commissioner


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "landing.html")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its own home."""
    return redirect(role_home_url(request.user))


@role_required(Role.MEMBER)
def member_home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/home_member.html", {"region_name": region_name(request.user.region)})


@role_required(Role.COMMISSIONER)
def commissioner_home(request: HttpRequest) -> HttpResponse:
    rules = disclosure_rules()
    organisations = [
        {"name": org.name, "members": disclose_count(org.member_count, rules)}
        for org in organisations_for_commissioner(request.user)
    ]
    return render(
        request,
        "accounts/home_commissioner.html",
        {"organisations": organisations, "disclosure_legend": rules.legend},
    )


@role_required(Role.ADMIN)
def staff_home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/home_admin.html")


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = RegionForm(request.POST)
        if form.is_valid():
            services.user_update_region(user=user, region=form.cleaned_data["region"])
            messages.success(request, f"Your region is now {region_name(user.region)}.")
            return redirect("account_settings")
        status = 400
    else:
        form = RegionForm(initial={"region": user.region})
        status = 200
    return render(
        request,
        "accounts/settings.html",
        {"form": form, "region_name": region_name(user.region)},
        status=status,
    )


def guidelines(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/guidelines.html", {"version": GUIDELINES_VERSION})


def privacy_notice(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/privacy.html", {"version": PRIVACY_VERSION})


@login_required
@require_http_methods(["GET", "POST"])
def account_deactivate(request: HttpRequest) -> HttpResponse:
    """Members close their own account: an optional exit survey first, then the password again.

    Nothing the member wrote is deleted. Staff accounts are closed by an admin (403 here).
    """
    user = request.user
    if not user.is_member or user.is_staff or user.is_superuser:
        raise PermissionDenied(
            "Staff and commissioner accounts can't be closed here. Please ask a Kindred admin."
        )
    if request.method == "POST":
        form = DeactivateForm(request.POST, user=user)
        if form.is_valid():
            services.user_deactivate(user=user, reason="member")
            logout(request)
            return redirect("account_deactivated")
        status = 400
    else:
        form = DeactivateForm(user=user)
        status = 200
    return render(request, "accounts/deactivate.html", {"form": form}, status=status)


def account_deactivated(request: HttpRequest) -> HttpResponse:
    """The goodbye page, shown after signing out; it says nothing about who left."""
    return render(request, "accounts/deactivated.html")
