"""`chaosdrill` command line: run, validate and plan drills; serve the embedded Toxiproxy API.

Exit codes: 0 every expectation met, 1 an expectation failed, 2 bad input or harness error (one line, no
traceback unless --debug), 130 interrupted (faults cleared, processes stopped, partial report written).
"""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path
from typing import NoReturn

from harness.errors import EXIT_BAD_INPUT, EXIT_OK, HarnessError


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

    validate = commands.add_parser("validate", help="check a scenario file without running anything")
    validate.add_argument("scenario", type=Path)

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

    images = commands.add_parser("images", help="container images for the docker backend")
    images_commands = images.add_subparsers(dest="images_command", required=True, parser_class=_Parser)
    build = images_commands.add_parser("build", help="build the base and stack images locally (no registry)")
    build.add_argument("--force", action="store_true", help="rebuild even if the content hash is unchanged")

    cleanup = commands.add_parser("cleanup", help="remove what docker runs left behind")
    cleanup.add_argument("--run-id", help="only this run's (default: every chaosdrill run's)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except HarnessError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"chaosdrill: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "validate":
        from harness.scenario import load_scenario

        scenario = load_scenario(args.scenario, args.overrides)
        print(f"{args.scenario}: OK ({scenario.name}: {len(scenario.faults)} faults)")
        return EXIT_OK
    if args.command == "plan":
        from harness.plan import resolve_plan
        from harness.scenario import load_scenario

        print(resolve_plan(load_scenario(args.scenario, args.overrides), args.seed).describe())
        return EXIT_OK
    if args.command == "toxiproxy":
        from faults.toxiproxy.server import serve

        serve(args.host, args.port)
        return EXIT_OK
    if args.command == "images":
        from harness.backends.docker_images import build_images

        tags = build_images(force=args.force)
        print(f"stack image: {tags.stack} (base {tags.base})")
        return EXIT_OK
    if args.command == "cleanup":
        return _cleanup(args.run_id)
    return _run(args)


def _cleanup(run_id: str | None) -> int:
    from harness.backends.docker_cleanup import remove_labelled
    from harness.backends.docker_client import docker_client

    result = remove_labelled(docker_client(), run_id)
    for removed in result.removed:
        print(f"removed {removed}")
    if result.failed:
        raise HarnessError(f"could not remove {len(result.failed)} objects: {'; '.join(result.failed)}")
    print(f"cleanup: {len(result.removed)} objects removed")
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from harness.runner import RunOptions, run_drill

    options = RunOptions(out_dir=args.out, seed=args.seed, backend=args.backend, overrides=args.overrides)
    outcome = run_drill(args.scenario, options)
    summary = outcome.summary
    print(f"{summary.verdict.upper()}: {summary.scenario} — report in {outcome.run_dir}/report.md")
    for expectation in summary.expectations:
        mark = "ok  " if expectation.passed else "FAIL"
        print(f"  {mark} {expectation.name}: {expectation.explanation}")
    if outcome.error:
        print(f"chaosdrill: error: {outcome.error}", file=sys.stderr)
    return outcome.exit_code


if __name__ == "__main__":
    sys.exit(main())
