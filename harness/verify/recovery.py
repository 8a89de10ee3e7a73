"""Recovery time: from a fault's injection until the SLI is back within SLO and stays there.

"Stays there" is `required` consecutive good windows, so a single lucky window during an outage does not
count as recovery, and damage that shows up a window or two after injection is still attributed to it;
so is a breach later in the fault's window: recovery is sought after the last one.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Recovery:
    """What the SLO windows after an injection show; at most one of `seconds` and `unconfirmed_s` is set.

    The run can end before a recovery is confirmed: good windows at the very end, but fewer than
    `required`. That is neither a recovery nor a "never recovered"; the evidence ran out.
    """

    seconds: float | None
    """Seconds from injection to the start of the first run of `required` good windows after the fault's
    last breach; None if none."""
    unconfirmed_s: float | None = None
    """When the run ended inside a run of good windows too short to confirm: seconds from injection to its
    start (so the recovery took at least this long)."""
    windows_left: int = 0
    """SLO windows from the one containing the injection to the end of the run."""


def assess_recovery(
    windows: pd.DataFrame, injected_at_s: float, required: int, until_s: float | None = None
) -> Recovery:
    """Exact to one window: the window containing the injection is the first candidate, and a stack that
    never noticed the fault recovers in 0 s.

    `until_s`, the end of the fault's window: a window that missed the SLO and began before it is damage
    the fault did, so recovery is only sought after the last such window. Good windows first and a breach
    later in the fault (the fallback model taking over after six seconds, a queue filling up) are not a
    recovery. Without it only the first run of good windows counts."""
    good = windows["good"].tolist()
    starts = windows["start_s"].tolist()
    first = next((i for i, end in enumerate(windows["end_s"]) if end > injected_at_s), len(good))
    search = first
    if until_s is not None:
        breaches = [i for i in range(first, len(good)) if not good[i] and starts[i] < until_s]
        search = max(search, breaches[-1] + 1) if breaches else search
    for i in range(search, len(good)):
        if all(good[i : i + required]):
            since = max(0.0, starts[i] - injected_at_s)
            if i + required <= len(good):
                return Recovery(since, None, len(good) - first)
            return Recovery(None, since, len(good) - first)
    return Recovery(None, None, len(good) - first)
