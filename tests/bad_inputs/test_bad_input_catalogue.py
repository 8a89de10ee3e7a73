"""The bad-input catalogue: each case ends with exit 2 and ONE line on stderr naming the file and the field,
before anything starts (no run directory, no process left).

Each scenario case is a file in a category folder here, its expected fragment in a header comment
(`# expect: faults[0].params.rate_kbps: required for bandwidth`); `# run: yes` also sends it through
`chaosdrill run`, which refuses it with the same line (validate, plan and run share `harness.preflight`).
Cases that are not scenario files (flags, unreadable, oversized or non-UTF-8 files, `--out`) are in
`cli_cases.txt`. `run` and the flag cases are the real CLI in a subprocess; `validate` cases call the same
`main()` the `chaosdrill` entry point calls, in this process (a subprocess each cost ~0.65 s, 2 minutes for
the catalogue, all of it interpreter start-up).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from harness.cli import main

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CASE_FILES = sorted(p for p in HERE.glob("*/*.yaml") if not p.parent.name.startswith("_"))
RUN_CASES = [p for p in CASE_FILES if re.search(r"^# run: yes$", p.read_text(encoding="utf-8"), re.M)]
VALID = HERE / "_data" / "valid.yaml"
"""A scenario without faults and with a 1 s load: the flag cases need one (were a refusal missing, the run
would end after a second with exit 0, failing the test, rather than drill for long)."""


def _case_id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def _expected(path: Path) -> str:
    match = re.search(r"^# expect: (.+)$", path.read_text(encoding="utf-8"), re.M)
    assert match, f"{path} has no '# expect:' header"
    return match.group(1)


def chaosdrill(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "harness.cli", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def assert_one_line_refusal(result: subprocess.CompletedProcess[str], expected: str) -> None:
    """`expected` is in the line, its ` … `-separated parts in order (between them: paths, lists)."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1, result.stderr
    pattern = ".*".join(re.escape(part) for part in expected.split(" … "))
    assert re.search(pattern, result.stderr), (expected, result.stderr)


def assert_nothing_left(cwd: Path, before: dict[str, bytes]) -> None:
    """No file or folder appeared or changed, and no process (they inherit the cwd) is left behind."""
    assert _snapshot(cwd) == before
    leftovers = []
    for process in psutil.process_iter(["cwd", "cmdline"]):
        if process.info["cwd"] == str(cwd):
            leftovers.append(process.info["cmdline"])
    assert not leftovers


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else b"/" for p in root.rglob("*")}


@pytest.fixture
def cli_in_process(capsys: pytest.CaptureFixture[str]) -> Iterator:
    """`main(argv)` as the entry point runs it; the signal handlers it installs are put back afterwards."""
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}

    def run(args: list[str]) -> subprocess.CompletedProcess[str]:
        code = main(args)
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(["chaosdrill", *args], code, captured.out, captured.err)

    try:
        yield run
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


@pytest.mark.parametrize("path", CASE_FILES, ids=_case_id)
def test_validate_refuses_in_one_line_naming_file_and_field(path: Path, cli_in_process) -> None:
    result = cli_in_process(["validate", str(path)])
    assert_one_line_refusal(result, f"chaosdrill: error: {path}: {_expected(path)}")
    assert result.stdout == ""


@pytest.mark.parametrize("path", RUN_CASES, ids=_case_id)
def test_run_refuses_the_same_way_before_starting_anything(path: Path, tmp_path: Path) -> None:
    result = chaosdrill(["run", str(path), "--out", str(tmp_path / "run")], tmp_path)
    assert_one_line_refusal(result, f"chaosdrill: error: {path}: {_expected(path)}")
    assert_nothing_left(tmp_path, {})


CLI_CASES = [
    line.split(" | ", 2)
    for line in (HERE / "cli_cases.txt").read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]
"""(id, arguments, expected fragment): flags and files that are not scenario cases."""


def _cli_files(tmp: Path) -> dict[str, str]:
    (tmp / "file").write_text("not a directory\n")
    (tmp / "folder").mkdir()
    (tmp / "folder" / "notes.txt").write_text("someone's files\n")
    (tmp / "latin1.yaml").write_bytes("name: caf\xe9\n".encode("latin-1"))
    (tmp / "big.yaml").write_text(VALID.read_text() + "#" * (1 << 20) + "\n")
    (tmp / "huge_value.yaml").write_text("name: bad\nload: {users: 1, duration: '" + "9" * 100_000 + "x'}\n")
    made = {name: str(tmp / f"{name}.yaml") for name in ("latin1", "big", "huge_value")}
    return {
        "tmp": str(tmp),
        "valid": str(VALID),
        "seeded": str(HERE / "_data" / "overlap_with_seed_2.yaml"),
        **made,
    }


@pytest.mark.parametrize(("arguments", "expected"), [pytest.param(a, e, id=n) for n, a, e in CLI_CASES])
def test_flags_and_files_are_refused_in_one_line(arguments: str, expected: str, tmp_path: Path) -> None:
    files = _cli_files(tmp_path)
    before = _snapshot(tmp_path)
    result = chaosdrill([word.format(**files) for word in shlex.split(arguments)], tmp_path)
    assert_one_line_refusal(result, expected.format(**files))
    assert_nothing_left(tmp_path, before)


def test_the_catalogue_covers_every_category() -> None:
    """At least 100 cases, and every category of the issue represented."""
    categories = {path.parent.name for path in CASE_FILES}
    assert categories == {
        "yaml",
        "schema",
        "names",
        "durations",
        "faults",
        "overlaps",
        "load",
        "expectations",
        "stack",
    }
    assert len(CASE_FILES) + len(CLI_CASES) >= 100
    assert len(RUN_CASES) >= 20
