"""WebSocket routes of every app, gathered in one place."""

from community.routing import websocket_urlpatterns as community_ws
from escalation.routing import websocket_urlpatterns as escalation_ws
from moderation.routing import websocket_urlpatterns as moderation_ws

websocket_urlpatterns: list = [*community_ws, *escalation_ws, *moderation_ws]
