"""The load worker with other protocols, observation mappings and the user's own locustfile: a real Locust
process against a real HTTP server, every request recorded and failed answers sampled."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.load.drift import DriftWindow
from harness.load.error_samples import read_error_samples
from harness.load.features_log import read_features
from harness.load.files import ERROR_SAMPLES_FILE
from harness.load.observation import ABSENT, ObserveSpec
from harness.load.process import LoadProcess
from harness.load.request_spec import MlflowRequest, OpenInferenceRequest, TemplateRequest
from harness.load.samples import read_samples
from tests.load.load_helpers import ScriptedGateway, make_config

LoadFactory = Callable[..., LoadProcess]


def _run(process: LoadProcess) -> None:
    process.start()
    assert process.wait(timeout=30) == 0, process.log_path.read_text(encoding="utf-8")[-2000:]


def test_open_inference_requests_and_body_observation(
    gateway: ScriptedGateway, load_factory: LoadFactory
) -> None:
    request = OpenInferenceRequest(
        protocol="open-inference-v2", model="risk", headers={"Host": "risk.example"}
    )
    observe = ObserveSpec(replica={"header": "X-Served-By"}, attempts=None).resolve("open-inference-v2")
    process = load_factory(make_config(gateway.url, path="/v2/models/risk/infer", request=request,
                                       observe=observe, duration_s=0.5))  # fmt: skip
    _run(process)
    samples = read_samples(process.samples_path)
    assert len(samples) == gateway.answered == len(gateway.bodies) > 10
    assert gateway.paths == {"/v2/models/risk/infer"} and gateway.instances == []
    assert {tuple(t["name"] for t in body["inputs"]) for body in gateway.bodies} == {
        ("age", "income", "segment")
    }
    assert set(samples["replica"]) == {"replica-0", "replica-1"}
    assert set(samples["version"]) == {""}  # the scripted answer has no model_version
    assert set(samples["attempts"]) == {ABSENT}  # switched off, although the header was there
    assert set(samples["degraded"]) == {ABSENT}  # the V2 preset does not read X-Degraded
    assert set(samples["prediction"]) == {""}  # no outputs[0].data in {"predictions": [0]}


def test_template_put_with_prediction_from_the_body(
    gateway: ScriptedGateway, load_factory: LoadFactory
) -> None:
    request = TemplateRequest(protocol="template", method="PUT", body={"batch": "{{rows}}", "n": "{{count}}"})
    observe = ObserveSpec(prediction={"json": "predictions[0]"}).resolve("none")
    process = load_factory(make_config(gateway.url, request=request, observe=observe, duration_s=0.5))
    _run(process)
    samples = read_samples(process.samples_path)
    assert len(samples) == gateway.answered > 10
    assert all(
        set(body) == {"batch", "n"} and len(body["batch"]) == body["n"] == 2 for body in gateway.bodies
    )
    assert set(samples["prediction"]) == {"0"} and set(samples["replica"]) == {""}


def test_failed_answers_are_sampled_per_status(gateway: ScriptedGateway, load_factory: LoadFactory) -> None:
    gateway.status = 422
    gateway.error_body = b'{"detail":[{"loc":["body","inputs"],"msg":"Field required","type":"missing"}]}'
    process = load_factory(make_config(gateway.url, request=MlflowRequest(protocol="mlflow"), duration_s=0.5))
    _run(process)
    samples = read_samples(process.samples_path)
    (kept,) = read_error_samples(process.out_dir / ERROR_SAMPLES_FILE)
    assert (kept.label, kept.error, kept.count) == ("422", "http_4xx", len(samples)) and len(samples) > 10
    assert [(a.message, a.count) for a in kept.answers] == [("body.inputs: Field required", len(samples))]
    assert set(samples["error"]) == {"http_4xx"} and set(samples["replica"]) == {"replica-0", "replica-1"}


def test_refused_connections_are_sampled_with_their_error(load_factory: LoadFactory) -> None:
    process = load_factory(make_config("http://127.0.0.1:9", duration_s=0.3))
    _run(process)
    (kept,) = read_error_samples(process.out_dir / ERROR_SAMPLES_FILE)
    assert (kept.label, kept.status, kept.count) == ("connect", 0, len(read_samples(process.samples_path)))
    assert "Connection refused" in kept.answers[0].message


LOCUSTFILE = textwrap.dedent(
    """
    from locust import HttpUser, constant, task
    from locust.contrib.fasthttp import FastHttpUser


    class Scorer(HttpUser):
        wait_time = constant(0.01)
        host = "http://127.0.0.1:9"  # nothing listens there: replaced by the drill's target

        @task
        def score(self):
            self.client.post("/score", json={"instances": [{"age": 1}]})


    class Checker(FastHttpUser):
        wait_time = constant(0.01)

        @task
        def check(self):
            with self.client.post("/check", json={"instances": []}, catch_response=True) as answer:
                answer.failure("the task's own check failed")
    """
)


def test_a_locustfiles_requests_are_recorded_like_ours(
    gateway: ScriptedGateway, load_factory: LoadFactory, tmp_path: Path
) -> None:
    locustfile = tmp_path / "users.py"
    locustfile.write_text(LOCUSTFILE, encoding="utf-8")
    process = load_factory(make_config(gateway.url, locustfile=str(locustfile), users=4, duration_s=1.0))
    _run(process)
    samples = read_samples(process.samples_path)
    summary = process.summary()
    assert len(samples) == summary["sent"] == summary["completed"] == gateway.answered > 20
    assert gateway.paths == {"/score", "/check"}
    assert (samples["t_intended"] == samples["t_start"]).all() and (samples["latency_ms"] > 0).all()
    assert set(samples["replica"]) == {"replica-0", "replica-1"} and set(samples["version"]) == {"v7"}
    assert (samples["attempts"] == 2).sum() == gateway.with_attempts
    assert (samples["status"] == 200).all()
    failed = samples[samples["ok"] == 0]
    assert 0 < len(failed) < len(samples) and set(failed["error"]) == {"other"}  # the 200s /check failed
    (kept,) = read_error_samples(process.out_dir / ERROR_SAMPLES_FILE)
    assert (kept.label, kept.count) == ("200", len(failed))
    window = samples["t_start"].max() - samples["t_start"].min()
    assert 0.8 < window <= 1.0 + 0.2


def test_drift_reaches_the_protocols_body(gateway: ScriptedGateway, load_factory: LoadFactory) -> None:
    """A schema drift renames a column mid-run: the MLflow split body carries the new column from then on,
    and features.csv still logs what was sent, row for row."""
    start = time.time() + 0.5
    rename = DriftWindow(name="rename", start_at=start + 0.4, transform="schema-rename", features=["income"])
    config = make_config(gateway.url, request=MlflowRequest(protocol="mlflow"), start_at=start,
                         duration_s=1.0, drifts=[rename], log_features=True)  # fmt: skip
    process = load_factory(config)
    _run(process)
    frames = [body["dataframe_split"] for body in gateway.bodies]
    assert {tuple(f["columns"]) for f in frames} == {
        ("age", "income", "segment"),
        ("age", "segment", "income_v2"),
    }
    sent = read_features(process.features_path)
    received = [row for f in frames for row in f["data"]]
    assert len(sent) == len(received) == 2 * gateway.answered
    renamed = sent["income"].isna()
    assert renamed.any() and not renamed.all()
    assert sorted(map(tuple, sent.loc[~renamed, ["age", "income", "segment"]].to_numpy().tolist())) == sorted(
        tuple(row) for f in frames if "income" in f["columns"] for row in f["data"]
    )


def test_a_locustfile_without_users_stops_the_worker_before_it_is_ready(
    load_factory: LoadFactory, tmp_path: Path
) -> None:
    """validate only sees that the file exists (importing it would patch the harness with gevent): the
    worker refuses it before any load, in one line the harness relays."""
    locustfile = tmp_path / "helpers.py"
    locustfile.write_text("from locust import HttpUser\n", encoding="utf-8")
    process = load_factory(make_config("http://127.0.0.1:9", locustfile=str(locustfile)))
    with pytest.raises(HarnessError, match="defines no Locust user class"):
        process.start()
    assert not process.samples_path.exists()


def test_a_locustfiles_refused_connections_are_classified(load_factory: LoadFactory, tmp_path: Path) -> None:
    """An HttpUser's failed connections get the same error classes as chaosdrill's own users' requests."""
    locustfile = tmp_path / "users.py"
    locustfile.write_text(LOCUSTFILE.split("class Checker")[0], encoding="utf-8")
    process = load_factory(make_config("http://127.0.0.1:9", locustfile=str(locustfile), duration_s=0.5))
    _run(process)
    samples = read_samples(process.samples_path)
    assert len(samples) > 5 and set(samples["error"]) == {"connect"} and set(samples["status"]) == {0}
    (kept,) = read_error_samples(process.out_dir / ERROR_SAMPLES_FILE)
    assert kept.label == "connect" and "Connection refused" in kept.answers[0].message
