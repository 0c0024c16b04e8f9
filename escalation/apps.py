from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "escalation"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Crisis escalation"

    def ready(self) -> None:
        # The safety path's entry point: community announces every submitted or edited post, and
        # escalation screens it before anyone else can see it (see escalation.receivers).
        from community import hooks
        from escalation import checks, receivers  # noqa: F401  (checks registers the system checks)

        hooks.post_submitted.connect(receivers.on_post_submitted, dispatch_uid="escalation.screen_post")
        hooks.post_edited.connect(receivers.on_post_edited, dispatch_uid="escalation.screen_post")
