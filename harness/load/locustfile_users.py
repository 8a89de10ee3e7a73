"""`load.locustfile`: the scenario's own Locust user classes, their requests recorded like chaosdrill's own.

Locust reports every request its HTTP clients (HttpUser's and FastHttpUser's) make on the environment's
`request` event, with its start time, response time, response and exception: the seam where each one is
written to samples.csv (and, failed, to error_samples.jsonl) exactly as chaosdrill's own users' requests
are. The user classes keep their tasks and wait times; they run the closed model (their own pacing), so
a request's intended send time is its actual send time. Their `host` is replaced by the drill's target,
so the loopback-only rule holds for them too. Imports locust: worker process only.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from locust import User
from locust.env import Environment
from locust.util.load_locustfile import load_locustfile

from harness.errors import HarnessError
from harness.load.users import AnswerLog, error_class


def user_classes(path: str, host: str) -> list[type[User]]:
    """The locustfile's (non-abstract) user classes, aimed at `host`; HarnessError if it has none or does
    not import (the message names the file and the error, for the harness's one line)."""
    if not Path(path).is_file():
        raise HarnessError(f"locustfile {path} does not exist")
    try:
        classes, _shapes = load_locustfile(path)
    except Exception as exc:  # the user's module may raise anything at import time
        raise HarnessError(f"locustfile {path} does not import: {type(exc).__name__}: {exc}") from None
    if not classes:
        raise HarnessError(f"locustfile {path} defines no Locust user class (a subclass of HttpUser, ...)")
    for user_class in classes.values():
        user_class.host = host
    return list(classes.values())


class LocustfileRecorder:
    """Listens to Locust's request event and records each request; counts for load.json."""

    def __init__(self, environment: Environment, answers: AnswerLog) -> None:
        self._answers = answers
        environment.events.request.add_listener(self._on_request)

    @property
    def sent(self) -> int:
        return self._answers.completed

    completed = sent
    late = 0
    in_flight = 0
    """Locust reports a request once it is over: none is known to be on the wire."""

    def _on_request(
        self,
        response_time: float,
        response: Any = None,
        exception: BaseException | None = None,
        start_time: float | None = None,
        **_: Any,
    ) -> None:
        t_start = start_time if start_time is not None else time.time() - response_time / 1000.0
        status = int(getattr(response, "status_code", 0) or 0)
        # Locust's verdict counts: the task's own check may accept a 404, or fail a 200 (class `other`).
        failure = "" if exception is None else error_class(status, exception) or "other"
        self._answers.record((t_start, t_start, float(response_time)), status, failure, response, exception)
