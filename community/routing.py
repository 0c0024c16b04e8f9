"""WebSocket routes of the community app (gathered into config/routing.py)."""

from django.urls import path

from community.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi(), name="live"),
]
