"""Values every page needs: the site name and the navigation for the visitor's role.

Navigation is built from URL names that are looked up here, so a page whose target does not
exist yet is left out of the menu instead of breaking every page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from accounts.models import Role

#: What the "home" link is called for each role (every role's home is the "home" URL, which
#: sends the person to the right page).
HOME_LABELS = {
    Role.MEMBER: "Home",
    Role.GUIDE: "Guide home",
    Role.CLINICIAN: "Clinician home",
    Role.COMMISSIONER: "Dashboard",
    Role.ADMIN: "Admin home",
}


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    current: bool
    key: str = ""


def _item(request: HttpRequest, url_names: tuple[str, ...], label: str) -> NavItem | None:
    """The first of ``url_names`` that exists, as a link; None if none does."""
    for url_name in url_names:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        key = url_name.rsplit(":", 1)[-1]
        return NavItem(label=label, url=url, current=request.path == url, key=key)
    return None


# Forum links by role, as URL names (accounts may not import community; names are enough).
FORUM_LINKS = {
    Role.MEMBER: [
        (("community:space-list",), "Spaces"),
        (("community:unanswered",), "Waiting for a reply"),
        (("community-search:search",), "Search"),
        (("community:notifications",), "Notifications"),
        (("outcomes:checkins",), "Check-ins"),
    ],
    Role.GUIDE: [
        (("community:space-list",), "Spaces"),
        (("community:unanswered",), "Unanswered"),
        (("community-search:search",), "Search"),
    ],
    Role.CLINICIAN: [(("community:space-list",), "Spaces")],
    Role.COMMISSIONER: [(("outcomes:commissioner-dashboard",), "Dashboards")],
    Role.ADMIN: [
        (("community:space-list",), "Spaces"),
        (("community-search:search",), "Search"),
        (("outcomes:commissioner-dashboard",), "Dashboards"),
    ],
}


def nav_items(request: HttpRequest) -> list[NavItem]:
    """Links for the main navigation. Logging out is a POST form, rendered separately."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        wanted = [(("account_login",), "Log in"), (("account_signup",), "Join")]
    else:
        wanted = [
            (("home",), HOME_LABELS.get(user.role, "Home")),
            *FORUM_LINKS.get(user.role, []),
            (("account_settings", "account-settings"), "Settings"),
        ]
    return [item for name, label in wanted if (item := _item(request, name, label)) is not None]


def kindred(request: HttpRequest) -> dict:
    return {"site_name": "Kindred", "nav_items": nav_items(request)}
