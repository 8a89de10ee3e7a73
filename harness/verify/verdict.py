"""The verdict rule, in one place: a pass means the faults really happened and the stack really held.

Order matters (incomplete > error > halted > fail > pass): an interrupted run is `incomplete` whatever it
measured; a run in which a fault was not applied or not cleared as planned, or the harness failed, is
`error` (its expectations may well have passed, on a drill that did not happen); a run a safety halt
stopped is `halted`: the stack broke badly enough that the drill reverted its faults early, which is the
news whatever the expectations say, and its expectations were measured on a cut-short drill (faults the
halt skipped are not errors: they were skipped on purpose); only then do expectations decide between
`pass` and `fail`, and an expectation without evidence has already failed as "not measured".
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.verify.results import ExpectationResult, FaultRecord, Verdict

EXIT_CODES: dict[Verdict, int] = {"pass": 0, "fail": 1, "halted": 1, "error": 2, "incomplete": 130}


def decide_verdict(
    faults: Sequence[FaultRecord],
    expectations: Sequence[ExpectationResult],
    interruptions: Sequence[str],
    errors: Sequence[str],
    halt: str | None = None,
) -> tuple[Verdict, str | None]:
    """The verdict and, unless it is pass or fail, every reason for it in one line; `halt` is why a safety
    halt stopped the drill (None: none did)."""
    # After an interrupt or a harness error, faults the timeline never reached are expected, not news;
    # faults that went wrong (not applied, not cleared) always are.
    cut_short = bool(interruptions or errors)
    problems = [p for f in faults if (f.error or f.clear_error or not cut_short) and (p := f.problem())]
    if interruptions:
        return "incomplete", "; ".join([*interruptions, *errors, *problems])
    if errors or problems:
        return "error", "; ".join([*errors, *problems])
    if halt:
        return "halted", halt
    if any(not e.passed for e in expectations):
        return "fail", None
    return "pass", None
