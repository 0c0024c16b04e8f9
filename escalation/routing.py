"""WebSocket routes of the escalation app (gathered into config/routing.py)."""

from django.urls import path

from escalation.consumers import ClinicianAlertConsumer

websocket_urlpatterns = [
    path("ws/clinician/", ClinicianAlertConsumer.as_asgi(), name="clinician-alerts"),
]
