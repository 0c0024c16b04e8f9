"""WebSocket routes of the moderation app (gather into config/routing.py)."""

from django.urls import path

from moderation.consumers import QueueConsumer

websocket_urlpatterns = [
    path("ws/guide/queue/", QueueConsumer.as_asgi(), name="guide-queue"),
]
