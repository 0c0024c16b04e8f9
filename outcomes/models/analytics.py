"""Daily rollups and engagement tables: what commissioner dashboards read."""

__all__: list[str] = []
