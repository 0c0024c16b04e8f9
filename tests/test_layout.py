"""The repository's own shape."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_top_level_package_takes_a_standard_library_name():
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in ROOT.glob("*.py")}
    clashes = (packages | modules) & set(sys.stdlib_module_names)
    assert not clashes, f"top-level names that shadow the standard library: {sorted(clashes)}"
    assert {"config", "accounts", "community", "moderation", "escalation", "outcomes"} <= packages
