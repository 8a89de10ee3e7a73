"""Locust user classes that record every request they send (imports locust: worker process only).

Closed model: each user loops request after request, so latency is measured from the actual send.
Open model: users take intended send times from a shared schedule and latency is measured from the
intended time, so a stalled server shows up as latency and lateness instead of silently fewer requests
(coordinated omission).
"""

from __future__ import annotations

import math
import time
from typing import Any, ClassVar

import gevent
from geventhttpclient.response import HTTPConnectionClosed
from locust import FastHttpUser, LoadTestShape, constant, task
from locust.contrib.fasthttp import FastHttpSession, FastResponse
from locust.exception import StopUser

from harness.load.config import LoadConfig
from harness.load.error_samples import ErrorSampler
from harness.load.features_log import FeatureLog
from harness.load.label_poster import LabelPoster
from harness.load.observation import AnswerReader
from harness.load.payloads import PayloadGenerator
from harness.load.samples import Sample, SampleWriter
from harness.load.shapes import RateSchedule, StageConfig, users_at
from harness.load.truth import ReferenceTruth, format_truth


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


def error_class(status: int, error: BaseException | None) -> str:
    if 200 <= status < 300:
        return ""
    if 500 <= status < 600:
        return "http_5xx"
    if 400 <= status < 500:
        return "http_4xx"
    return classify_exception(error) if status == 0 else "other"


class AnswerLog:
    """Records one answer: its sample (with the signals the observation mapping reads from it) and, for a
    failure, its error sample. Shared by chaosdrill's own users and a scenario's locustfile."""

    def __init__(self, writer: SampleWriter, reader: AnswerReader, errors: ErrorSampler) -> None:
        self._writer = writer
        self._reader = reader
        self._errors = errors
        self.completed = 0

    def record(
        self,
        timing: tuple[float, float, float],
        status: int,
        failure: str,
        response: FastResponse | Any,
        exception: BaseException | None,
        late: int = 0,
        truth: str = "",
    ) -> None:
        """`timing`: (intended send time, actual send time, latency in ms); `failure`: the error class,
        "" for a success; `truth`: what the request's rows should be answered, where known."""
        t_intended, t_start, latency_ms = timing
        wanted = failure or self._reader.reads_body  # the body is read only when it is looked at
        body = getattr(response, "content", None) if wanted and response is not None else None
        replica, version, attempts, degraded, prediction = self._reader.read(
            getattr(response, "headers", None), body
        )
        if failure:
            detail = body if status else f"{type(exception).__name__}: {exception}".encode()
            self._errors.add(status, failure, detail or b"", t_start)
        self.completed += 1
        self._writer.write(
            Sample(t_intended, t_start, latency_ms, status, int(not failure), failure, replica, version,
                   attempts, degraded, late, prediction, truth)
        )  # fmt: skip


class RequestRecorder:
    """Sends one request per call and records its answer; keeps the counts that go into load.json."""

    def __init__(
        self,
        config: LoadConfig,
        payloads: PayloadGenerator,
        answers: AnswerLog,
        features_log: FeatureLog | None,
        labels: LabelPoster | None = None,
    ) -> None:
        self._path = config.path
        self._method = config.request.method
        self._headers = config.request.send_headers()
        self._late_tolerance_s = config.late_tolerance_s
        self._payloads = payloads
        self._answers = answers
        self._features_log = features_log
        self._truth = ReferenceTruth(payloads.names) if config.truth and not config.replay_label else None
        self.labels = labels
        self.sent = 0
        self.late = 0
        self.in_flight = 0

    @property
    def completed(self) -> int:
        return self._answers.completed

    def send(self, client: FastHttpSession, t_intended: float | None) -> None:
        """Send one body; `t_intended` is None in the closed model (latency then counts from the send).

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
        headers, request_id = self._headers, ""
        if self.labels is not None:
            request_id = self.labels.new_request_id()
            headers = {**headers, self.labels.id_header: request_id}
        try:
            response: FastResponse = client.request(
                self._method, self._path, data=payload.body, headers=headers
            )
        finally:
            self.in_flight -= 1
        t_done = time.time()
        late = int(t_start - origin > self._late_tolerance_s)
        self.late += late
        status = int(response.status_code or 0)
        error = getattr(response, "error", None)
        timing = (origin, t_start, (t_done - origin) * 1000.0)
        truth = self._truth(payload.rows) if self._truth is not None else ""
        if payload.labels is not None:
            truth = format_truth(payload.labels)
        self._answers.record(timing, status, error_class(status, error), response, error, late, truth)
        if self.labels is not None and status == 200 and truth:
            self.labels.schedule(request_id, truth)


class OpenLoopSchedule:
    """Hands out intended send times from the rate schedule, one slot per claim, until the end of the run."""

    def __init__(self, rates: RateSchedule) -> None:
        self.rates = rates
        self.t_end = rates.t_end
        self.claimed = 0

    def claim(self, now: float) -> float | None:
        """The next slot's intended time, or None once the run is over: slots still owed at the end
        are not sent after it (they are counted as not sent instead)."""
        t_intended = self.rates.time_of(self.claimed)
        if t_intended is None or now >= self.t_end:
            return None
        self.claimed += 1
        return t_intended

    def due(self, now: float) -> int:
        """How many slots had their intended time before `now` (capped at the end of the run)."""
        return max(0, math.ceil(self.rates.arrivals_by(min(now, self.t_end))))


class StagedUsers(LoadTestShape):
    """The closed model's user count per stage; Locust asks once a second. Past the last stage it holds the
    last count: the users stop themselves at the deadline, as in a constant load."""

    def __init__(self, stages: list[StageConfig], spawn_rate: float) -> None:
        super().__init__()
        self.stages = stages
        self.spawn_rate = spawn_rate

    def tick(self) -> tuple[int, float]:
        return users_at(self.stages, self.get_run_time()), self.spawn_rate


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
        schedule = OpenLoopSchedule(RateSchedule(t0, config.rate_stages()))
        return type("OpenLoopLoad", (OpenLoopUser,), {**common, "schedule": schedule}), schedule
    closed = {**common, "deadline": t_end, "wait_time": constant(config.think_time_s)}
    return type("ClosedLoopLoad", (ClosedLoopUser,), closed), None
