"""Drift windows applied by the payload generator: values and keys change inside the window and only there."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any, get_args

import numpy as np
import pytest

from faults.kinds import data_drift as scenario_faults
from harness.load.config import LoadConfig
from harness.load.drift import DriftTransform, DriftWindow
from harness.load.payloads import Payload, PayloadGenerator
from stack.model import FEATURE_SCHEMA
from stack.validation import RequestRejected, parse_json, validate_payload
from tests.load.load_helpers import FEATURES, make_config

T0 = 1_700_000_000.0
WINDOW = (T0 + 10.0, T0 + 20.0)
NAMES = [feature["name"] for feature in FEATURES]


def _drift(transform: str, features: list[str], **params: Any) -> DriftWindow:
    return DriftWindow(
        name="drift", start_at=WINDOW[0], end_at=WINDOW[1], transform=transform, features=features, **params
    )


def _payloads(
    drifts: list[DriftWindow], times: np.ndarray, schema: list[dict[str, Any]] = FEATURES, seed: int = 5
) -> list[Payload]:
    generator = PayloadGenerator(schema, seed=seed, rows_per_request=4, drifts=drifts)
    return [generator.next_payload(float(t)) for t in times]


def _split(payloads: list[Payload], times: np.ndarray) -> tuple[list[dict], list[dict]]:
    """Instances sent inside the window and outside it."""
    inside, outside = [], []
    for payload, t in zip(payloads, times, strict=True):
        instances = json.loads(payload.body)["instances"]
        (inside if WINDOW[0] <= t < WINDOW[1] else outside).extend(instances)
    return inside, outside


def _values(instances: list[dict], name: str) -> np.ndarray:
    return np.array([row[name] for row in instances], dtype=object)


def _mean(instances: list[dict], name: str) -> float:
    return float(np.mean(_values(instances, name).astype(float)))


def _std(instances: list[dict], name: str) -> float:
    return float(np.std(_values(instances, name).astype(float)))


def _share_missing(instances: list[dict], name: str) -> float:
    return float(np.mean([row[name] is None for row in instances]))


def _share_out_of_range(instances: list[dict], name: str) -> float:
    ages = _values(instances, name).astype(float)
    far = (ages <= 18.0 - 120.0) | (ages >= 90.0 + 120.0)
    assert far.sum() == ((ages < 18.0) | (ages > 90.0)).sum()  # out of range means far out of range
    return float(np.mean(far))


def _share_a(instances: list[dict], name: str) -> float:
    return float(np.mean(_values(instances, name) == "a"))


VALUE_DRIFTS: list[tuple[DriftWindow, Callable[[list[dict], str], float], float, float]] = [
    (_drift("mean-shift", ["income"], sigma=2.0), _mean, 5.0, 9.0),
    (_drift("scale", ["income"], factor=3.0), _std, 2.0, 6.0),
    (_drift("category-swap", ["segment"]), _share_a, 0.5, 0.2),
    (_drift("missing", ["income"], rate=0.3), _share_missing, 0.0, 0.3),
    (_drift("out-of-range", ["age"], rate=0.2), _share_out_of_range, 0.0, 0.2),
]


def _drift_id(value: object) -> str | None:
    """The drift's transform; pytest's own id for the rest. Ids must not hold object addresses: parallel
    test workers (pytest-xdist) must each collect the same names."""
    return value.transform if isinstance(value, DriftWindow) else None


@pytest.mark.parametrize(("drift", "measure", "before", "during"), VALUE_DRIFTS, ids=_drift_id)
def test_value_drift_happens_inside_the_window_and_only_there(
    drift: DriftWindow, measure: Callable[[list[dict], str], float], before: float, during: float
) -> None:
    """Requests alternate between the window and outside it, so a chunk prepared before the window
    opened must still drift from the first request sent inside it."""
    times = np.where(np.arange(2000) % 2 == 0, T0 + 5.0, T0 + 15.0)
    payloads = _payloads([drift], times)
    inside, outside = _split(payloads, times)
    feature = drift.features[0]
    tolerance = 0.1 * max(abs(during - before), 0.5)
    assert measure(outside, feature) == pytest.approx(before, abs=tolerance)
    assert measure(inside, feature) == pytest.approx(during, abs=tolerance)
    baseline_inside, _ = _split(_payloads([], times), times)
    for name in NAMES:
        if name != feature:  # the other features keep their baseline values
            assert [row[name] for row in inside] == [row[name] for row in baseline_inside]
    logged = [row for payload in payloads for row in payload.rows]
    sent = [tuple(row[name] for name in NAMES) for row in inside + outside]
    assert sorted(logged, key=repr) == sorted(sent, key=repr)  # the log carries what the bodies carried


@pytest.mark.parametrize(
    ("transform", "expected_keys", "logged_income"),
    [
        ("schema-rename", {"age", "income_v2", "segment"}, None),
        ("schema-missing", {"age", "segment"}, None),
        ("schema-extra", {"age", "income", "income_extra", "segment"}, "value"),
    ],
)
def test_schema_drift_changes_the_keys_inside_the_window_only(
    transform: str, expected_keys: set[str], logged_income: str | None
) -> None:
    times = np.array([T0 + 5.0, T0 + 12.0, T0 + 25.0])
    before, during, after = _payloads([_drift(transform, ["income"])], times)
    for payload in (before, after):
        assert {key for row in json.loads(payload.body)["instances"] for key in row} == set(NAMES)
        assert all(row[1] is not None for row in payload.rows)
    instances = json.loads(during.body)["instances"]
    assert all(set(row) == expected_keys for row in instances)
    if logged_income is None:  # renamed or dropped: the log has no value for the baseline feature
        assert all(row[1] is None for row in during.rows)
    else:
        assert [row["income_extra"] for row in instances] == [row[1] for row in during.rows]


@pytest.mark.parametrize("transform", ["missing", "schema-rename", "schema-missing", "schema-extra"])
def test_model_server_rejects_missing_values_and_schema_drift_with_4xx(transform: str) -> None:
    feature = "income_k"
    drift = _drift(transform, [feature], rate=1.0)
    (payload,) = _payloads([drift], np.array([T0 + 15.0]), schema=FEATURE_SCHEMA)
    with pytest.raises(RequestRejected) as rejected:
        validate_payload(parse_json(payload.body), max_rows=64)
    assert 400 <= rejected.value.status < 500 and feature in rejected.value.message


@pytest.mark.parametrize(
    ("transform", "feature"),
    [("mean-shift", "income_k"), ("scale", "age"), ("out-of-range", "age"), ("category-swap", "employment")],
)
def test_model_server_silently_scores_value_drift(transform: str, feature: str) -> None:
    """Data drift the schema cannot catch: only a drift monitor can see it."""
    drift = _drift(transform, [feature], rate=1.0)
    for payload in _payloads([drift], np.full(20, T0 + 15.0), schema=FEATURE_SCHEMA):
        assert len(validate_payload(parse_json(payload.body), max_rows=64)) == 4


def test_strength_ramps_linearly_and_stops_at_the_end() -> None:
    ramped = _drift("mean-shift", ["income"], ramp_s=4.0)
    assert [ramped.strength(T0 + dt) for dt in (9.99, 10.0, 11.0, 12.0, 14.0, 19.99, 20.0)] == [
        0.0, 0.0, 0.25, 0.5, 1.0, 1.0, 0.0,
    ]  # fmt: skip
    forever = DriftWindow(name="d", start_at=T0, transform="scale", features=["income"])
    assert forever.strength(T0 - 1) == 0.0 and forever.strength(T0) == forever.strength(T0 + 1e6) == 1.0


@pytest.mark.parametrize(
    ("drift", "measure", "full_change"),
    [
        (_drift("mean-shift", ["income"], ramp_s=10.0), _mean, 2.0 * 2.0),
        (_drift("missing", ["income"], rate=1.0, ramp_s=10.0), _share_missing, 1.0),
    ],
    ids=["mean-shift", "missing"],
)
def test_ramped_drift_grows_monotonically(
    drift: DriftWindow, measure: Callable[[list[dict], str], float], full_change: float
) -> None:
    """Five 2 s steps at strengths 0.1, 0.3, ... 0.9: each drifts more than the one before."""
    times = np.repeat(T0 + 10.0 + np.arange(5) * 2.0 + 1.0, 300)  # 300 requests × 4 rows per step
    payloads = _payloads([drift], times)
    steps = [
        measure([row for p in payloads[i : i + 300] for row in json.loads(p.body)["instances"]], "income")
        for i in range(0, len(payloads), 300)
    ]
    assert all(later > earlier for earlier, later in itertools.pairwise(steps))
    assert steps[-1] - steps[0] == pytest.approx(0.8 * full_change, rel=0.15)


def test_drift_is_deterministic_and_leaves_the_baseline_stream_alone() -> None:
    drifts = [_drift("missing", ["income"], rate=0.5), _drift("category-swap", ["segment"])]
    times = T0 + np.linspace(0.0, 30.0, 500)
    first = [payload.body for payload in _payloads(drifts, times)]
    assert first == [payload.body for payload in _payloads(drifts, times)]
    assert first != [payload.body for payload in _payloads(drifts, times, seed=6)]
    undrifted = [payload.body for payload in _payloads([], times)]
    outside = ~((times >= WINDOW[0]) & (times < WINDOW[1]))
    assert [body for body, out in zip(first, outside, strict=True) if out] == [
        body for body, out in zip(undrifted, outside, strict=True) if out
    ]
    assert first != undrifted


@pytest.mark.parametrize(
    ("drift", "message"),
    [
        (_drift("mean-shift", ["salary"]), "'salary' is not in the feature schema"),
        (_drift("mean-shift", ["segment"]), "needs a numeric feature"),
        (_drift("category-swap", ["age"]), "needs a categorical feature"),
    ],
)
def test_config_rejects_drifts_that_do_not_fit_the_schema(drift: DriftWindow, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_config("http://127.0.0.1:9", drifts=[drift])
    with pytest.raises(ValueError, match=message):
        PayloadGenerator(FEATURES, seed=0, rows_per_request=1, drifts=[drift])


def test_drift_window_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="end_at must be after start_at"):
        DriftWindow(name="d", start_at=T0, end_at=T0, transform="scale", features=["income"])


def test_config_with_drifts_and_replay_round_trips_through_json() -> None:
    config = make_config(
        "http://127.0.0.1:9", drifts=[_drift("scale", ["age"], ramp_s=3.0)], replay="/data/requests.csv"
    )
    assert LoadConfig.model_validate_json(config.model_dump_json()) == config
    assert make_config("http://127.0.0.1:9").drifts == [] and make_config("http://127.0.0.1:9").replay is None


def test_load_supports_every_drift_transform_a_scenario_can_name() -> None:
    assert set(get_args(DriftTransform)) == set(get_args(scenario_faults.DriftTransform))
