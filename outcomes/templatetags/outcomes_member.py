"""Template tags for pages outside outcomes that show a member's check-in prompts.

``{% load outcomes_member %}{% return_prompt %}`` on the member's home shows the one-time
"welcome back" question after a break of 30 days or more (two queries, members only).
"""

from django import template

from outcomes.measures import selectors

register = template.Library()


@register.inclusion_tag("outcomes/member/_return_prompt.html", takes_context=True)
def return_prompt(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_member:
        return {"return_absence": None}
    return {
        "return_absence": selectors.return_prompt_absence(member=user),
        "csrf_token": context.get("csrf_token"),
    }
