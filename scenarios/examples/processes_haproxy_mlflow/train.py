"""Train the drill's model: a logistic regression on two features (age, income), saved where a
third-party model server serves it from: an MLflow model folder (`mlflow models serve`), or with
`--format joblib` a joblib file (MLServer's scikit-learn runtime, which takes a plain matrix).

    python3 scenarios/examples/processes_haproxy_mlflow/train.py        # into model/, next to this file
    python3 train.py /tmp/risk/model.joblib --format joblib
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("target", nargs="?", type=Path, default=Path(__file__).with_name("model"))
    parser.add_argument("--format", choices=("mlflow", "joblib"), default="mlflow")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    features = pd.DataFrame({"age": rng.normal(40, 12, 500), "income": rng.normal(5, 2, 500)})
    labels = features.age + 3 * features.income > 55
    if args.format == "joblib":
        import joblib

        joblib.dump(LogisticRegression().fit(features.to_numpy(), labels), args.target)
        return
    import mlflow.sklearn

    if (args.target / "MLmodel").is_file():
        shutil.rmtree(args.target)  # a model trained before: MLflow refuses to overwrite a folder
    model = LogisticRegression().fit(features, labels)
    mlflow.sklearn.save_model(model, args.target, serialization_format="cloudpickle", pip_requirements=[])


if __name__ == "__main__":
    main()
