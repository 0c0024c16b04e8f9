"""Fixtures for the safety path: a space, the rota, settings that make alert channels testable."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from community import services as community_services
from community.models import Space
from escalation import sms
from escalation.models import Shift
from tests.factories import UserFactory

IMMINENT_TEXT = "I have the pills in front of me and I am taking them all tonight. Goodbye everyone."
HIGH_TEXT = "I keep thinking about killing myself lately."
SAFE_TEXT = "Made banana bread for the first time and it came out okay. Small wins!"


@pytest.fixture(autouse=True)
def _alert_settings(settings):
    settings.ESCALATION_ALERT_CHANNELS = ["inapp", "email"]
    settings.ESCALATION_SMS_BACKEND = "escalation.sms.LocmemBackend"
    settings.KINDRED_SITE_URL = "http://testserver"
    # These tests are about the safety path, not moderation's holding of new members' posts
    # while no guide is on shift: the fixtures' members and threads are new.
    settings.MODERATION_HOLD_NEW_MEMBERS_WITHOUT_GUIDE = False
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture
def space(db):
    return Space.objects.create(slug="general", name="General", description="Anything on your mind.")


@pytest.fixture
def thread(member, space):
    return community_services.thread_create(
        author=member, space=space, title="A place to talk", body=SAFE_TEXT
    )


@pytest.fixture
def primary(db):
    return UserFactory(pseudonym="DrPrimary", role="clinician")


@pytest.fixture
def backup(db):
    return UserFactory(pseudonym="DrBackup", role="clinician")


@pytest.fixture
def lead(db):
    user = UserFactory(pseudonym="DrLead", role="clinician")
    user.user_permissions.add(
        Permission.objects.get(codename="duty_lead", content_type__app_label="escalation")
    )
    return user


def make_shift(clinician, tier="primary", *, start=None, hours=8):
    start = start or timezone.now() - timedelta(hours=1)
    return Shift.objects.create(
        clinician=clinician, tier=tier, start=start, end=start + timedelta(hours=hours)
    )


@pytest.fixture
def rota(primary, backup, lead):
    return [make_shift(primary, "primary"), make_shift(backup, "backup"), make_shift(lead, "duty_lead")]


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Run tasks in-process unless the test brings a real worker (marked ``redis``)."""
    if request.node.get_closest_marker("redis"):
        yield
        return
    from config.celery_app import app

    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = saved


@pytest.fixture(autouse=True)
def _fresh_triage_rules():
    """Each test starts from the packaged rules: no cached rules version, no compiled engine.

    The database rolls back after a test but the cache and the process's engine would not.
    """
    from django.core.cache import cache

    from escalation import engine

    cache.delete(engine.VERSION_CACHE_KEY)
    engine.reset_engine()
    yield
    cache.delete(engine.VERSION_CACHE_KEY)
    engine.reset_engine()
