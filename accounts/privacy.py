"""Small-number suppression for anything a commissioner sees.

A count small enough to point at a person is never shown exactly.
"""

SMALL_COUNT_THRESHOLD = 8
ROUND_TO = 5


def suppressed_count(count: int) -> str:
    """Return a count fit for an aggregate view: none, "fewer than 8", or rounded to 5."""
    if count < 0:
        raise ValueError("count cannot be negative")
    if count == 0:
        return "0"
    if count < SMALL_COUNT_THRESHOLD:
        return f"fewer than {SMALL_COUNT_THRESHOLD}"
    return str(ROUND_TO * round(count / ROUND_TO))
