"""Demo self-assessments and mood check-ins for the demo member, spread over the past weeks.

Safe to run any number of times: a member who already has responses is left alone. Every answer
to PHQ-9 item 9 is 0, so the demo never raises a safety concern by itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from outcomes.measures import services
from outcomes.models import MeasureResponse

#: Fortnightly PHQ-9 and GAD-7 answers, oldest first: a member who is slowly feeling better.
PHQ9_COURSE = [
    [2, 2, 2, 2, 1, 2, 1, 1, 0],  # 13: moderate
    [2, 2, 1, 2, 1, 1, 1, 1, 0],  # 11
    [1, 2, 1, 1, 1, 1, 1, 0, 0],  # 8
    [1, 1, 1, 1, 0, 1, 1, 0, 0],  # 6
    [1, 1, 0, 1, 0, 1, 0, 0, 0],  # 4
]
GAD7_COURSE = [
    [2, 2, 2, 1, 1, 1, 1],  # 10
    [2, 1, 2, 1, 1, 1, 1],  # 9
    [1, 1, 1, 1, 1, 1, 1],  # 7
    [1, 1, 1, 1, 0, 1, 0],  # 5
    [1, 0, 1, 1, 0, 0, 0],  # 3
]
MOODS = [
    (2, "Hard week."),
    (3, ""),
    (2, "Couldn't sleep."),
    (3, "A walk helped."),
    (4, ""),
    (3, ""),
    (4, "Good chat."),
]


@transaction.atomic
def seed_measures_demo(*, member, now: datetime | None = None) -> int:
    """Give ``member`` eight weeks of fortnightly PHQ-9/GAD-7 and some check-ins; return how many
    responses were created (0 when the member already has some)."""
    if MeasureResponse.objects.filter(member=member).exists():
        return 0
    now = now or timezone.now()
    start = now - timedelta(weeks=8, hours=3)
    for index, (phq, gad) in enumerate(zip(PHQ9_COURSE, GAD7_COURSE, strict=True)):
        moment = start + timedelta(weeks=2 * index)
        services.response_submit(member=member, measure_key="phq9", answers=phq, now=moment)
        services.response_submit(
            member=member, measure_key="gad7", answers=gad, now=moment + timedelta(minutes=3)
        )
    for index, (mood, note) in enumerate(MOODS):
        services.mood_checkin_record(
            member=member, mood=mood, note=note, now=start + timedelta(days=8 * index + 1)
        )
    return len(PHQ9_COURSE) + len(GAD7_COURSE)
