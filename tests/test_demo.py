"""The demo a newcomer gets from README's run command."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from community.models import Post, Space, Thread
from escalation.models import Shift

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (User.objects.count(), Space.objects.count(), Thread.objects.count(), Post.objects.count())


def test_seed_demo_builds_a_living_community_and_a_rota_and_is_safe_twice(capsys):
    call_command("seed_demo")
    counts = _counts()
    call_command("seed_demo")
    assert _counts() == counts
    assert counts[1] >= 5
    assert counts[2] >= 8
    now = timezone.now()
    on_duty = Shift.objects.filter(start__lte=now, end__gt=now, clinician__pseudonym="demo_clinician")
    assert on_duty.count() == 1


def test_in_process_schedule_runs_every_periodic_task_once(capsys, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the demo's shape, even when CI sets REDIS_URL
    call_command("run_schedule_inprocess", "--once")
    out = capsys.readouterr().out
    assert "escalation.sweep_unscreened" in out
    assert "escalation.run_escalations" in out
