"""Train the canary drill's two model versions, as MLflow model folders in one folder:

- model-v1/: the stable version, the logistic regression of ../processes_haproxy_mlflow/train.py;
- model-v2/: the bad version: v1's classifier behind a new input check with a bug (a unit mix-up) that
  raises for every row with an income below 4, about 30% of the rows the drill sends. MLflow's scoring
  server answers those requests with 400 ("Encountered an unexpected error while evaluating the model").
  It answers /ping like any healthy server: only the canary's error rate gives it away.

    python3 scenarios/examples/processes_canary_rollback/train.py     # model-v1/ and model-v2/ here
    python3 train.py /tmp/canary                                      # /tmp/canary/model-v1, .../model-v2
"""

from __future__ import annotations

import argparse
import runpy
import shutil
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import mlflow.sklearn
import pandas as pd

STABLE_TRAIN = Path(__file__).resolve().parents[1] / "processes_haproxy_mlflow" / "train.py"
MIN_INCOME = 4.0
"""What v2's input check wrongly takes as the lowest valid income."""


class IncomeCheckedClassifier(mlflow.pyfunc.PythonModel):  # type: ignore[misc]  # mlflow is untyped
    """Version 2: v1's classifier (an artifact of the model) behind the faulty input check. Pickled by
    value with the model (it is defined in __main__), so the scoring server needs no code from here."""

    def load_context(self, context: Any) -> None:
        self.classifier = mlflow.sklearn.load_model(context.artifacts["classifier"])

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> Any:
        low = model_input["income"] < MIN_INCOME
        if low.any():
            raise ValueError(f"{int(low.sum())} rows with an income below {MIN_INCOME:g}")
        return self.classifier.predict(model_input)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", nargs="?", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    stable, bad = args.folder / "model-v1", args.folder / "model-v2"
    runpy.run_path(str(STABLE_TRAIN))["main"]([str(stable)])
    if (bad / "MLmodel").is_file():
        shutil.rmtree(bad)  # a model trained before: MLflow refuses to overwrite a folder
    mlflow.pyfunc.save_model(
        bad,
        python_model=IncomeCheckedClassifier(),
        artifacts={"classifier": str(stable)},
        pip_requirements=[],
    )


if __name__ == "__main__":
    main()
