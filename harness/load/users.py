"""Locust user classes that record every request they send (imports locust: worker process only).

Closed model: each user loops request after request, so latency is measured from the actual send.
Open model: users take intended send times from a shared schedule and latency is measured from the
intended time, so a stalled server shows up as latency and lateness instead of silently fewer requests
(coordinated omission).
"""

from __future__ import annotations

import math
import time
from typing import ClassVar

import gevent
from geventhttpclient.header import Headers
from geventhttpclient.response import HTTPConnectionClosed
from locust import FastHttpUser, constant, task
from locust.contrib.fasthttp import FastHttpSession, FastResponse
from locust.exception import StopUser

from harness.load.config import LoadConfig
from harness.load.features_log import FeatureLog
from harness.load.payloads import PayloadGenerator
from harness.load.samples import Sample, SampleWriter

_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def classify_exception(error: BaseException | None) -> str:
    """Map a transport failure to the coarse error classes the verifier reasons about.

    geventhttpclient wraps the socket error that ended its (single) attempt in `RetriesExceeded`.
    """
    error = getattr(error, "original", None) or error
    if isinstance(error, TimeoutError | gevent.Timeout):
        return "timeout"
    if isinstance(error, ConnectionRefusedError):
        return "connect"
    if isinstance(error, ConnectionResetError | BrokenPipeError | HTTPConnectionClosed):
        return "reset"
    return "other"


def _error_class(status: int, error: BaseException | None) -> str:
    if 200 <= status < 300:
        return ""
    if 500 <= status < 600:
        return "http_5xx"
    if 400 <= status < 500:
        return "http_4xx"
    return classify_exception(error) if status == 0 else "other"


def _header(headers: Headers | None, name: str) -> str:
    """A response header as text, "" when absent (no response at all, or the gateway did not set it)."""
    value = headers.get(name) if headers is not None else None
    if isinstance(value, list):  # repeated header: the last one wins, as with most proxies
        value = value[-1]
    return value or ""


NO_HEADER = -1
"""`attempts` or `degraded` of a response without a (valid) X-Attempts / X-Degraded header: unknown, unlike
a gateway's honest 0 (it answered from its fallback without trying any replica; it answered normally)."""


def _attempts(value: str) -> int:
    try:
        return int(value) if value else NO_HEADER
    except ValueError:
        return NO_HEADER


def _degraded(value: str) -> int:
    return {"true": 1, "false": 0}.get(value.strip().lower(), NO_HEADER)


class RequestRecorder:
    """Sends one request per call and writes its sample; keeps the counts that go into load.json."""

    def __init__(
        self,
        config: LoadConfig,
        payloads: PayloadGenerator,
        writer: SampleWriter,
        features_log: FeatureLog | None,
    ) -> None:
        self._path = config.path
        self._late_tolerance_s = config.late_tolerance_s
        self._payloads = payloads
        self._writer = writer
        self._features_log = features_log
        self.sent = 0
        self.completed = 0
        self.late = 0
        self.in_flight = 0

    def send(self, client: FastHttpSession, t_intended: float | None) -> None:
        """POST one body; `t_intended` is None in the closed model (latency then counts from the send).

        The body is drifted by the intended time, and its rows are logged before the request goes out, so
        features.csv holds every instance sent even if the worker dies with requests in flight.
        """
        t_start = time.time()
        origin = t_start if t_intended is None else t_intended
        payload = self._payloads.next_payload(origin)
        if self._features_log is not None:
            self._features_log.write(origin, payload.rows)
        self.sent += 1
        self.in_flight += 1
        try:
            response: FastResponse = client.request(
                "POST", self._path, data=payload.body, headers=_JSON_HEADERS
            )
        finally:
            self.in_flight -= 1
        t_done = time.time()
        self.completed += 1
        late = int(t_start - origin > self._late_tolerance_s)
        self.late += late
        status = int(response.status_code or 0)
        headers = response.headers
        self._writer.write(
            Sample(
                t_intended=origin,
                t_start=t_start,
                latency_ms=(t_done - origin) * 1000.0,
                status=status,
                ok=int(200 <= status < 300),
                error=_error_class(status, getattr(response, "error", None)),
                replica=_header(headers, "X-Served-By"),
                version=_header(headers, "X-Model-Version"),
                attempts=_attempts(_header(headers, "X-Attempts")),
                degraded=_degraded(_header(headers, "X-Degraded")),
                late=late,
            )
        )


class OpenLoopSchedule:
    """Hands out intended send times t0 + i/rate, one slot per claim, until the end of the run."""

    def __init__(self, t0: float, rate: float, t_end: float) -> None:
        self.t0 = t0
        self.rate = rate
        self.t_end = t_end
        self.claimed = 0

    def claim(self, now: float) -> float | None:
        """The next slot's intended time, or None once the run is over: slots still owed at the end
        are not sent after it (they are counted as not sent instead)."""
        t_intended = self.t0 + self.claimed / self.rate
        if t_intended >= self.t_end or now >= self.t_end:
            return None
        self.claimed += 1
        return t_intended

    def due(self, now: float) -> int:
        """How many slots had their intended time before `now` (capped at the end of the run)."""
        elapsed = min(now, self.t_end) - self.t0
        return max(0, math.ceil(elapsed * self.rate))


class _RecordingUser(FastHttpUser):
    """Users stop themselves (StopUser) when the sending window is over; in-flight requests then drain."""

    abstract = True
    recorder: ClassVar[RequestRecorder]


class ClosedLoopUser(_RecordingUser):
    abstract = True
    deadline: ClassVar[float]

    @task
    def send_request(self) -> None:
        if time.time() >= self.deadline:
            raise StopUser()
        self.recorder.send(self.client, None)


class OpenLoopUser(_RecordingUser):
    abstract = True
    wait_time = constant(0)
    schedule: ClassVar[OpenLoopSchedule]

    @task
    def send_request(self) -> None:
        t_intended = self.schedule.claim(time.time())
        if t_intended is None:
            raise StopUser()
        delay = t_intended - time.time()
        if delay > 0:
            gevent.sleep(delay)
        self.recorder.send(self.client, t_intended)


def build_user_class(
    config: LoadConfig,
    recorder: RequestRecorder,
    t0: float,
) -> tuple[type[_RecordingUser], OpenLoopSchedule | None]:
    """A concrete user class bound to this run (Locust instantiates users from classes, not objects)."""
    t_end = t0 + config.duration_s
    common = {
        "abstract": False,
        "recorder": recorder,
        "network_timeout": config.request_timeout_s,
        "connection_timeout": config.request_timeout_s,
    }
    if config.mode == "open":
        assert config.rate is not None
        schedule = OpenLoopSchedule(t0, config.rate, t_end)
        return type("OpenLoopLoad", (OpenLoopUser,), {**common, "schedule": schedule}), schedule
    closed = {**common, "deadline": t_end, "wait_time": constant(config.think_time_s)}
    return type("ClosedLoopLoad", (ClosedLoopUser,), closed), None
