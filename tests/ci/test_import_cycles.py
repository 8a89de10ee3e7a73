"""Every module of the product imports first, on its own: an import cycle shows only for the module a
process happens to import first (the docker backend in a subprocess hit one that the CLI's import order
hid), so each is imported in a clean slate of the project's modules, in a child interpreter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("harness", "faults", "stack")

_CHECK = """
import locust  # noqa: F401  gevent patches sockets first, as in any process that imports Locust
import importlib, sys, traceback
failed = []
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m.split(".")[0] in {packages!r}]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name + ": " + traceback.format_exc().strip().splitlines()[-1])
print("\\n".join(failed))
"""


def modules() -> list[str]:
    names = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # run by Alembic, inside its own context
            parts = path.relative_to(REPO).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_imports_first_on_its_own():
    check = _CHECK.format(packages=set(PACKAGES))
    result = subprocess.run(
        [sys.executable, "-c", check, *modules()], cwd=REPO, capture_output=True, text=True, timeout=240
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "", result.stdout


def test_the_check_sees_a_cycle(tmp_path):
    """The check above can fail: two modules importing a name from each other."""
    (tmp_path / "cyc").mkdir()
    (tmp_path / "cyc" / "__init__.py").write_text("")
    (tmp_path / "cyc" / "a.py").write_text("from cyc.b import B\nA = 1\n")
    (tmp_path / "cyc" / "b.py").write_text("from cyc.a import A\nB = 2\n")
    check = _CHECK.format(packages={"cyc"})
    result = subprocess.run(
        [sys.executable, "-c", check, "cyc.a"], cwd=tmp_path, capture_output=True, text=True
    )
    assert "cyc.a: ImportError" in result.stdout, result.stdout + result.stderr
