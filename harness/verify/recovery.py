"""Recovery time: from a fault's injection until the SLI is back within SLO and stays there.

"Stays there" is `required` consecutive good windows, so a single lucky window during an outage does not
count as recovery, and damage that shows up a window or two after injection is still attributed to it.
"""

from __future__ import annotations

import pandas as pd


def recovery_time(windows: pd.DataFrame, injected_at_s: float, required: int) -> float | None:
    """Seconds from injection to the start of the first run of `required` good windows; None if never.

    The result is exact to one window: the window containing the injection is the first candidate, and a
    stack that never noticed the fault recovers in 0 s.
    """
    good = windows["good"].tolist()
    starts = windows["start_s"].tolist()
    first = next((i for i, w in enumerate(windows["end_s"]) if w > injected_at_s), None)
    if first is None:
        return None
    for i in range(first, len(good) - required + 1):
        if all(good[i : i + required]):
            return max(0.0, starts[i] - injected_at_s)
    return None
