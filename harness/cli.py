"""`chaosdrill` command line: run, validate and plan drills; serve the embedded Toxiproxy API.

Exit codes: 0 every expectation met, 1 an expectation failed (or could not be measured), 2 bad input or a
drill that did not run as planned (a fault not applied or not cleared, a harness error: one line, no
traceback unless --debug), 130 interrupted (faults cleared, processes stopped, partial report written).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from harness.cli_history import (
    COMMANDS,
    add_commands,
    add_history_options,
    dispatch,
    record_summary,
    report_recording,
)
from harness.errors import EXIT_BAD_INPUT, EXIT_OK, HarnessError
from harness.history.location import in_effect, resolve_history
from harness.interrupts import EXIT_INTERRUPTED, Interrupted, raise_on_signals

if TYPE_CHECKING:
    from harness.verify.results import RunSummary

NO_HALT = "safety.halt=null"
"""What `--no-halt` sets: recorded with the run's overrides, so its report is read back without halts."""


def _seconds(text: str) -> float:
    """`--progress-every 5s`: a duration as scenarios write them."""
    from harness.durations import parse_positive_duration  # pydantic: only when the flag is given

    try:
        return parse_positive_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, exit 2: argparse's default prints the whole usage block first."""
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chaosdrill", description="Chaos and load drills for ML model-serving stacks.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for harness errors")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="run a drill and write its report")
    run.add_argument("scenario", type=Path)
    run.add_argument("--out", type=Path, help="run directory (default: reports/<scenario>-<UTC time>)")
    run.add_argument("--seed", type=int, help="override the scenario's seed (target choice, payloads)")
    run.add_argument("--backend", choices=["local", "docker"], help="override stack.backend")
    run.add_argument(
        "--allow-remote", action="append_const", dest="overrides", default=[],
        const="safety.allow_remote=true", help="allow non-loopback addresses, each named in a warning",
    )  # fmt: skip
    run.add_argument(
        "--no-halt", action="append_const", dest="overrides", const=NO_HALT,
        help="drill without the scenario's safety.halt conditions (for drills that mean to break things)",
    )  # fmt: skip
    run.add_argument(
        "--force",
        action="store_true",
        help="empty --out first if it holds an earlier run (never anything else)",
    )
    shown = run.add_mutually_exclusive_group()
    shown.add_argument(
        "--progress", choices=["auto", "live", "plain", "off"], default="auto",
        help="on stderr: a live view (terminal), a plain line every --progress-every (logs, CI) or nothing; "
        "auto: live on a terminal, else plain",
    )  # fmt: skip
    shown.add_argument("--quiet", action="store_const", const="off", dest="progress", help="no progress")
    run.add_argument("--progress-every", type=_seconds, default=10.0, metavar="DURATION",
                     help="how often a plain progress line is written (default 10s)")  # fmt: skip

    validate = commands.add_parser("validate", help="check a scenario file without running anything")
    validate.add_argument("scenario", type=Path)
    validate.add_argument("--seed", type=int, help="check the targets this seed picks, as run --seed would")

    plan = commands.add_parser("plan", help="print the resolved timeline of load and faults (dry run)")
    plan.add_argument("scenario", type=Path)
    plan.add_argument("--seed", type=int)

    for sub in (run, validate, plan):
        sub.add_argument(
            "--set", action="append", default=[], metavar="KEY.PATH=VALUE", dest="overrides",
            help="override a scenario field, e.g. --set stack.gateway.profile=fragile (repeatable)",
        )  # fmt: skip

    toxiproxy = commands.add_parser("toxiproxy", help="the embedded Toxiproxy-compatible proxy")
    toxiproxy_commands = toxiproxy.add_subparsers(
        dest="toxiproxy_command", required=True, parser_class=_Parser
    )
    serve = toxiproxy_commands.add_parser("serve", help="serve the Toxiproxy HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8474)
    serve.add_argument(
        "--allow-remote", action="store_true",
        help="serve on a non-loopback host and let proxies listen there (the API has no authentication)",
    )  # fmt: skip

    images = commands.add_parser("images", help="container images for the docker backend")
    images_commands = images.add_subparsers(dest="images_command", required=True, parser_class=_Parser)
    build = images_commands.add_parser("build", help="build the base and stack images locally (no registry)")
    build.add_argument("--force", action="store_true", help="rebuild even if the content hash is unchanged")
    wheels = images_commands.add_parser(
        "wheels", help="a requirements file's wheels for chaosdrill/base:bookworm, into a build context"
    )
    wheels.add_argument("requirements", type=Path, help="a pip requirements file")
    wheels.add_argument("--dest", type=Path, required=True, help="a folder inside the build context")

    report = commands.add_parser("report", help="re-verify a run directory and write its reports again")
    report.add_argument("run_dir", type=Path, help="a run directory: complete, interrupted or killed")
    add_history_options(report, version=False)  # regression gates compare with the history
    add_history_options(run)
    add_commands(commands)

    cleanup = commands.add_parser(
        "cleanup", help="remove the containers, networks, proxies and processes killed runs left behind"
    )
    which = cleanup.add_mutually_exclusive_group()
    which.add_argument("--run-id", help="only this run's (alive or not)")
    which.add_argument("--all", action="store_true", help="every chaosdrill run's, live runs included")
    cleanup.add_argument(
        "--toxiproxy-url", action="append", default=[], metavar="URL",
        help="also look for leftover proxies on this Toxiproxy server (runs known to this machine are "
        "looked up on their own server anyway)",
    )  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> int:
    raise_on_signals()  # from the first instruction on: a Ctrl-C during imports is an interrupt, not a crash
    try:
        args = build_parser().parse_args(argv)
        try:
            return _dispatch(args)
        except HarnessError as exc:
            if args.debug:
                traceback.print_exc()
            print(f"chaosdrill: error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        except Exception as exc:  # a bug: still one line and exit 2, never 1 (a failed expectation)
            if args.debug:
                traceback.print_exc()
            print(f"chaosdrill: error: harness crashed: {type(exc).__name__}: {exc} (--debug shows where)",
                  file=sys.stderr)  # fmt: skip
            return EXIT_BAD_INPUT
    except (Interrupted, KeyboardInterrupt) as exc:
        name = exc.signal_name if isinstance(exc, Interrupted) else "SIGINT"
        print(f"chaosdrill: interrupted by {name}; nothing was left running", file=sys.stderr)
        return EXIT_INTERRUPTED


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in ("validate", "plan"):
        from harness.preflight import preflight

        plan = preflight(args.scenario, args.overrides, args.seed)
        if args.command == "plan":
            print(plan.describe())
        else:
            print(f"{args.scenario}: OK ({plan.scenario.name}: {len(plan.faults)} faults, seed {plan.seed})")
        return EXIT_OK
    if args.command == "toxiproxy":
        from faults.toxiproxy.errors import ServeError
        from faults.toxiproxy.server import serve

        try:
            serve(args.host, args.port, args.allow_remote)
        except ServeError as exc:
            raise HarnessError(str(exc)) from None
        return EXIT_OK
    if args.command == "images" and args.images_command == "wheels":
        from harness.backends.docker_images import ship_wheels

        print(f"{len(ship_wheels(args.requirements, args.dest))} wheels in {args.dest}")
        return EXIT_OK
    if args.command == "images":
        from harness.backends.docker_images import BASE_TAG, build_images

        tags = build_images(force=args.force)
        print(f"stack image: {tags.stack} (base {tags.base}, tagged {BASE_TAG})")
        return EXIT_OK
    if args.command == "cleanup":
        return _cleanup(args)
    if args.command == "report":
        from harness.conclude import conclude

        with in_effect(args.history):
            return _print_outcome(conclude(args.run_dir))
    if args.command in COMMANDS:
        return dispatch(args)
    return _run(args)


def _cleanup(args: argparse.Namespace) -> int:
    from harness.cleanup import CleanupScope, cleanup

    result = cleanup(CleanupScope(args.run_id, args.all), args.toxiproxy_url)
    for removed in result.removed:
        print(f"removed {removed}")
    for skipped in result.skipped:
        print(f"skipped {skipped}")
    if result.failed:
        raise HarnessError(f"could not remove {len(result.failed)} objects: {'; '.join(result.failed)}")
    print(f"cleanup: {len(result.removed)} objects removed")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from harness.runner import RunOptions, run_drill

    recorded: list[str] = []
    options = RunOptions(
        out_dir=args.out, seed=args.seed, backend=args.backend, overrides=args.overrides, force=args.force,
        on_summary=lambda summary: recorded.append(record_summary(summary, args)),
        progress=args.progress, progress_every_s=args.progress_every,
    )  # fmt: skip
    resolve_history(args.history)  # a malformed --history is bad input before the drill, not after it
    with in_effect(args.history):
        summary = run_drill(args.scenario, options).summary
    code = _print_outcome(summary)
    if NO_HALT in args.overrides:
        print("  safety halts were off (--no-halt)")
    return report_recording(recorded[-1] if recorded else "", code)


def _print_outcome(summary: RunSummary) -> int:
    """The verdict, each expectation and, for error/incomplete, why: stdout for people, stderr for logs."""
    from harness.verify.verdict import EXIT_CODES

    print(f"{summary.verdict.upper()}: {summary.scenario} — report in {summary.run_dir}/report.md")
    if summary.incomplete_reason:
        print(f"  why: {summary.incomplete_reason}")
    for expectation in summary.expectations:
        mark = {"pass": "ok  ", "fail": "FAIL"}.get(expectation.status, "NOT MEASURED")
        print(f"  {mark} {expectation.name}: {expectation.explanation}")
    if summary.incomplete_reason:
        print(f"chaosdrill: {summary.verdict}: {summary.incomplete_reason}", file=sys.stderr)
    return EXIT_CODES[summary.verdict]


if __name__ == "__main__":
    sys.exit(main())
