from __future__ import annotations

import shutil
import time
from pathlib import Path

import docker
import pytest

from harness.backends.docker_images import (
    BASE_TAG,
    REPO_ROOT,
    StackImages,
    build_images,
    image_tags,
    require_stack_image,
)
from harness.errors import HarnessError
from tests.e2e.drills import chaosdrill


def test_rebuild_with_unchanged_sources_is_a_cache_hit(
    images: StackImages, engine: docker.DockerClient
) -> None:
    started = time.monotonic()
    again = build_images(log=lambda line: None)
    assert again == images
    assert time.monotonic() - started < 10.0
    assert engine.images.get(images.stack).labels["chaosdrill.image"] == "stack"


def test_changed_stack_source_needs_a_build(tmp_path: Path, engine: docker.DockerClient) -> None:
    root = tmp_path / "tree"
    for part in ("docker", "stack", "faults"):
        shutil.copytree(REPO_ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__", "wheels"))
    assert image_tags(root) == image_tags(REPO_ROOT)
    with (root / "stack" / "model.py").open("a") as source:
        source.write("\n# changed\n")
    assert image_tags(root).base == image_tags(REPO_ROOT).base
    assert image_tags(root).stack != image_tags(REPO_ROOT).stack
    with pytest.raises(HarnessError, match="run `chaosdrill images build`"):
        require_stack_image(engine, root)


def test_base_is_also_tagged_for_users_dockerfiles(images: StackImages, engine: docker.DockerClient) -> None:
    """`FROM chaosdrill/base:bookworm` starts from the base the current tree built, with python3 3.11 and
    venv (what a user's Dockerfile needs to install its server), and the content-hash tags stay."""
    assert engine.images.get(BASE_TAG).id == engine.images.get(images.base).id
    assert images.base.startswith(f"{BASE_TAG}-")
    script = "python3 --version && python3 -m venv /tmp/v && /tmp/v/bin/pip --version"
    output = engine.containers.run(BASE_TAG, ["sh", "-c", script], remove=True)
    assert output.decode().startswith("Python 3.11.")


def test_wheels_for_a_users_build_context(tmp_path: Path) -> None:
    """`chaosdrill images wheels`: the wheels of a requirements file for the base's Python, shipped into a
    build context, where a Dockerfile installs them without an index."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("cloudpickle==3.1.3\n")
    dest = tmp_path / "context" / "wheels"
    result = chaosdrill("images", "wheels", str(requirements), "--dest", str(dest))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"1 wheels in {dest}\n"
    assert [p.name for p in dest.iterdir()] == ["cloudpickle-3.1.3-py3-none-any.whl"]
