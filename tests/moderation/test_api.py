"""The moderation API: same permissions as the pages, 409 on conflicts, in the OpenAPI schema."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.urls import reverse
from rest_framework.test import APIClient

from config.asgi import application  # noqa: F401 - ensures Django is set up for channels
from moderation import services
from moderation.consumers import QueueConsumer
from moderation.models import AuditEntry, ReasonSource, ReviewItem
from tests.moderation.conftest import snapshot

pytestmark = pytest.mark.django_db


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_queue_and_claim_and_conflict(make_post, guide, other_guide):
    item, _ = services.review_item_open_or_join(post=make_post(), source=ReasonSource.OTHER)
    response = api(guide).get(reverse("moderation-api:queue"))
    assert response.status_code == 200
    assert [i["id"] for i in response.json()["items"]] == [item.pk]
    response = api(guide).post(reverse("moderation-api:item-claim", args=[item.pk]))
    assert response.status_code == 200
    assert response.json()["changed"] is True
    before = snapshot()
    response = api(other_guide).post(reverse("moderation-api:item-approve", args=[item.pk]), {})
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "GuideWillow is working on this item" in response.json()["detail"]
    assert snapshot() == before


def test_hide_bad_input_is_400_and_changes_nothing(make_post, guide):
    item, _ = services.review_item_open_or_join(post=make_post(), source=ReasonSource.OTHER)
    services.review_item_claim(item=item, actor=guide)
    before = snapshot()
    response = api(guide).post(reverse("moderation-api:item-hide", args=[item.pk]), {"reason_key": "nope"})
    assert response.status_code == 400
    assert "reason_key" in response.json()["errors"]
    assert snapshot() == before


@pytest.mark.parametrize("who", ["member", "commissioner", "clinician"])
def test_non_guides_get_403(request, who, make_post):
    item, _ = services.review_item_open_or_join(post=make_post(), source=ReasonSource.OTHER)
    client = api(request.getfixturevalue(who))
    assert client.get(reverse("moderation-api:queue")).status_code == 403
    assert client.post(reverse("moderation-api:item-claim", args=[item.pk])).status_code == 403
    assert ReviewItem.objects.get(pk=item.pk).claimed_by_id is None


def test_member_flag_via_api(make_post, member):
    post = make_post()
    response = api(member).post(reverse("moderation-api:post-flag", args=[post.pk]), {"reason": "spam"})
    assert response.status_code == 201
    assert "reporter" not in response.json()
    assert (
        api(member).post(reverse("moderation-api:post-flag", args=[post.pk]), {"reason": "spam"}).status_code
        == 409
    )
    assert AuditEntry.objects.filter(action="moderation.flag.create").count() == 1


def test_schema_lists_the_moderation_endpoints(guide):
    schema = api(guide).get(reverse("api-schema"), {"format": "json"}).json()
    paths = schema["paths"]
    assert any(p.endswith("/moderation/queue/") for p in paths)
    assert any(p.endswith("/items/{id}/claim/") for p in paths)


@pytest.mark.django_db(transaction=True)
def test_queue_socket_refuses_members_and_joins_guides(member, guide):
    async_to_sync(_socket)(member, guide)


async def _socket(member, guide):
    communicator = WebsocketCommunicator(QueueConsumer.as_asgi(), "/ws/guide/queue/")
    communicator.scope["user"] = member
    connected, _ = await communicator.connect()
    assert connected
    closed = await communicator.receive_output()
    assert closed == {"type": "websocket.close", "code": 4403}
    communicator = WebsocketCommunicator(QueueConsumer.as_asgi(), "/ws/guide/queue/")
    communicator.scope["user"] = guide
    await communicator.connect()
    assert await communicator.receive_json_from() == {"event": "moderation.ready", "payload": {}}
    from channels.layers import get_channel_layer

    await get_channel_layer().group_send(
        "moderation.queue",
        {"type": "kindred.event", "event": "moderation.item_changed", "payload": {"item_id": 1}},
    )
    assert await communicator.receive_json_from() == {
        "event": "moderation.item_changed",
        "payload": {"item_id": 1},
    }
    await communicator.disconnect()
