from __future__ import annotations

import shutil
import time
from pathlib import Path

import docker
import pytest

from harness.backends.docker_images import (
    REPO_ROOT,
    StackImages,
    build_images,
    image_tags,
    require_stack_image,
)
from harness.errors import HarnessError


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
