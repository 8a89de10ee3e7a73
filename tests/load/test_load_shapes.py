"""Load shapes: the open model's arrivals follow a staged rate schedule (steps, ramps, pauses) exactly per
stage, also while the server stalls (no coordinated omission); the closed model's user count follows its
stages, and users a stage no longer needs finish the request they are sending."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from harness.load.process import LoadProcess
from harness.load.samples import read_samples
from harness.load.shapes import RateSchedule, StageConfig, describe_stages, users_at
from tests.load.load_helpers import ScriptedGateway, make_config

LoadFactory = Callable[..., LoadProcess]

SHAPE = [
    StageConfig(duration_s=1.0, rate=40),
    StageConfig(duration_s=1.0, rate=120, ramp=True),
    StageConfig(duration_s=0.5, rate=0),
    StageConfig(duration_s=1.0, rate=60, ramp=True),
    StageConfig(duration_s=0.5, rate=10, ramp=True),
]
EXPECTED = [40, 80, 0, 30, 17.5]
"""Arrivals per stage: the integral of each stage's rate (ramps start from the previous stage's level)."""


def per_stage(times: np.ndarray, t0: float, stages: list[StageConfig]) -> list[int]:
    edges = t0 + np.cumsum([0.0] + [s.duration_s for s in stages])
    return np.histogram(times, bins=edges)[0].tolist()


def test_a_constant_rate_is_the_same_schedule_as_before_stages() -> None:
    schedule = RateSchedule(100.0, [StageConfig(duration_s=2.0, rate=50)])
    assert [schedule.time_of(k) for k in (0, 1, 99)] == pytest.approx([100.0, 100.02, 101.98])
    assert schedule.time_of(100) is None and schedule.arrivals_by(101.0) == pytest.approx(50)


def test_arrival_times_follow_the_rate_integral_through_ramps_and_pauses() -> None:
    schedule = RateSchedule(0.0, SHAPE)
    times = [t for k in range(1000) if (t := schedule.time_of(k)) is not None]
    assert np.all(np.diff(times) > 0)
    counts = per_stage(np.array(times), 0.0, SHAPE)
    assert all(abs(c - e) <= 1 for c, e in zip(counts, EXPECTED, strict=True)), counts
    assert [schedule.arrivals_by(t) for t in (1.0, 2.0, 2.5, 3.5)] == pytest.approx([40, 120, 120, 150])
    for k in (5, 60, 130, 160):  # the inverse of the integral, to the float
        assert schedule.arrivals_by(schedule.time_of(k)) == pytest.approx(k)
    assert schedule.rate_at(1.5) == pytest.approx(80) and schedule.rate_at(2.2) == 0


def test_the_closed_models_users_step_and_ramp() -> None:
    stages = [StageConfig(duration_s=2, users=2), StageConfig(duration_s=4, users=10, ramp=True)]
    assert [users_at(stages, t) for t in (0, 1.9, 2, 3, 4, 5, 6, 60)] == [2, 2, 2, 4, 6, 8, 10, 10]
    words = describe_stages(
        [{"duration_s": 2.0, "users": 2}, {"duration_s": 4.0, "rate": 10.5, "ramp": True}]
    )
    assert words == "2 users for 2s, ramp to 10.5/s over 4s"


def test_the_worker_sends_each_stages_arrivals_also_through_a_stall(
    gateway: ScriptedGateway, load_factory: LoadFactory
) -> None:
    config = make_config(
        gateway.url, mode="open", rate=None, stages=SHAPE, duration_s=4.0, max_users=40, late_tolerance_s=0.1
    )
    process = load_factory(config)
    process.start()
    starts_at = process.load_starts_at
    assert starts_at is not None
    gateway.stalls = [(starts_at + 1.2, starts_at + 1.6)]  # mid-ramp: arrivals keep their schedule
    assert process.wait(timeout=30) == 0
    samples = read_samples(process.samples_path)
    summary = process.summary()
    counts = per_stage(samples["t_intended"].to_numpy(), summary["started_at"], SHAPE)
    assert all(abs(c - e) <= 1 for c, e in zip(counts, EXPECTED, strict=True)), counts
    assert summary["sent"] == len(samples) and summary["not_sent"] == 0
    stalled = samples[(samples["t_intended"] - summary["started_at"]).between(1.25, 1.5)]
    assert (stalled["latency_ms"] > 100).all() and len(stalled) > 10  # measured from the intended time


def test_users_follow_the_closed_models_stages_and_finish_their_requests(
    gateway: ScriptedGateway, load_factory: LoadFactory
) -> None:
    stages = [
        StageConfig(duration_s=2, users=1),
        StageConfig(duration_s=2, users=6),
        StageConfig(duration_s=2, users=1),
    ]
    config = make_config(gateway.url, users=None, stages=stages, duration_s=6.0, think_time_s=0.05)
    process = load_factory(config)
    process.start()
    assert process.wait(timeout=30) == 0
    samples = read_samples(process.samples_path)
    summary = process.summary()
    assert summary["sent"] == summary["completed"] == len(samples) == gateway.answered  # none cut off
    rates = per_stage(samples["t_start"].to_numpy(), summary["started_at"], stages)
    assert rates[1] > 3.5 * rates[0] and rates[1] > 3.5 * rates[2], rates


def test_a_stage_list_must_fit_the_model_and_the_duration() -> None:
    with pytest.raises(ValueError, match="every stage of the open-model load sets 'rate'"):
        make_config("http://127.0.0.1:1", mode="open", rate=None, stages=[StageConfig(duration_s=1, users=2)])
    with pytest.raises(ValueError, match="add up to duration_s"):
        make_config("http://127.0.0.1:1", users=None, stages=[StageConfig(duration_s=3, users=2)])
    with pytest.raises(ValueError, match="exactly one of 'users' or 'rate'"):
        StageConfig(duration_s=1, users=2, rate=3)
