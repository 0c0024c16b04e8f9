"""{% load moderation_tags %}  {% moderation_messages_panel %}: the member's messages from the guides."""

from __future__ import annotations

from django import template

from moderation import selectors

register = template.Library()


@register.inclusion_tag("moderation/_messages_panel.html", takes_context=True)
def moderation_messages_panel(context) -> dict:
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_count": 0, "recent": []}
    return {
        "unread_count": selectors.messages_unread_count(user),
        "recent": list(selectors.messages_for(user)[:3]),
    }
