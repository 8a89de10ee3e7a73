"""The code base stays `ruff` clean: part of the test command so CI and developers run the same check."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_ruff_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=REPO, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_test_modules_have_unique_basenames():
    """Test folders without __init__.py share one module namespace: two test_x.py files would collide."""
    names = [p.name for p in (REPO / "tests").rglob("test_*.py") if not (p.parent / "__init__.py").exists()]
    assert sorted(names) == sorted(set(names)), sorted(n for n in set(names) if names.count(n) > 1)
