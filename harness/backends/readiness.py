"""Waiting for a freshly started stack to answer, the same way on every backend.

Each backend knows how its pieces die (a process exits, a container stops); the polling, the deadline and
the one-line error that names the setting to raise are the same for all of them.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx

from harness.errors import HarnessError
from harness.interrupts import check_interrupted

_EXCERPT_CHARS = 120
_RETRYABLE_4XX = frozenset({408, 425, 429})
"""Client errors that say "not now" rather than "wrong request": waiting may fix these."""


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
    setting: str = "",
) -> None:
    """Poll `url` until it answers with a status below `ok_below`.

    `fail_fast` raises as soon as what is being waited for has died, so a crash is reported at once with
    its own message rather than as a timeout; `log_tail` supplies the last log lines for a timeout. A 4xx
    ends the wait at once (a 404 will not fix itself), naming `setting`, the scenario field that chose
    the URL, if any. Every failure says what the endpoint last answered.
    """

    def answered() -> str | None:
        try:
            status, answer = _probe(url)
        except httpx.HTTPError as exc:
            return f"no answer ({': '.join(filter(None, (type(exc).__name__, str(exc))))})"
        if status < ok_below:
            return None
        if 400 <= status < 500 and status not in _RETRYABLE_4XX:
            check = f" (check {setting})" if setting else ""
            raise HarnessError(f"{what} at {url}{check} answered {answer}, which waiting will not fix")
        return f"answered {answer}"

    _poll(what, url, deadline, limit_s, answered, fail_fast, log_tail, interval_s)


def wait_until_listening(
    what: str,
    host: str,
    port: int,
    deadline: float,
    limit_s: float,
    *,
    fail_fast: Callable[[], None],
    log_tail: Callable[[], str],
    interval_s: float = 0.1,
) -> None:
    """Wait until `host:port` accepts a TCP connection: readiness of a server that has no HTTP endpoint
    to ask (a load balancer, a gRPC server), with the same fail-fast and timeout as `wait_until_ready`."""

    def accepted() -> str | None:
        try:
            socket.create_connection((host, port), timeout=1.0).close()
        except OSError as exc:
            return f"no connection ({exc.strerror or type(exc).__name__})"
        return None

    _poll(what, f"{host}:{port}", deadline, limit_s, accepted, fail_fast, log_tail, interval_s)


def _poll(
    what: str,
    where: str,
    deadline: float,
    limit_s: float,
    attempt: Callable[[], str | None],
    fail_fast: Callable[[], None],
    log_tail: Callable[[], str],
    interval_s: float,
) -> None:
    """Call `attempt` (None: ready; else what it last saw) until it is ready or the deadline passes."""
    while True:
        check_interrupted()
        fail_fast()
        last = attempt()
        if last is None:
            return
        if time.monotonic() > deadline:
            tail = log_tail()
            detail = f"; last log lines: {tail}" if tail else ""
            raise HarnessError(
                f"{what} not ready at {where} within stack.startup_timeout ({limit_s:g}s): "
                f"last {last}{detail}"
            )
        time.sleep(interval_s)


def _probe(url: str) -> tuple[int, str]:
    """The status and a one-line description of the answer: `404 Not Found: <start of the body>`; only
    the start of the body is read, however large it is."""
    with httpx.stream("GET", url, timeout=1.0) as response:
        body = b""
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > _EXCERPT_CHARS:
                break
    text = " ".join(body.decode("utf-8", errors="replace").split())
    excerpt = text[:_EXCERPT_CHARS] + ("..." if len(text) > _EXCERPT_CHARS else "")
    answer = f"{response.status_code} {response.reason_phrase}".rstrip()
    return response.status_code, f"{answer}: {excerpt}" if excerpt else answer
