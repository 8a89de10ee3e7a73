"""Answer quality on a model server we did not write: MLflow's scoring server serving a scikit-learn
pipeline trained on the reference feature schema. The quality expectation passes when the model learned
the data's true function, and fails, on evidence, when it was trained on inverted labels (a labelling bug
that answers 200 OK, as fast as ever)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from stack.model import CATEGORICAL_FEATURES, NUMERIC_FEATURES, sample_rows, true_probability
from tests.e2e.model_servers import ModelServer, drill, start_mlflow

pytestmark = pytest.mark.slow

QUALITY = {"quality": ["accuracy > 90%"], "errors": ["rate < 1%"]}
REFERENCE_ROWS = {"request": {"protocol": "mlflow"}, "profile": {}}
"""MLflow's dataframe_split bodies of the reference feature schema (the profile's default)."""


def save_model(target: Path, inverted: bool) -> Path:
    """A pipeline (scaling, one-hot encoding, logistic regression) trained on reference rows labelled by
    the true function, or by its opposite."""
    rows = sample_rows(np.random.default_rng(3), 3000)
    labels = (np.array(true_probability(rows)) >= 0.5).astype(int)
    numeric = [f["name"] for f in NUMERIC_FEATURES]
    categorical = [f["name"] for f in CATEGORICAL_FEATURES]
    columns = ColumnTransformer(
        [("scaled", StandardScaler(), numeric), ("onehot", OneHotEncoder(), categorical)]
    )
    model = make_pipeline(columns, LogisticRegression(max_iter=500))
    model.fit(pd.DataFrame(rows), 1 - labels if inverted else labels)
    mlflow.sklearn.save_model(model, target, serialization_format="cloudpickle", pip_requirements=[])
    return target


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("third_party_quality")


@pytest.fixture(scope="module", params=["learned", "inverted"])
def served(request: pytest.FixtureRequest, work: Path) -> Iterator[tuple[str, ModelServer]]:
    server = start_mlflow(work, save_model(work / request.param, inverted=request.param == "inverted"))
    yield request.param, server
    server.stop()


def test_quality_is_judged_against_the_ground_truth_on_mlflow(served: tuple[str, ModelServer], work: Path):
    model, server = served
    summary = drill(work, f"quality-{model}", REFERENCE_ROWS, QUALITY, server)
    [quality] = [e for e in summary.expectations if e.metric == "quality"]
    assert next(e for e in summary.expectations if e.metric == "errors").passed  # 200 OK, every answer
    if model == "learned":
        assert quality.passed and quality.observed > 95, quality
        assert summary.verdict == "pass"
    else:
        assert quality.status == "fail" and quality.observed < 10, quality
        assert summary.verdict == "fail"
    assert "rows of" in quality.explanation
