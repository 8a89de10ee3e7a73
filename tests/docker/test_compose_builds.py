"""Compose `build:` sections built locally before `up`, never pulling: a real engine, real builds."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import docker
import httpx
import pytest

from harness.backends.compose_backend import ComposeBackend
from harness.backends.compose_builds import BUILD_REPOSITORY
from harness.backends.docker_cleanup import leftovers
from harness.backends.docker_images import BASE_TAG, StackImages
from harness.errors import HarnessError, InputError
from harness.scenario import load_scenario
from tests.docker.dockerstack import wait_until

FIXTURES = Path(__file__).parent / "compose"
BUILT = FIXTURES / "built.compose.yaml"


def _backend(tmp_path: Path, compose_file: Path = BUILT, startup_timeout: str = "45s") -> ComposeBackend:
    path = tmp_path / "compose-build.yaml"
    path.write_text(f"""
name: compose-build
stack:
  backend: docker
  startup_timeout: {startup_timeout}
  compose: {{file: {compose_file}, entrypoint: {{service: web, port: 8000}}}}
load: {{users: 1, duration: 5s}}
""")
    return ComposeBackend(load_scenario(path), tmp_path / "run")


def _failed_start(backend: ComposeBackend, engine: docker.DockerClient) -> HarnessError:
    """Start fails with one line and leaves nothing behind."""
    try:
        with pytest.raises(HarnessError) as failure:
            backend.start()
    finally:
        backend.stop()
    assert leftovers(engine, backend.run_id) == []
    assert "\n" not in str(failure.value)
    return failure.value


def test_build_sections_are_built_once_per_image_and_run(
    images: StackImages, tmp_path: Path, engine: docker.DockerClient
) -> None:
    backend = _backend(tmp_path)
    try:
        backend.start()
        assert httpx.get(backend.gateway_url).text == "entrypoint cached\n"  # its own build argument
        tags = {name: backend.container(name).image.tags for name in ("web", "replica-0", "replica-1")}
    finally:
        backend.stop()
    assert all(t[0].startswith(f"{BUILD_REPOSITORY}/built:") for t in tags.values())
    assert tags["replica-0"] == tags["replica-1"] != tags["web"]  # one build section, one image
    log = (backend.logs / "build.log").read_text()
    assert log.count("Successfully tagged") == 2  # the replicas' image was built once
    assert f"FROM ${{BASE}}\n ---> {engine.images.get(BASE_TAG).short_id.removeprefix('sha256:')}" in log


def test_build_time_is_not_start_up_time(
    images: StackImages, tmp_path: Path, engine: docker.DockerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build (uncached: a new NONCE) longer than the whole start-up timeout, and the stack still starts."""
    monkeypatch.setenv("NONCE", uuid.uuid4().hex)
    monkeypatch.setenv("BUILD_SLEEP", "8")
    backend = _backend(tmp_path, startup_timeout="6s")
    started = time.monotonic()
    try:
        backend.start()
        assert time.monotonic() - started > 8.0
        assert httpx.get(backend.gateway_url).status_code == 200
        built = {backend.container(name).image.tags[0] for name in ("web", "replica-0")}
    finally:
        backend.stop()
    for tag in built:  # this NONCE's images are never used again
        engine.images.remove(tag)


def test_build_timeout_names_its_setting(
    images: StackImages, tmp_path: Path, engine: docker.DockerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine finishes (and tags) a build whose client is gone: a new NONCE keeps the slow step
    uncached, and the image it ends up with is removed."""
    monkeypatch.setenv("NONCE", uuid.uuid4().hex)
    monkeypatch.setenv("BUILD_SLEEP", "8")
    backend = _backend(tmp_path)
    backend.compose.build_timeout = 2.0
    before = _built_tags(engine)
    started = time.monotonic()
    error = _failed_start(backend, engine)
    assert time.monotonic() - started < 20.0
    assert "did not finish within 2s (raise stack.compose.build_timeout)" in str(error)
    assert "Step 1/" in (backend.logs / "build.log").read_text()
    wait_until(lambda: bool(_built_tags(engine) - before), 30.0, "the abandoned build finished")
    for tag in _built_tags(engine) - before:
        engine.images.remove(tag)


def _built_tags(engine: docker.DockerClient) -> set[str]:
    return {tag for image in engine.images.list(name=f"{BUILD_REPOSITORY}/built") for tag in image.tags}


def test_failed_build_says_why_and_keeps_its_output(
    images: StackImages, tmp_path: Path, engine: docker.DockerClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUILD_SLEEP", "forever")  # `sleep forever` exits 1 (a failed step is never cached)
    error = _failed_start(backend := _backend(tmp_path), engine)
    assert "`compose build --force-rm replica-0 web` failed: The command '/bin/sh -c mkdir" in str(error)
    assert "returned a non-zero code: 1; Service 'web' failed to build" in str(error)
    assert f"(all its output is in {backend.logs / 'build.log'})" in str(error)
    assert "sleep: invalid time interval" in (backend.logs / "build.log").read_text()


def test_missing_base_image_is_named_and_never_pulled(tmp_path: Path, engine: docker.DockerClient) -> None:
    backend = _backend(tmp_path, FIXTURES / "missing_base.compose.yaml")
    error = _failed_start(backend, engine)
    assert isinstance(error, InputError)
    missing = "service web builds FROM chaosdrill-test/never-built:0, not in the local Docker Engine"
    assert missing in str(error)
    assert "`chaosdrill images build` makes the base tags (chaosdrill/base:bookworm)" in str(error)
    assert not (backend.logs / "build.log").exists()  # refused before any build began
