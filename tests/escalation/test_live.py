"""The clinician socket replays pending alerts on reconnect; Redis down at submission."""

from __future__ import annotations

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import reverse
from django.utils import timezone

from community.models import Post, PostState
from escalation import services
from escalation.models import Alert, CrisisCase, RiskAssessment
from escalation.routing import websocket_urlpatterns
from tests.escalation.conftest import IMMINENT_TEXT
from tests.escalation.test_cases import open_case


def communicator(user):
    app = URLRouter(websocket_urlpatterns)
    comm = WebsocketCommunicator(app, "/ws/clinician/")
    comm.scope["user"] = user
    return comm


@pytest.mark.django_db(transaction=True)
def test_reconnecting_clinician_receives_every_pending_alert_then_live_ones(member, rota, primary):
    async_to_sync(_replay_then_live)(member, primary)


async def _replay_then_live(member, primary):
    case = await sync_to_async(open_case)(member)
    alert = await sync_to_async(Alert.objects.get)()
    comm = communicator(primary)
    connected, _ = await comm.connect()
    assert connected
    replay = await comm.receive_json_from()
    assert replay == {
        "event": "crisis.alert",
        "payload": {
            "alert_id": alert.pk,
            "case_id": case.pk,
            "round": 1,
            "level": "imminent",
            "target": "primary",
            "created_at": alert.created_at.isoformat(),
            "replay": True,
        },
    }
    assert await comm.receive_json_from() == {"event": "crisis.ready", "payload": {"pending": 1}}
    await sync_to_async(services.case_acknowledge)(case=case, actor=primary)
    closed = await comm.receive_json_from()
    assert closed == {
        "event": "crisis.alert_closed",
        "payload": {"alert_id": alert.pk, "case_id": case.pk, "status": "acknowledged"},
    }
    assert (await comm.receive_json_from())["event"] == "crisis.case_changed"
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["member", "guide", "commissioner"])
def test_socket_refuses_non_clinicians(request, who):
    async_to_sync(_refused)(request.getfixturevalue(who))


async def _refused(user):
    comm = communicator(user)
    await comm.connect()
    assert (await comm.receive_output())["code"] == 4403


@pytest.mark.django_db
def test_redis_down_at_submission_keeps_the_post_and_shows_resources(
    client, member, thread, rota, django_capture_on_commit_callbacks, monkeypatch
):
    from celery import Celery

    from escalation import tasks

    # A real publish to a broker that is down: a separate app pointed at a closed port, so the
    # project's app is left untouched for the other tests.
    down = Celery("broker-down", broker="redis://127.0.0.1:1/5", set_as_current=False)
    down.conf.broker_connection_retry = False
    down.conf.task_publish_retry = False
    attempts = []

    def publish_to_dead_broker(*args, **kwargs):
        attempts.append(args)
        return down.send_task(tasks.assess_post.name, args=args)

    monkeypatch.setattr(tasks.assess_post, "delay", publish_to_dead_broker)
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("community:thread-detail", args=[thread.pk]), {"body": IMMINENT_TEXT}, follow=True
        )
    down.close()
    assert len(attempts) == 1
    assert response.status_code == 200
    assert "Samaritans" in response.content.decode()
    post = Post.objects.get(body=IMMINENT_TEXT)
    assert post.state == PostState.HELD
    assert post.screened_at is None
    assert not RiskAssessment.objects.exists()
    # Redis is back: the sweeper screens it and the case opens.
    services.posts_sweep_unscreened(now=timezone.now() + timedelta(seconds=31))
    post.refresh_from_db()
    assert post.screened_at is not None
    assert CrisisCase.objects.get(member=member).alerts.count() == 1
