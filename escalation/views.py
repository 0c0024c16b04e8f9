"""Pages in the escalation app that anyone may see."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from escalation import signposting


@require_GET
@never_cache
def crisis_help(request: HttpRequest) -> HttpResponse:
    """ "Need help now?": crisis numbers for the visitor's region, and every other region's.

    A ``?region=`` choice wins for this page; an anonymous visitor's choice is remembered in
    their session so every later page links straight to it. A logged-in member's saved region
    is not changed here (they may be travelling); their settings page changes it.
    """
    chosen = request.GET.get("region")
    if chosen is not None and chosen.strip():
        signpost = signposting.resources_for(chosen)
        if not signpost.fell_back and not request.user.is_authenticated:
            request.session[signposting.SESSION_KEY] = signpost.region.code
    else:
        signpost = signposting.resources_for(signposting.region_for_request(request))
    others = [r for r in signposting.regions() if r.code != signpost.region.code]
    return render(
        request,
        "escalation/crisis_help.html",
        {
            "signpost": signpost,
            "region": signpost.region,
            "other_regions": others,
            "all_regions": signposting.regions(),
            "elsewhere": signposting.elsewhere(),
        },
    )
