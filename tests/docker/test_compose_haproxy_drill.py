"""The compose proof on third-party software: MLflow's scoring server and MLServer (from PyPI, each in an
image of its own) behind Debian's HAProxy, every image built from compose `build:` sections FROM
chaosdrill/base:bookworm, HAProxy reaching the servers through chaosdrill's links. Each drill passes with
HAProxy's retries, redispatch and health checks, and fails naming the expectation without them."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.backends.compose_backend import ComposeBackend
from harness.backends.docker_images import BASE_TAG, StackImages, ship_wheels
from harness.scenario import load_scenario
from tests.e2e.drills import Run, chaosdrill, run_scenario_file

EXAMPLE = Path(__file__).resolve().parents[2] / "scenarios" / "examples" / "compose_haproxy_mlflow"
DRILLS = {"mlflow": "scenario.yaml", "mlserver": "mlserver.yaml"}
"""Model server → its drill in the example folder."""


@pytest.fixture(scope="session")
def example_images(images: StackImages, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Both drills' images, built once per session as a run builds them (later runs hit the engine's layer
    cache); pip inside a build may not reach PyPI here, so the wheels go into the context first."""
    for server, drill in DRILLS.items():
        ship_wheels(EXAMPLE / f"requirements-{server}.txt", EXAMPLE / "wheels" / server)
        backend = ComposeBackend(load_scenario(EXAMPLE / drill), tmp_path_factory.mktemp("build"))
        try:
            backend.build()
        finally:
            backend.stop()


def _run(tmp_path: Path, server: str) -> Run:
    return run_scenario_file(tmp_path, f"examples/compose_haproxy_mlflow/{DRILLS[server]}", timeout=300)


def _faults_happened(run: Run) -> None:
    applied = {e["fault"]: e for e in run.events if e["event"] == "fault_applied"}
    assert applied["slow-link"]["details"][0]["proxy"].endswith("-model-b")  # on the link HAProxy uses
    assert applied["slow-link"]["details"][0]["attributes"]["latency"] == 2000
    assert applied["lost-server"]["details"][0]["signal"] == "SIGKILL"
    ready = next(e for e in run.events if e["event"] == "stack_ready")
    assert set(ready["pids"]) == {"haproxy", "model-a", "model-b", "chaosdrill-proxy"}


@pytest.mark.parametrize("server", DRILLS)
def test_example_validates(server: str) -> None:
    result = chaosdrill("validate", f"scenarios/examples/compose_haproxy_mlflow/{DRILLS[server]}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"OK (compose-haproxy-{server}: 2 faults, seed 5)" in result.stdout


@pytest.mark.slow
@pytest.mark.timeout(1500)  # a first build installs HAProxy, MLflow and MLServer
@pytest.mark.parametrize("server", DRILLS)
def test_drill_passes_with_haproxys_retries_and_health_checks(
    example_images: None, tmp_path: Path, server: str
) -> None:
    run = _run(tmp_path, server)
    assert run.code == 0, run.stdout + run.stderr
    _faults_happened(run)
    build = (run.run_dir / "logs" / "build.log").read_text()
    assert build.count(f"FROM {BASE_TAG}") == 2  # HAProxy's image and the servers' one, built once for both
    haproxy = (run.run_dir / "logs" / "haproxy.log").read_text()
    assert "Server models/model-b is DOWN" in haproxy and "Server models/model-a is DOWN" in haproxy


@pytest.mark.slow
@pytest.mark.timeout(1500)
@pytest.mark.parametrize("server", DRILLS)
def test_drill_fails_naming_the_expectation_without_them(
    example_images: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str
) -> None:
    monkeypatch.setenv("HAPROXY_MECHANISMS", "off")  # the compose variable switch
    run = _run(tmp_path, server)
    assert run.code == 1, run.stdout + run.stderr
    _faults_happened(run)
    assert not run.expectation("errors: rate < 1%")["passed"]
    assert "FAIL errors: rate < 1%" in run.stdout
    assert "FAIL recovery_time: lost-server <= 3s" in run.stdout
