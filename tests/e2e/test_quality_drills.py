"""Quality under chaos on the reference stack: a canary that answers 200 OK, fast and wrong is rolled back
by the gateway's label-free analysis (its scores diverge from stable's), and the drill fails, naming the
quality expectation, when the analysis only looks at errors and latency. The quality the harness reports
is checked against what the deployed version really answers on the rows really sent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness.load.features_log import read_features
from harness.load.samples import read_samples
from harness.verify.quality import score_samples
from stack.model import FEATURE_SCHEMA, VERSIONS, true_probability
from tests.e2e.drills import assert_all_gone, run_scenario_file

pytestmark = pytest.mark.slow

DRILL = "silent_bad_canary.yaml"
ERRORS_AND_LATENCY_ONLY = ("--set", "stack.gateway.mechanisms.canary_analysis.score_divergence=false")
FLIP20 = ("--set", "faults.0.params.version=v2-flip20")
NAMES = [f["name"] for f in FEATURE_SCHEMA]


def test_a_silent_bad_canary_is_rolled_back_by_its_scores(tmp_path):
    run = run_scenario_file(tmp_path, DRILL)
    assert run.code == 0, run.stdout + run.stderr
    rollback = run.expectation("rollback: silent-canary <= 5s")
    assert "prediction scores diverge from stable" in rollback["explanation"]
    assert run.expectation("errors: rate < 1%")["passed"]
    assert run.expectation("quality: accuracy > 95%")["observed"] > 95
    assert "## Answer quality" in (run.run_dir / "report.md").read_text()
    assert_all_gone(run.child_pids())


def test_with_errors_and_latency_only_a_version_wrong_on_a_fifth_of_rows_fails_on_quality(tmp_path):
    run = run_scenario_file(tmp_path, DRILL, *ERRORS_AND_LATENCY_ONLY, *FLIP20)
    assert run.code == 1, run.stdout + run.stderr
    assert "FAIL quality: accuracy > 95%" in run.stdout
    assert run.expectation("errors: rate < 1%")["passed"]  # nothing else could have seen it
    assert not run.expectation("rollback: silent-canary <= 5s")["passed"]
    assert_measured_as_answered(run.run_dir, run.summary["load_started_at"], "v2-flip20")
    assert_all_gone(run.child_pids())


def assert_measured_as_answered(run_dir, load_start: float, version: str) -> None:
    """Per second of the run, the accuracy the harness measured for `version` is within 2 points of what
    that version answers on the rows sent to it, recomputed from features.csv with the model itself."""
    samples = read_samples(run_dir / "samples.csv")
    features = read_features(run_dir / "features.csv")
    counts = features["t_intended"].value_counts()
    unique = samples[samples["t_intended"].map(counts) == 4]  # a request's rows share its send time
    mine = unique[(unique["version"] == version) & (unique["prediction"] != "")]
    rows = features[features["t_intended"].isin(mine["t_intended"])]
    records = [dict(zip(NAMES, row, strict=True)) for row in rows[NAMES].itertuples(index=False)]
    truth = np.array(true_probability(records))
    answered = np.array(VERSIONS[version].predict(records))
    right = pd.Series((answered >= 0.5) == (truth >= 0.5), index=rows.index)
    expected = right.groupby(second(rows, load_start)).mean() * 100
    scores = score_samples(mine)
    grouped = scores.groupby(second(mine, load_start))
    measured = grouped["rows_correct"].sum() / grouped["rows_scored"].sum() * 100
    compared = [(s, measured[s], expected[s]) for s in expected.index if s in measured.index]
    assert len(compared) >= 10, compared
    assert all(abs(m - e) <= 2 for _, m, e in compared), compared
    assert np.mean([e for _, _, e in compared]) < 90  # the injected drop is really there


def second(frame: pd.DataFrame, load_start: float) -> pd.Series:
    return ((frame["t_intended"] - load_start) // 1.0).astype(int)
