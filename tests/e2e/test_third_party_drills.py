"""Drills against real third-party model servers from PyPI serving a model trained in the test: the
request protocol presets are answered 200, the report shows which signals the answers carried and what
the server said when requests failed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.load.samples import read_samples
from tests.e2e.model_servers import ModelServer, drill, mlserver_executable, start_mlflow, start_mlserver

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("third_party")


@pytest.fixture(scope="module")
def mlflow_server(work: Path) -> Iterator[ModelServer]:
    server = start_mlflow(work)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mlserver(work: Path) -> Iterator[ModelServer]:
    executable = mlserver_executable()
    if not executable:
        pytest.skip("no MLServer: run scripts/install-mlserver.sh or set CHAOSDRILL_MLSERVER")
    server = start_mlserver(executable, work)
    yield server
    server.stop()


def _report(work: Path, name: str) -> str:
    """report.md without Markdown's escapes (`model\\_version`, `outputs\\[0\\]`)."""
    return (work / name / "report.md").read_text(encoding="utf-8").replace("\\", "")


@pytest.mark.parametrize(
    ("name", "load"),
    [
        ("mlflow-split", {"request": {"protocol": "mlflow"}}),
        ("mlflow-records", {"request": {"protocol": "mlflow", "format": "dataframe_records"}}),
        # MLflow serves V1 `instances` on /invocations, not on KServe's path: load.path says where.
        ("mlflow-v1-lists", {"request": {"protocol": "kserve-v1", "model": "risk", "instances": "lists"},
                             "path": "/invocations"}),
    ],
)  # fmt: skip
def test_mlflow_answers_every_preset_it_speaks(
    mlflow_server: ModelServer, work: Path, name: str, load: dict
) -> None:
    summary = drill(work, name, load, {"errors": ["rate < 1%"]}, mlflow_server)
    samples = read_samples(work / name / "samples.csv")
    assert summary.verdict == "pass", summary.expectations
    assert len(samples) > 20 and set(samples["status"]) == {200}
    assert set(samples["prediction"]) <= {"[0,0]", "[0,1]", "[1,0]", "[1,1]", "[false,false]",
                                          "[false,true]", "[true,false]", "[true,true]"}  # fmt: skip
    report = _report(work, name)
    assert "## Observed signals" in report and "## Error answers" not in report
    total = f"{len(samples):,}"
    assert f"| prediction | body predictions | {total} of {total} (100.0%) |" in report
    assert "| replica | — | not read |" in report


def test_a_body_the_server_does_not_speak_shows_its_answers(mlflow_server: ModelServer, work: Path) -> None:
    """The reference stack's body against MLflow: every request fails, and the report says why."""
    expectations = {"errors": ["rate < 1%"], "attempts": ["mean < 2"]}
    load = {"path": "/invocations", "observe": {"prediction": {"json": "predictions"}}}
    summary = drill(work, "mlflow-reference-body", load, expectations, mlflow_server)
    samples = read_samples(work / "mlflow-reference-body" / "samples.csv")
    assert summary.verdict == "fail" and len(samples) > 20 and set(samples["status"]) == {400}
    report = _report(work, "mlflow-reference-body")
    errors = report[report.index("## Error answers") :]
    assert f"- 400 × {len(samples):,}: ValueError: Expected 2D array, got scalar array instead:" in errors
    signals = report[report.index("## Observed signals") :]
    assert "| attempts | header X-Attempts | 0 of" in signals
    assert "not measured: no header X-Attempts on any of" in signals.split("| Signal |")[0]


def test_mlserver_answers_open_inference_requests(mlserver: ModelServer, work: Path) -> None:
    request = {"protocol": "open-inference-v2", "model": "risk", "tensors": "matrix"}
    summary = drill(work, "mlserver-v2", {"request": request}, {"errors": ["rate < 1%"]}, mlserver)
    samples = read_samples(work / "mlserver-v2" / "samples.csv")
    assert summary.verdict == "pass", summary.expectations
    assert len(samples) > 20 and set(samples["status"]) == {200} and set(samples["version"]) == {"v3"}
    report = _report(work, "mlserver-v2")
    total = f"{len(samples):,}"
    assert f"| version | body model_version | {total} of {total} (100.0%) |" in report
    assert f"| prediction | body outputs[0].data | {total} of {total} (100.0%) |" in report
