"""`pytest --drills DIR`: a team's own test suite runs chaosdrill drill files as tests.

Registered through the `pytest11` entry point, so installing chaosdrill is all it takes. Each scenario file
directly in DIR (`*.yaml`, `*.yml`) is one test item; it runs `chaosdrill run FILE` in a process of its
own (the harness's signal handling and process cleanup stay as they are) and fails unless the drill
passed, with the verdict, each expectation not met, and the path of the report. Without `--drills` the
plugin does nothing.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

_DIRS = pytest.StashKey[list[Path]]()
_VERDICTS = {1: "FAIL", 2: "ERROR", 130: "INCOMPLETE"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaosdrill", "chaosdrill drills as tests")
    group.addoption(
        "--drills", action="append", default=[], metavar="DIR",
        help="run each chaosdrill scenario file in DIR as a test (repeatable)",
    )  # fmt: skip
    group.addoption(
        "--drills-out", default="reports", metavar="DIR",
        help="where the drills' run directories go (default: reports/)",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    dirs = [Path(d).resolve() for d in config.getoption("drills")]
    for directory in dirs:
        if not directory.is_dir():
            raise pytest.UsageError(f"--drills {directory}: no such folder")
    config.stash[_DIRS] = dirs
    # Collect each drills folder even when the paths pytest was given (or its testpaths) do not cover it.
    given = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    for directory in dirs:
        if not any(directory == path or path in directory.parents for path in given):
            config.args.append(str(directory))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    dirs = parent.config.stash.get(_DIRS, [])
    if file_path.suffix in (".yaml", ".yml") and file_path.parent.resolve() in dirs:
        return DrillFile.from_parent(parent, path=file_path)
    return None


class DrillFile(pytest.File):
    def collect(self) -> list[pytest.Item]:
        return [DrillItem.from_parent(self, name=self.path.stem)]


class DrillFailed(Exception):
    def __init__(self, code: int, run_dir: Path, stdout: str, stderr: str):
        super().__init__(f"drill exited {code}")
        self.code, self.run_dir, self.stdout, self.stderr = code, run_dir, stdout, stderr


class DrillItem(pytest.Item):
    def runtest(self) -> None:
        out = Path(self.config.getoption("drills_out")).resolve()
        run_dir = out / f"{self.path.stem}-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
        self.user_properties.append(("report", str(run_dir / "report.html")))
        argv = [sys.executable, "-m", "harness.cli", "run", str(self.path), "--out", str(run_dir)]
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            stdout, stderr = process.communicate()
        except BaseException:
            # Ctrl-C reached the drill too: let it clear its faults and stop its stack before pytest stops.
            process.send_signal(signal.SIGINT)
            process.communicate()
            raise
        if process.returncode != 0:
            raise DrillFailed(process.returncode, run_dir, stdout, stderr)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: str | None = None) -> str:
        failed = excinfo.value
        if not isinstance(failed, DrillFailed):
            return super().repr_failure(excinfo, style)  # type: ignore[arg-type]
        verdict = _VERDICTS.get(failed.code, f"exit {failed.code}")
        lines = [f"drill {self.path} {verdict} (exit {failed.code}); report: {failed.run_dir / 'report.md'}"]
        lines += [line for line in failed.stdout.splitlines() if line.strip().startswith(("FAIL ", "why:"))]
        lines += [line for line in failed.stderr.splitlines() if line.startswith("chaosdrill:")]
        return "\n".join(lines)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"drill {self.path.name}"
