"""WCAG 2.1 AA contrast for every colour pair the stylesheet uses, computed from the CSS itself."""

import re

import pytest
from django.contrib.staticfiles import finders


def _palette() -> dict[str, str]:
    with open(finders.find("css/kindred.css"), encoding="utf-8") as f:
        css = f.read()
    root = css.split(":root", 1)[1].split("}", 1)[0]
    return dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})\s*;", root))


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


TEXT_PAIRS = [  # (foreground, background): normal-size text needs 4.5:1
    ("text", "bg"),
    ("text", "surface"),
    ("muted", "bg"),
    ("muted", "surface"),
    ("primary", "bg"),  # links
    ("primary", "surface"),
    ("primary-dark", "surface"),  # secondary buttons, footer links
    ("primary-dark", "bg"),
    ("on-primary", "primary"),  # buttons, contact buttons
    ("on-primary", "primary-dark"),  # their hover state
    ("on-crisis", "crisis"),  # "Need help now?" and call buttons
    ("crisis-text", "crisis-soft"),  # danger box, errors
    ("crisis-text", "surface"),  # field errors inside a card
    ("ok-text", "ok-soft"),  # messages
]
UI_PAIRS = [  # (component, what it sits on): borders, focus rings, pills need 3:1
    ("border", "surface"),
    ("crisis", "surface"),  # crisis pill against the header
    ("crisis", "crisis-soft"),
    ("focus", "bg"),
    ("focus", "surface"),
    ("focus", "crisis-soft"),
]


@pytest.mark.parametrize(("fg", "bg"), TEXT_PAIRS)
def test_text_meets_aa(fg, bg):
    palette = _palette()
    assert contrast(palette[fg], palette[bg]) >= 4.5, (fg, bg, round(contrast(palette[fg], palette[bg]), 2))


@pytest.mark.parametrize(("fg", "bg"), UI_PAIRS)
def test_interface_components_meet_aa(fg, bg):
    palette = _palette()
    assert contrast(palette[fg], palette[bg]) >= 3.0, (fg, bg, round(contrast(palette[fg], palette[bg]), 2))
