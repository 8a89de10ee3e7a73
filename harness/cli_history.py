"""The commands about drills over time — `suite`, `history`, `trends` — and the recording of every run.

Kept apart from `harness.cli` (which dispatches here) so that module stays about single drills.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.errors import EXIT_BAD_INPUT, HarnessError, InputError
from harness.history.location import (
    HISTORY_ENV,
    STACK_VERSION_ENV,
    HistoryLocation,
    in_effect,
    resolve_history,
    stack_version,
)
from harness.verify.results import RunSummary

COMMANDS = ("suite", "history", "trends")
DEFAULT_LAST = 20


def add_history_options(parser: argparse.ArgumentParser, *, version: bool = True) -> None:
    parser.add_argument(
        "--history", metavar="URL",
        help=f"where runs are recorded: postgresql://..., an SQLite file, or 'off' (default: ${HISTORY_ENV}, "
        "else reports/history.sqlite)",
    )  # fmt: skip
    if version:
        parser.add_argument(
            "--stack-version", metavar="VERSION",
            help=f"version (git commit, tag) of the stack under test, recorded with the run (default: "
            f"${STACK_VERSION_ENV})",
        )  # fmt: skip


def add_commands(commands: argparse._SubParsersAction) -> None:
    suite = commands.add_parser(
        "suite", help="run several drills one after another; one JUnit file and index"
    )
    suite.add_argument(
        "paths", nargs="+", type=Path, metavar="DIR|FILE",
        help="scenario files, folders of them, or suite files (YAML with a `drills` list)",
    )  # fmt: skip
    suite.add_argument("--out", type=Path, help="suite folder (default: reports/suite-<name>-<UTC time>)")
    suite.add_argument("--tag", action="append", default=[], help="only drills with this tag (repeatable)")
    suite.add_argument("--backend", choices=["local", "docker"], help="override stack.backend of every drill")
    suite.add_argument(
        "--set", action="append", default=[], metavar="KEY.PATH=VALUE", dest="overrides",
        help="override a field of every drill (after the suite file's own)",
    )  # fmt: skip
    add_history_options(suite)

    history = commands.add_parser(
        "history", help="the last runs as a table; `history import DIR...` records existing run directories"
    )
    history.add_argument("words", nargs="*", metavar="SCENARIO | import DIR...")
    history.add_argument(
        "--last", type=int, default=DEFAULT_LAST, help=f"runs to show (default {DEFAULT_LAST})"
    )
    add_history_options(history)

    trends = commands.add_parser(
        "trends", help="a self-contained HTML page of every scenario's figures over time"
    )
    trends.add_argument(
        "scenarios", nargs="*", metavar="SCENARIO", help="default: every scenario in the history"
    )
    trends.add_argument("--out", type=Path, required=True, help="folder for index.html")
    trends.add_argument("--last", type=int, default=100, help="runs per scenario (default 100)")
    add_history_options(trends, version=False)


def dispatch(args: argparse.Namespace) -> int:
    if getattr(args, "last", 1) < 1:
        raise InputError("--last: must be 1 or more")
    if args.command == "suite":
        return _suite(args)
    if args.command == "history":
        return _history(args)
    return _trends(args)


def _required_history(given: str | None) -> HistoryLocation:
    location = resolve_history(given)
    if location is None:
        raise InputError(
            "--history off: this command reads or writes the history; give a history URL or file"
        )
    return location


def record_summary(summary: RunSummary, args: argparse.Namespace) -> str:
    """Record a run that just ended (again, if its verdict changed: the same run id is replaced); returns
    the line to print. Called by the runner inside the run's wind-down, so a Ctrl-C during it is noted."""
    from harness.history.recording import record_run
    from harness.history.rows import RunLabels

    location = resolve_history(args.history)
    if location is None:
        return ""
    try:
        record_run(location, summary, RunLabels(stack_version(args.stack_version)))
    except HarnessError as exc:
        return (f"chaosdrill: error: the run was not recorded: {exc} (later: chaosdrill history import "
                f"{summary.run_dir})")  # fmt: skip
    return f"  recorded in history {location.shown}"


def report_recording(line: str, exit_code: int) -> int:
    """Print what `record_summary` said; a history that could not take the run is at least exit 2 (the run
    directory stays, for `history import`)."""
    if not line.startswith("chaosdrill: error:"):
        if line:
            print(line)
        return exit_code
    print(line, file=sys.stderr)
    return max(exit_code, EXIT_BAD_INPUT) if exit_code in (0, 1) else exit_code


def _suite(args: argparse.Namespace) -> int:
    from harness.suite.model import collect_suite
    from harness.suite.outputs import write_suite_outputs
    from harness.suite.runner import NOT_RUN, DrillResult, SuiteOptions, run_suite

    def progress(drill: DrillResult) -> None:
        name = drill.entry.id
        if drill.summary is None:
            print(f"{'NOT RUN' if drill.error == NOT_RUN else 'ERROR'}: {name} — {drill.error}", flush=True)
            return
        print(f"{drill.verdict.upper()}: {name} — report in {drill.run_dir}/report.md", flush=True)
        if drill.summary.incomplete_reason:
            print(f"  why: {drill.summary.incomplete_reason}")
        for expectation in drill.summary.failed:
            print(f"  FAIL {expectation.name}: {expectation.explanation}")
        if drill.history_error:
            print(f"chaosdrill: error: {name} was not recorded: {drill.history_error}", file=sys.stderr)

    location = resolve_history(args.history)
    suite = collect_suite(args.paths, args.tag)
    options = SuiteOptions(
        args.out, args.backend, args.overrides, location, stack_version(args.stack_version)
    )
    with in_effect(args.history):
        result = run_suite(suite, options, progress)
    write_suite_outputs(result)
    print(f"SUITE {result.verdict.upper()}: {result.name} — {len(result.drills)} drills; index in "
          f"{result.out_dir}/index.md, JUnit in {result.out_dir}/junit.xml")  # fmt: skip
    return result.exit_code


def _history(args: argparse.Namespace) -> int:
    from harness.history.store import History
    from harness.history.table import run_table

    location = _required_history(args.history)
    if args.words[:1] == ["import"]:
        return _import(location, [Path(p) for p in args.words[1:]], args.stack_version)
    if args.stack_version is not None:
        raise InputError("--stack-version: only for `history import` (runs are recorded with theirs)")
    if len(args.words) > 1:
        raise InputError(f"history: one scenario at most, got {' '.join(args.words)}")
    scenario = args.words[0] if args.words else None
    with History(location) as history:
        runs = history.recent_runs(scenario, args.last)
    print(run_table(runs) if runs else f"no runs{f' of {scenario}' if scenario else ''} in {location.shown}")
    return 0


def _import(location: HistoryLocation, paths: list[Path], version: str | None) -> int:
    from harness.history.recording import import_runs

    if not paths:
        raise InputError("history import: name at least one run directory or folder of them")
    result = import_runs(location, paths, stack_version(version))
    for skipped in result.skipped:
        print(f"skipped {skipped}")
    print(f"imported {len(result.imported)} runs into {location.shown}")
    return 0


def _trends(args: argparse.Namespace) -> int:
    from harness.history.store import History
    from harness.trends.page import ScenarioTrend, write_trends

    location = _required_history(args.history)
    with History(location) as history:
        known = history.scenarios()
        unknown = [s for s in args.scenarios if s not in known]
        if unknown:
            raise InputError(f"trends: no runs of {', '.join(unknown)} in {location.shown}")
        trends = [
            ScenarioTrend(s, list(reversed(history.recent_runs(s, args.last))))
            for s in args.scenarios or known
        ]
    page = write_trends(args.out, trends, location.shown)
    print(f"trends of {len(trends)} scenarios ({sum(len(t.runs) for t in trends)} runs) in {page}")
    return 0
