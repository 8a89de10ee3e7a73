"""`load.request`, `load.observe` and `load.locustfile` in scenario files: what the worker is given, and one
line naming the field for what it could not do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.errors import InputError
from harness.load.observation import SignalSource
from harness.plan import resolve_plan
from harness.runner import load_config
from harness.scenario import load_scenario


def _write(tmp_path: Path, load: dict[str, Any], **top: Any) -> Path:
    """A scenario with `load` over a closed-model default (a None value takes the key out)."""
    fields = {k: v for k, v in {"users": 2, "duration": "5s", **load}.items() if v is not None}
    scenario = {
        "name": "protocols",
        "load": fields,
        "slo": {"availability": "99%", "latency": "p(99) < 400ms"},
        **top,
    }
    path = tmp_path / "drill.yaml"
    path.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    return path


def test_the_worker_gets_the_resolved_request_and_observation(tmp_path: Path) -> None:
    (tmp_path / "users.py").write_text("from locust import HttpUser\n", encoding="utf-8")
    request = {"protocol": "open-inference-v2", "model": "risk", "headers": {"Host": "risk.example"}}
    path = _write(tmp_path, {"request": request, "observe": {"replica": {"header": "X-Backend"}}})
    scenario = load_scenario(path)
    config = load_config(scenario, resolve_plan(scenario, 1), "http://127.0.0.1:1")
    assert config.path == "/v2/models/risk/infer" and config.request.headers == {"Host": "risk.example"}
    assert config.observe.replica == SignalSource(header="X-Backend")
    assert config.observe.version == SignalSource(json="model_version")
    assert config.locustfile is None
    default = load_scenario(_write(tmp_path, {}))
    config = load_config(default, resolve_plan(default, 1), "http://127.0.0.1:1")
    assert (config.path, config.request.protocol, config.observe.attempts) == (
        "/predict", "reference", SignalSource(header="X-Attempts"),
    )  # fmt: skip
    own = load_scenario(_write(tmp_path, {"locustfile": "users.py"}))
    config = load_config(own, resolve_plan(own, 1), "http://127.0.0.1:1")
    assert config.locustfile == str(tmp_path / "users.py")


@pytest.mark.parametrize(
    ("load", "top", "message"),
    [
        ({"request": {"protocol": "v2"}}, {}, "load.request: Input tag 'v2'"),
        ({"request": {"protocol": "kserve-v1"}}, {}, "load.request.kserve-v1.model: required field"),
        ({"request": {"protocol": "open-inference-v2", "model": "a/b"}}, {}, "one URL path segment"),
        ({"request": {"protocol": "open-inference-v2", "model": "m", "tensors": "matrix"}}, {},
         "load.request: tensors: matrix holds numbers only, and feature 'employment' has text categories"),
        ({"request": {"protocol": "template", "body": {"x": "{{rows}} "}}}, {}, "must be the whole string"),
        ({"request": {"protocol": "template", "body": "{{record}}"}}, {}, "set load.rows: 1"),
        ({"observe": {"version": {"json": "outputs[0"}}}, {}, "load.observe.version.json: invalid JSON path"),
        ({"observe": {"preset": "triton"}}, {}, "load.observe.preset: Input should be"),
        ({"locustfile": "absent.py"}, {}, "load.locustfile: no such file"),
        ({"locustfile": "users.py", "rate": "10/s", "users": None}, {}, "load.rate: not with"),
        ({"locustfile": "users.py", "request": {"protocol": "mlflow"}}, {}, "load.request: not with"),
        ({"locustfile": "users.py"},
         {"faults": [{"name": "d", "kind": "data-drift", "at": "1s",
                      "params": {"transform": "missing", "features": ["income_k"]}}]},
         "load.locustfile: data-drift fault 'd' changes chaosdrill's own requests"),
    ],
)  # fmt: skip
def test_bad_requests_are_one_line_naming_the_field(
    tmp_path: Path, load: dict[str, Any], top: dict[str, Any], message: str
) -> None:
    (tmp_path / "users.py").write_text("from locust import HttpUser\n", encoding="utf-8")
    path = _write(tmp_path, load, **top)
    with pytest.raises(InputError) as refused:
        load_scenario(path)
    assert message in str(refused.value) and "\n" not in str(refused.value)
    assert str(refused.value).startswith(str(path))
