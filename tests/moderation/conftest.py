"""Fixtures for moderation: a space and thread, staff with TOTP, a live-event recorder."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from django.utils import timezone

from community import events
from community import services as community_services
from community.models import Space
from moderation.models import AuditEntry, ModerationAction, ModerationMessage, ReviewItem
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _moderation_settings(settings):
    settings.COMMUNITY_NEW_MEMBER_POSTS_PER_MINUTE = 10_000
    settings.COMMUNITY_NEW_MEMBER_THREADS_PER_DAY = 10_000
    # Most tests are about one rule at a time: the "no guide on shift" hold is tested on its own.
    settings.MODERATION_HOLD_NEW_MEMBERS_WITHOUT_GUIDE = False


def enable_totp(user) -> None:
    Authenticator.objects.get_or_create(
        user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": "JBSWY3DPEHPK3PXP"}}
    )


@pytest.fixture
def guide(guide):
    enable_totp(guide)
    return guide


@pytest.fixture
def other_guide(db):
    user = UserFactory(pseudonym="GuideRowan", role="guide")
    enable_totp(user)
    return user


@pytest.fixture
def admin_user(admin_user):
    enable_totp(admin_user)
    return admin_user


@pytest.fixture
def space(db):
    return Space.objects.create(slug="general", name="General", description="Anything on your mind.")


@pytest.fixture
def thread(member, space):
    return community_services.thread_create(
        author=member, space=space, title="A hard week at work", body="Feeling low today."
    )


@pytest.fixture
def make_post(thread, other_member):
    def make(body="Thanks for sharing, that sounds tough.", author=None):
        return community_services.post_create(author=author or other_member, thread=thread, body=body)

    return make


@pytest.fixture
def sent_events(monkeypatch):
    sent: list[tuple[str, dict, list[str]]] = []

    def record(event, payload, groups):
        sent.append((event, payload, list(groups)))

    monkeypatch.setattr(events, "send_event_now", record)
    return sent


def snapshot() -> dict:
    """Row counts that must not change when an action is refused."""
    return {
        "audit": AuditEntry.objects.count(),
        "actions": ModerationAction.objects.count(),
        "messages": ModerationMessage.objects.count(),
        "items": list(
            ReviewItem.objects.order_by("pk").values_list(
                "pk",
                "status",
                "claimed_by_id",
                "claim_expires_at",
                "resolution",
                "first_action_at",
                "priority",
                "reasons",
            )
        ),
    }


def old(user, days=30):
    type(user).objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=days))
    user.refresh_from_db()
    return user
