"""The crisis link on every page: which region it opens and that region's emergency number."""

from django.http import HttpRequest

from escalation import signposting


def crisis(request: HttpRequest) -> dict:
    signpost = signposting.resources_for(signposting.region_for_request(request))
    return {
        "crisis_region": signpost.region.code,
        "crisis_emergency_number": signpost.region.emergency.number,
        "crisis_emergency_href": signpost.region.emergency.href,
    }
