"""CI runs exactly what the README tells a developer to run, and that installs what the tests need."""

from __future__ import annotations

import re
import subprocess

from tests.e2e.drills import REPO


def readme_test_command() -> str:
    readme = (REPO / "README.md").read_text()
    block = re.search(r"# install and run the tests[^\n]*\n(.+)\n", readme)
    assert block, "README has no test command"
    return block.group(1).strip()


def test_ci_runs_the_readme_test_command():
    command = readme_test_command()
    assert command.startswith("bash scripts/install-test-deps.sh && ")
    last_line = (REPO / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert last_line == command


def test_the_install_script_is_quick_and_quiet_when_everything_is_installed():
    """The test suite is running, so its system packages are there: nothing to update or install."""
    argv = ["bash", "scripts/install-test-deps.sh"]
    result = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == result.stderr == "", result.stderr
