"""The load worker as the harness uses it: a real Locust process against a real HTTP server."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import numpy as np
import pytest

from harness.errors import HarnessError
from harness.load.config import LoadConfig
from harness.load.process import LoadProcess
from harness.load.samples import SAMPLE_COLUMNS, read_samples
from tests.load.load_helpers import ScriptedGateway, make_config

LoadFactory = Callable[..., LoadProcess]


def _run(process: LoadProcess) -> None:
    process.start()
    assert process.wait(timeout=20) == 0


def test_closed_model_records_every_request_with_gateway_headers(
    gateway: ScriptedGateway, load_factory: LoadFactory
) -> None:
    process = load_factory(make_config(gateway.url, users=3, duration_s=1.0))
    _run(process)
    samples = read_samples(process.samples_path)
    summary = process.summary()
    assert tuple(samples.columns) == SAMPLE_COLUMNS
    assert len(samples) == summary["completed"] == summary["sent"] == gateway.answered > 50
    assert summary["mode"] == "closed" and summary["interrupted"] is False
    assert (samples["status"] == 200).all() and (samples["ok"] == 1).all() and (samples["error"] == "").all()
    assert set(samples["replica"]) == {"replica-0", "replica-1"}
    assert set(samples["version"]) == {"v7"}
    assert (samples["attempts"] == 2).sum() == gateway.with_attempts
    assert set(samples["attempts"]) == {-1, 2}  # -1: no X-Attempts header
    assert (samples["degraded"] == 1).sum() == gateway.degraded
    assert set(samples["degraded"]) == {-1, 0, 1}  # -1: no X-Degraded header
    assert (samples["t_intended"] == samples["t_start"]).all() and (samples["late"] == 0).all()
    assert gateway.instances_per_request == {2}
    window = samples["t_start"].max() - samples["t_start"].min()
    assert 0.8 < window <= 1.0 + 0.2
    assert summary["stopped_at"] - summary["started_at"] < 1.0 + 2.0  # duration + at most one request timeout


def test_failures_are_classified(gateway: ScriptedGateway, load_factory: LoadFactory) -> None:
    gateway.status = 503
    unavailable = load_factory(make_config(gateway.url, duration_s=0.5), "unavailable")
    _run(unavailable)
    samples = read_samples(unavailable.samples_path)
    assert len(samples) > 10
    assert (samples["status"] == 503).all() and (samples["ok"] == 0).all()
    assert set(samples["error"]) == {"http_5xx"}
    assert set(samples["replica"]) == {"replica-0", "replica-1"}

    gateway.server_close()  # nothing listens on that port any more
    refused = load_factory(make_config(gateway.url, duration_s=0.5), "refused")
    _run(refused)
    samples = read_samples(refused.samples_path)
    assert len(samples) > 10
    assert (samples["status"] == 0).all() and set(samples["error"]) == {"connect"}
    assert set(samples["replica"]) == {""}


def test_requests_are_bounded_by_the_request_timeout(
    gateway: ScriptedGateway, load_factory: LoadFactory
) -> None:
    process = load_factory(make_config(gateway.url, duration_s=0.5, request_timeout_s=0.3))
    gateway.stalls = [(time.time(), time.time() + 10.0)]
    process.start()
    assert process.wait(timeout=20) == 0
    samples = read_samples(process.samples_path)
    summary = process.summary()
    assert len(samples) >= 2 and set(samples["error"]) == {"timeout"} and (samples["status"] == 0).all()
    assert samples["latency_ms"].between(250, 1000).all()
    assert summary["stopped_at"] - summary["started_at"] < 0.5 + 0.3 + 0.3


def test_open_model_keeps_the_target_rate(gateway: ScriptedGateway, load_factory: LoadFactory) -> None:
    config = make_config(
        gateway.url, mode="open", rate=100.0, max_users=20, duration_s=2.0, late_tolerance_s=0.1
    )
    process = load_factory(config)
    _run(process)
    samples = read_samples(process.samples_path).sort_values("t_intended")
    summary = process.summary()
    assert len(samples) == summary["sent"] == 200 and summary["not_sent"] == 0
    assert np.allclose(np.diff(samples["t_intended"]), 0.01, atol=1e-4)
    assert samples["t_intended"].iloc[0] == pytest.approx(summary["started_at"], abs=1e-5)
    assert (samples["t_start"] >= samples["t_intended"] - 0.002).all()
    assert samples["late"].mean() < 0.3  # a loaded 2-core machine delays some wake-ups
    assert summary["late"] == samples["late"].sum()
    assert np.median(samples["latency_ms"]) < 100


def _stall(gateway: ScriptedGateway, process: LoadProcess, *windows: tuple[float, float]) -> None:
    starts_at = process.load_starts_at
    assert starts_at is not None
    gateway.stalls = [(starts_at + begin, starts_at + end) for begin, end in windows]


def test_open_model_exposes_a_stall_that_the_closed_model_hides(
    gateway_factory: Callable[[], ScriptedGateway], load_factory: LoadFactory
) -> None:
    """A 0.8 s server stall: the open model records it as latency from the intended time, as late
    requests and, when the run ends inside a stall, as slots never sent; the closed model just sends less."""
    open_gateway, closed_gateway = gateway_factory(), gateway_factory()
    rate, users, duration = 50.0, 5, 3.0
    open_load = load_factory(
        make_config(open_gateway.url, mode="open", rate=rate, max_users=users, duration_s=duration), "open"
    )
    closed_load = load_factory(make_config(closed_gateway.url, users=users, duration_s=duration), "closed")
    open_load.start()
    _stall(open_gateway, open_load, (1.0, 1.8), (2.5, 3.3))
    closed_load.start()
    _stall(closed_gateway, closed_load, (1.0, 1.8))
    assert open_load.wait(timeout=20) == 0 and closed_load.wait(timeout=20) == 0

    opened = read_samples(open_load.samples_path)
    summary = open_load.summary()
    slow = opened["latency_ms"] > 300
    assert slow.sum() >= 20  # ~40 slots fall in the first stall, only 5 users can wait in it
    assert opened["latency_ms"].max() > 700
    assert summary["late"] >= 20 and summary["late"] == opened["late"].sum()
    assert summary["not_sent"] >= 10  # the second stall spans the end: its slots never got a free user
    assert summary["sent"] + summary["not_sent"] == rate * duration

    closed = read_samples(closed_load.samples_path)
    closed_slow = closed["latency_ms"] > 300
    assert closed_slow.sum() <= 2 * users  # only the requests caught in the stall, one per user
    assert closed_slow.mean() < 0.05 < slow.mean()
    assert closed_load.summary()["not_sent"] == 0 and closed["late"].sum() == 0


def test_sigterm_mid_run_keeps_samples_and_marks_the_run_interrupted(
    gateway: ScriptedGateway, load_factory: LoadFactory
) -> None:
    process = load_factory(make_config(gateway.url, duration_s=60.0))
    process.start()
    deadline = time.monotonic() + 10
    while len(read_samples(process.samples_path)) < 20:
        assert time.monotonic() < deadline, "no samples reached the disk"
        time.sleep(0.05)
    stopped = time.monotonic()
    process.stop(grace_s=5)
    assert time.monotonic() - stopped < 4
    assert not process.alive
    summary = process.summary()
    samples = read_samples(process.samples_path)
    assert summary["interrupted"] is True
    assert len(samples) == summary["completed"] >= 20
    assert summary["stopped_at"] - summary["started_at"] < 30
    process.stop()  # idempotent


def test_summary_falls_back_to_the_samples_when_the_worker_was_killed(
    gateway: ScriptedGateway, load_factory: LoadFactory
) -> None:
    process = load_factory(make_config(gateway.url, duration_s=60.0))
    process.start()
    deadline = time.monotonic() + 10
    while len(read_samples(process.samples_path)) < 20:
        assert time.monotonic() < deadline, "no samples reached the disk"
        time.sleep(0.05)
    assert process.pid is not None
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=5)
    assert not (process.out_dir / "load.json").exists()
    summary = process.summary()
    samples = read_samples(process.samples_path)
    assert summary["interrupted"] is True and summary["sent"] == len(samples) >= 20


def test_worker_dying_at_start_up_raises_with_its_log(
    gateway: ScriptedGateway, load_factory: LoadFactory
) -> None:
    config = make_config(gateway.url, features=[{"name": "x", "type": "weird"}])
    process = load_factory(config)
    with pytest.raises(HarnessError, match="unknown type 'weird'"):
        process.start()
    assert not process.alive
    assert gateway.answered == 0


def test_config_round_trips_through_json_and_requires_the_mode_parameter() -> None:
    config = make_config("http://127.0.0.1:9", mode="open", rate=20.0)
    assert LoadConfig.model_validate_json(config.model_dump_json()) == config
    with pytest.raises(ValueError, match="needs 'rate'"):
        make_config("http://127.0.0.1:9", mode="open")
    with pytest.raises(ValueError, match="needs 'users'"):
        make_config("http://127.0.0.1:9", users=None)
