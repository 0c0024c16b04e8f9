"""Template tags: the "triage degraded" banner for staff, the member's messages, highlighted spans.

{% load escalation_tags %}
{% triage_health_banner %}        (renders nothing for members, or when triage is healthy)
{% member_case_messages %}        (unread messages from the clinical team, for the member)
{{ post.body|highlight_rules:assessment.rules }}
"""

from __future__ import annotations

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from escalation import health, selectors

register = template.Library()


@register.inclusion_tag("escalation/clinician/_triage_banner.html", takes_context=True)
def triage_health_banner(context) -> dict:
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "is_kindred_staff", False):
        return {"status": None}
    status = health.triage_status()
    return {"status": status if status.degraded else None}


@register.inclusion_tag("escalation/clinician/_member_messages.html", takes_context=True)
def member_case_messages(context) -> dict:
    user = getattr(context.get("request"), "user", None)
    if user is None or not user.is_authenticated:
        return {"unread": []}
    return {"unread": list(selectors.case_messages_for_member(user).filter(read_at__isnull=True)[:5])}


@register.filter
def highlight_rules(text: str, rules) -> str:
    """Escape ``text`` and wrap every span a rule matched in <mark>, so staff see why."""
    spans = []
    for rule in rules or []:
        for span in rule.get("spans") or []:
            try:
                start, end = int(span[0]), int(span[1])
            except (TypeError, ValueError, IndexError):
                continue
            if 0 <= start < end <= len(text):
                spans.append((start, end, str(rule.get("rule_id", "")), str(rule.get("category", ""))))
    spans.sort()
    merged: list[list] = []
    for start, end, rule_id, category in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2].add(f"{rule_id} {category}")
        else:
            merged.append([start, end, {f"{rule_id} {category}"}])
    out, cursor = [], 0
    for start, end, labels in merged:
        out.append(escape(text[cursor:start]))
        title = escape(", ".join(sorted(labels)))
        out.append(f'<mark title="{title}">{escape(text[start:end])}</mark>')
        cursor = end
    out.append(escape(text[cursor:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped
