"""Self-assessments (PHQ-9, GAD-7, ...), mood check-ins and reminder preferences."""

__all__: list[str] = []
