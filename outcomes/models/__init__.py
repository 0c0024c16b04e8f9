"""Models of the outcomes app, one module per area.

``measures`` holds self-assessments, check-ins and reminder preferences; ``analytics`` holds
the daily rollups and engagement tables that commissioner dashboards read.
"""

from outcomes.models.analytics import *  # noqa: F403
from outcomes.models.measures import *  # noqa: F403
