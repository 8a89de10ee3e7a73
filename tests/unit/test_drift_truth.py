"""Ground-truth drift per window, from a features.csv written by the real payload generator and log."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.load.drift import DriftWindow
from harness.load.features_log import FeatureLog, read_features
from harness.load.payloads import PayloadGenerator
from harness.verify.drift_truth import DRIFT_COLUMNS, drift_over_time
from stack.model import FEATURE_SCHEMA

T0 = 1_700_000_000.0
NUMERIC = [feature["name"] for feature in FEATURE_SCHEMA if feature["type"] == "numeric"]


def _sent(
    tmp_path: Path, drifts: list[DriftWindow], rate: float = 100.0, duration: float = 30.0
) -> pd.DataFrame:
    """What a load at `rate` requests/s (2 rows each) sent for `duration` s, through features.csv."""
    generator = PayloadGenerator(FEATURE_SCHEMA, seed=11, rows_per_request=2, drifts=drifts)
    log = FeatureLog(tmp_path / "features.csv", generator.names)
    for t in T0 + np.arange(0.0, duration, 1.0 / rate):
        log.write(float(t), generator.next_payload(float(t)).rows)
    log.close()
    return read_features(tmp_path / "features.csv")


def _drift(transform: str, features: list[str], **params: float) -> DriftWindow:
    return DriftWindow(
        name="d", start_at=T0 + 10.0, end_at=T0 + 20.0, transform=transform, features=features, **params
    )


def _truth(features: pd.DataFrame, window_s: float = 5.0) -> pd.DataFrame:
    return drift_over_time(features, FEATURE_SCHEMA, T0, window_s, seed=3)


def _during(truth: pd.DataFrame) -> pd.Series:
    return (truth["start_s"] >= 10.0) & (truth["end_s"] <= 20.0)


def test_baseline_traffic_shows_no_drift(tmp_path: Path) -> None:
    truth = _truth(_sent(tmp_path, []))
    assert list(truth.columns) == DRIFT_COLUMNS
    assert len(truth) == 6 * len(FEATURE_SCHEMA)
    assert (truth["n"] == 1000).all() and (truth["missing"] == 0).all()
    assert truth["psi"].max() < 0.1 and truth["js"].max() < 0.1
    numeric = truth[truth["feature"].isin(NUMERIC)]
    assert numeric["ks_pvalue"].median() > 0.2 and (numeric["ks_pvalue"] < 0.01).mean() <= 0.1
    assert truth.loc[truth["feature"] == "employment", "ks_stat"].isna().all()


def test_two_sigma_mean_shift_shows_in_its_windows_only(tmp_path: Path) -> None:
    truth = _truth(_sent(tmp_path, [_drift("mean-shift", ["age"], sigma=2.0)]))
    age = truth[truth["feature"] == "age"]
    shifted = age[_during(age)]
    steady = age[~_during(age)]
    assert len(shifted) == 2 and len(steady) == 4
    assert (shifted["psi"] > 0.2).all() and (shifted["ks_pvalue"] < 1e-12).all()
    assert (shifted["js"] > 0.3).all()
    assert (steady["psi"] < 0.1).all() and (steady["ks_pvalue"] > 1e-3).all()
    assert truth.loc[truth["feature"] != "age", "psi"].max() < 0.1


@pytest.mark.parametrize(
    ("drift", "feature", "min_psi"),
    [
        (_drift("category-swap", ["employment"]), "employment", 0.2),
        (_drift("out-of-range", ["income_k"], rate=0.2), "income_k", 0.1),  # +10 % in each end bin
        (_drift("scale", ["credit_lines"], factor=3.0), "credit_lines", 0.2),
    ],
    ids=["category-swap", "out-of-range", "scale"],
)
def test_other_value_drifts_show_in_their_windows_only(
    tmp_path: Path, drift: DriftWindow, feature: str, min_psi: float
) -> None:
    truth = _truth(_sent(tmp_path, [drift]))
    rows = truth[truth["feature"] == feature]
    assert (rows.loc[_during(rows), "psi"] > min_psi).all()
    assert (rows.loc[~_during(rows), "psi"] < 0.1).all()


def test_missing_values_are_counted_apart_from_the_distribution(tmp_path: Path) -> None:
    truth = _truth(_sent(tmp_path, [_drift("missing", ["income_k"], rate=0.3)]))
    income = truth[truth["feature"] == "income_k"]
    assert income.loc[_during(income), "missing"].to_numpy() == pytest.approx([0.3, 0.3], abs=0.05)
    assert (income.loc[~_during(income), "missing"] == 0).all()
    assert income["psi"].max() < 0.1  # values left are still baseline values
    assert (income.loc[_during(income), "n"] == 1000).all()


def test_renamed_feature_is_all_missing_in_its_window(tmp_path: Path) -> None:
    truth = _truth(_sent(tmp_path, [_drift("schema-rename", ["age"])]))
    age = truth[truth["feature"] == "age"]
    assert (age.loc[_during(age), "missing"] == 1.0).all() and age.loc[_during(age), "psi"].isna().all()


def test_sparse_traffic_widens_the_window_to_enough_rows(tmp_path: Path) -> None:
    truth = _truth(_sent(tmp_path, [], rate=10.0), window_s=2.0)  # 20 rows/s: 2 s hold only 40
    widths = (truth["end_s"] - truth["start_s"]).unique()
    assert widths.tolist() == [6.0]  # the smallest multiple of 2 s with ≥ 100 rows
    assert (truth["n"] >= 100).all()


def test_nothing_sent_gives_an_empty_frame() -> None:
    empty = read_features(Path("/nonexistent/features.csv"))
    truth = _truth(empty)
    assert truth.empty and list(truth.columns) == DRIFT_COLUMNS
