import pytest

from accounts.privacy import suppressed_count


@pytest.mark.parametrize(
    ("count", "shown"),
    [
        (0, "0"),
        (1, "fewer than 8"),
        (7, "fewer than 8"),
        (8, "10"),
        (12, "10"),
        (13, "15"),
        (17, "15"),
        (18, "20"),
        (100, "100"),
        (1234, "1235"),
    ],
)
def test_suppressed_count(count, shown):
    assert suppressed_count(count) == shown


def test_negative_counts_are_a_bug():
    with pytest.raises(ValueError, match="negative"):
        suppressed_count(-1)
