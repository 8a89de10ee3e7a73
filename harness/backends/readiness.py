"""Waiting for a freshly started stack to answer, the same way on every backend.

Each backend knows how its pieces die (a process exits, a container stops); the polling, the deadline and
the one-line error that names the setting to raise are the same for all of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from harness.errors import HarnessError


def wait_until_ready(
    what: str,
    url: str,
    deadline: float,
    limit_s: float,
    *,
    fail_fast: Callable[[], None],
    log_tail: Callable[[], str],
    ok_below: int = 300,
    interval_s: float = 0.1,
) -> None:
    """Poll `url` until it answers with a status below `ok_below`.

    `fail_fast` raises as soon as what is being waited for has died, so a crash is reported at once with
    its own message rather than as a timeout; `log_tail` supplies the last log lines for a timeout.
    """
    while True:
        fail_fast()
        try:
            if httpx.get(url, timeout=1.0).status_code < ok_below:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            tail = log_tail()
            detail = f"; last log lines: {tail}" if tail else ""
            raise HarnessError(
                f"{what} not ready at {url} within stack.startup_timeout ({limit_s:g}s){detail}"
            )
        time.sleep(interval_s)
