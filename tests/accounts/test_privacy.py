"""The commissioner home uses the same disclosure rule as the dashboards (see tests/outcomes)."""

import pytest

from accounts.privacy import DisclosureRules, disclose_count


@pytest.mark.parametrize(
    ("count", "shown"), [(0, "0"), (1, "*"), (7, "*"), (8, "10"), (12, "10"), (13, "15")]
)
def test_disclose_count(count, shown):
    assert disclose_count(count) == shown


def test_negative_counts_are_a_bug():
    with pytest.raises(ValueError, match="negative"):
        disclose_count(-1)


def test_thresholds_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        DisclosureRules(min_count=0)
