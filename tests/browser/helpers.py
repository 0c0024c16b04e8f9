"""Helpers for browser tests."""

from __future__ import annotations

import os
import re
from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


def shot(page, name: str) -> Path:
    """Save a full-page screenshot to artifacts/screenshots/<test>-<name>.png; return its path."""
    current = os.environ.get("PYTEST_CURRENT_TEST", "browser-test").split(" ")[0]
    test_name = current.rsplit("::", 1)[-1]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{_safe(test_name)}-{_safe(name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
