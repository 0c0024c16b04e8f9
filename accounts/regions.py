"""The regions Kindred serves: the single source of region codes.

A member's region decides which crisis resources they are shown, so every table of crisis
contacts is keyed by exactly these codes.
"""

REGIONS: dict[str, str] = {
    "GB": "United Kingdom",
    "IE": "Ireland",
    "US": "United States",
    "CA": "Canada",
    "AU": "Australia",
    "NZ": "New Zealand",
}

REGION_CHOICES: list[tuple[str, str]] = list(REGIONS.items())

DEFAULT_REGION = "GB"


def region_name(code: str) -> str:
    return REGIONS.get(code, code)
