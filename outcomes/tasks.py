from outcomes.measures.tasks import redrive_measure_concerns, send_retake_invitations  # noqa: F401
