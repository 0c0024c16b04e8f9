from django.apps import AppConfig


class ModerationConfig(AppConfig):
    """Flags, the review queue, actions and sanctions, watched words, the audit log.

    Hand-offs from lower apps (see DESIGN.md):
    * community ``post_submitted`` / ``post_edited`` -> ``moderation.services.post_screen``
      (runs after escalation's screening, so holds it asked for are queued too; a blocked
      watched word refuses the post unless something in it needs a human);
    * community ``posting_check`` -> ``moderation.selectors.posting_refusal`` (suspended or
      banned members can read and get help, not post);
    * escalation ``risk_assessed`` -> ``moderation.services.risk_assessed``;
    * escalation ``concern_raised`` -> ``moderation.services.concern_raised`` (self-assessments).
    """

    name = "moderation"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Moderation"

    def ready(self) -> None:
        from community import hooks as community_hooks
        from escalation import hooks as escalation_hooks
        from moderation import receivers

        community_hooks.post_submitted.connect(
            receivers.on_post_submitted, dispatch_uid="moderation.screen_post"
        )
        community_hooks.post_edited.connect(receivers.on_post_edited, dispatch_uid="moderation.screen_post")
        community_hooks.posting_check.connect(receivers.posting_refusal, dispatch_uid="moderation.sanctions")
        escalation_hooks.risk_assessed.connect(
            receivers.on_risk_assessed, dispatch_uid="moderation.queue_risk"
        )
        escalation_hooks.concern_raised.connect(
            receivers.on_concern_raised, dispatch_uid="moderation.queue_concern"
        )
