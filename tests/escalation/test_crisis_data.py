"""The crisis resources file and its loader."""

import copy
import datetime
import json

import pytest

from accounts.regions import DEFAULT_REGION, REGIONS
from escalation import signposting
from escalation.signposting import CrisisDataError


@pytest.fixture
def raw():
    return json.loads(signposting.DATA_FILE.read_text(encoding="utf-8"))


def test_the_shipped_file_validates_and_covers_every_region():
    data = signposting.load()
    assert list(data.regions) == list(REGIONS)
    for region in data.regions.values():
        assert region.name == REGIONS[region.code]
        assert region.emergency.number.strip()
        assert region.emergency.source.url.startswith("https://")
        assert any(r.is_crisis_line for r in region.resources), region.code
        for resource in region.resources:
            assert resource.source.url.startswith("https://"), resource.name
            assert resource.source.recorded <= datetime.date.today()
            assert resource.contacts
            assert resource.hours
            assert resource.cost


@pytest.mark.parametrize(
    ("code", "emergency", "line"),
    [
        ("GB", "999", "116 123"),
        ("IE", "112", "116 123"),
        ("US", "911", "988"),
        ("CA", "911", "988"),
        ("AU", "000", "13 11 14"),
        ("NZ", "111", "1737"),
    ],
)
def test_well_known_numbers(code, emergency, line):
    region = signposting.resources_for(code).region
    assert region.emergency.number == emergency
    assert line in [c.value for r in region.resources for c in r.contacts]


def test_contacts_become_tappable_links():
    gb = signposting.resources_for("GB").region
    assert gb.emergency.href == "tel:999"
    contacts = {c.value: c for r in gb.resources for c in r.contacts}
    assert contacts["116 123"].href == "tel:116123"
    assert contacts["85258"].href == "sms:85258?body=SHOUT"
    assert contacts["85258"].label == "Text SHOUT to 85258"


def test_lookup_normalises_and_falls_back():
    assert signposting.resources_for(" ie ").region.code == "IE"
    assert signposting.resources_for(" ie ").fell_back is False
    unknown = signposting.resources_for("ZZ")
    assert (unknown.region.code, unknown.requested, unknown.fell_back) == (DEFAULT_REGION, "ZZ", True)
    for nothing in ("", None, 42):
        signpost = signposting.resources_for(nothing)
        assert signpost.region.code == DEFAULT_REGION
        assert signpost.fell_back is False
    assert len(signposting.resources_for("X" * 500).requested) == 8


def test_loaded_once_and_cached():
    assert signposting.load() is signposting.load()


def _break(raw, path, value=None, delete=False):
    broken = copy.deepcopy(raw)
    target = broken
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return broken


@pytest.mark.parametrize(
    ("path", "value", "delete", "message"),
    [
        (["regions", "IE", "emergency", "number"], None, True, "missing 'number'"),
        (["regions", "IE", "emergency", "number"], "call the police", False, "cannot be dialled"),
        (["regions", "GB", "resources", 0, "source"], None, True, "missing 'source'"),
        (["regions", "GB", "resources", 0, "source", "url"], "http://example.org", False, "https"),
        (["regions", "GB", "resources", 0, "source", "recorded"], "last week", False, "YYYY-MM-DD"),
        (["regions", "GB", "resources", 0, "contacts"], [], False, "at least one way"),
        (["regions", "GB", "resources", 0, "hours"], "  ", False, "'hours' must be"),
        (["regions", "NZ"], None, True, "no crisis resources for regions: NZ"),
        (["regions", "ZZ"], {}, False, "'ZZ' is not a region code"),
        (["regions", "US", "resources", 0, "contacts", 0, "method"], "carrier pigeon", False, "unknown"),
    ],
)
def test_invalid_data_is_rejected(raw, path, value, delete, message):
    with pytest.raises(CrisisDataError, match=message):
        signposting.parse(_break(raw, path, value, delete))


def test_a_region_without_a_crisis_line_is_rejected(raw):
    for resource in raw["regions"]["AU"]["resources"]:
        resource["kind"] = "support_line"
    with pytest.raises(CrisisDataError, match="AU: needs at least one crisis line"):
        signposting.parse(raw)
