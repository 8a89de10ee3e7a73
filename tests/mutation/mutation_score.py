"""Mutation score of the verdict path, per module: mutmut run in a temporary copy of the repository.

    python3 tests/mutation/mutation_score.py [--min 90] [--max-children N]

What is mutated and which tests run is `[tool.mutmut]` in pyproject.toml. The copy keeps mutmut's
`mutants/` folder (a mutated copy of the sources, several MB) out of the working tree, and lets the
check run while the tree is being edited. The score counts a mutant as detected when a test failed on it
or it made the tests time out; anything else (survived, no test ran it) counts against the score.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COPIED = ("pyproject.toml", "harness", "faults", "stack", "scenarios", "tests")
"""What the unit tests need; mutmut copies it again into `mutants/`."""

DETECTED_EXIT_CODES = frozenset({1, 3, 36, 37, 24, -24, 152, 255})
"""mutmut's exit codes of a mutant run for: a test failed (1, 3), the tests timed out (36 and the
SIGXCPU/255 family), the type checker caught it (37). See mutmut/stats.py."""


@dataclass(frozen=True)
class ModuleScore:
    path: str
    detected: int
    total: int
    survivors: tuple[str, ...]

    @property
    def percent(self) -> float:
        return 100.0 * self.detected / self.total if self.total else 100.0


def mutated_modules(repo: Path = REPO) -> list[str]:
    config = tomllib.loads((repo / "pyproject.toml").read_text())
    return list(config["tool"]["mutmut"]["only_mutate"])


def run_mutmut(workdir: Path, max_children: int) -> subprocess.CompletedProcess[str]:
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, workdir / name, ignore=shutil.ignore_patterns("__pycache__", "mutants"))
        else:
            shutil.copy2(source, workdir / name)
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children)]
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False)


def read_scores(workdir: Path, modules: list[str]) -> list[ModuleScore]:
    scores = []
    for module in modules:
        meta = workdir / "mutants" / f"{module}.meta"
        codes = json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}
        survivors = tuple(sorted(name for name, code in codes.items() if code not in DETECTED_EXIT_CODES))
        scores.append(ModuleScore(module, len(codes) - len(survivors), len(codes), survivors))
    return scores


def measure(max_children: int | None = None) -> tuple[list[ModuleScore], str]:
    """Scores per module and mutmut's output (for the reason when a module has no mutants at all)."""
    children = max_children or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="chaosdrill-mutation-") as tmp:
        workdir = Path(tmp)
        completed = run_mutmut(workdir, children)
        return read_scores(workdir, mutated_modules()), completed.stdout[-3000:] + completed.stderr[-3000:]


def table(scores: list[ModuleScore]) -> str:
    detected, total = sum(s.detected for s in scores), sum(s.total for s in scores)
    rows = [f"| `{s.path}` | {s.detected} / {s.total} | {s.percent:.1f}% |" for s in scores]
    overall = f"| all | {detected} / {total} | {100.0 * detected / total if total else 100.0:.1f}% |"
    return "\n".join(["| module | detected / mutants | score |", "| --- | ---: | ---: |", *rows, overall])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min", type=float, default=90.0, help="lowest acceptable score per module (%%)")
    parser.add_argument("--max-children", type=int, default=None, help="parallel mutant runs (default: CPUs)")
    parser.add_argument("--survivors", action="store_true", help="list the mutants no test detected")
    args = parser.parse_args(argv)
    scores, output = measure(args.max_children)
    print(table(scores))
    if args.survivors:
        for score in scores:
            print("\n".join(score.survivors))
    low = [s for s in scores if s.total == 0 or s.percent < args.min]
    if low:
        print(f"below {args.min:g}%: {', '.join(s.path for s in low)}\n{output}", file=sys.stderr)
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
