"""features.csv: every instance the load sent, as the ground truth that drift is measured against."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from harness.load.drift import DriftWindow
from harness.load.features_log import FeatureLog, read_features
from harness.load.process import LoadProcess
from harness.load.samples import read_samples
from tests.load.load_helpers import FEATURES, ScriptedGateway, make_config

NAMES = [feature["name"] for feature in FEATURES]


def test_rows_round_trip_with_empty_cells_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "features.csv"
    log = FeatureLog(path, NAMES)
    log.write(1000.5, [(30.25, 4.5, "a"), (None, 5.0, "NA")])
    log.write(1001.0, [(41.0, None, None)])
    log.close()
    frame = read_features(path)
    assert list(frame.columns) == ["t_intended", *NAMES]
    assert frame["t_intended"].tolist() == [1000.5, 1000.5, 1001.0]
    assert frame["age"].isna().tolist() == [False, True, False] and frame["age"].iloc[0] == 30.25
    assert frame["income"].isna().tolist() == [False, False, True]
    assert frame["segment"].iloc[1] == "NA" and frame["segment"].isna().tolist() == [False, False, True]


def test_truncated_last_line_is_dropped_and_a_missing_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "features.csv"
    log = FeatureLog(path, NAMES, flush_every_s=0.0)
    log.write(1000.0, [(30.0, 4.5, "a")])
    assert len(read_features(path)) == 1  # flushed without closing
    log.close()
    with path.open("a", encoding="utf-8") as handle:
        handle.write("1001.000000,41.")
    assert read_features(path)["age"].tolist() == [30.0]
    assert read_features(tmp_path / "absent.csv").empty


def test_worker_logs_exactly_the_instances_it_sent_with_drift_in_its_window(
    gateway: ScriptedGateway, load_factory: Callable[..., LoadProcess]
) -> None:
    start_at = time.time() + 2.0  # time for the worker to start before its first slot
    window = {"start_at": start_at + 1.0, "end_at": start_at + 2.0}
    drift = DriftWindow(name="shift", transform="mean-shift", features=["income"], **window)
    config = make_config(
        gateway.url,
        mode="open",
        rate=150.0,
        max_users=20,
        duration_s=3.0,
        start_at=start_at,
        drifts=[drift],
        log_features=True,
    )
    process = load_factory(config)
    process.start()
    assert process.wait(timeout=20) == 0
    features = read_features(process.features_path)
    samples = read_samples(process.samples_path)
    assert len(features) == 2 * len(samples) == 2 * process.summary()["sent"] > 0
    assert sorted(set(features["t_intended"])) == sorted(samples["t_intended"])

    logged = sorted(zip(features["age"], features["income"], features["segment"], strict=True))
    received = sorted((row["age"], row["income"], row["segment"]) for row in gateway.instances)
    assert logged == received  # float repr round-trips exactly through the CSV

    inside = (features["t_intended"] >= drift.start_at) & (features["t_intended"] < drift.end_at)
    assert inside.sum() > 100 and (~inside).sum() > 100
    assert np.mean(features.loc[inside, "income"]) == pytest.approx(5.0 + 2 * 2.0, abs=0.5)
    assert np.mean(features.loc[~inside, "income"]) == pytest.approx(5.0, abs=0.5)


def test_no_features_log_unless_asked(
    gateway: ScriptedGateway, load_factory: Callable[..., LoadProcess]
) -> None:
    process = load_factory(make_config(gateway.url))
    process.start()
    assert process.wait(timeout=20) == 0
    assert len(read_samples(process.samples_path)) > 0
    assert not process.features_path.exists()
