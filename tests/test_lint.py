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


def test_tests_import_helpers_one_way():
    """Every test folder is a package and helpers are imported as `tests.<folder>.<module>`: a bare
    `from conftest import ...` or `from helpers import ...` works only by accident of sys.path."""
    folders = [p for p in (REPO / "tests").rglob("*") if p.is_dir() and any(p.glob("*.py"))]
    assert [str(f.relative_to(REPO)) for f in folders if not (f / "__init__.py").exists()] == []
    siblings = {p.stem for p in (REPO / "tests").rglob("*.py")} - {"__init__"}
    bare = [
        f"{path.relative_to(REPO)}: {line.strip()}"
        for path in (REPO / "tests").rglob("*.py")
        for line in path.read_text(encoding="utf-8").splitlines()
        if (words := line.split()) and words[0] in ("from", "import") and len(words) > 1
        and words[1] in siblings
    ]  # fmt: skip
    assert bare == []
