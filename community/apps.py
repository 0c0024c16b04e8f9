from django.apps import AppConfig


class CommunityConfig(AppConfig):
    """Spaces, threads, posts, reactions, subscriptions, notifications.

    Community is the lowest app above accounts: it exposes named hooks (``community.hooks``:
    ``post_submitted``, ``post_edited``) for escalation/moderation to connect in their own
    ``ready()``; it connects nothing of its own here.
    """

    name = "community"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Community forums"
