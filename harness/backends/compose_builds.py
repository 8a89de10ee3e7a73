"""A compose file's `build:` sections, built locally before `up`, never pulling anything.

The user's compose tool builds (it knows every build option of their file), without `--pull`, and only
after every image the builds start from was found in the local engine: the builder would pull a missing
one (`harness.backends.dockerfile`). Services that build without naming an `image:` get a tag chaosdrill
chooses, `chaosdrill-build/<context folder>[-<Dockerfile>]:<hash of the build section>`: stable across
runs, so the engine's layer cache makes a rebuild quick and tags do not pile up, and shared by services
with the same build section (replicas), which are then built once. The tag goes into the compose
override, so `up --no-build` runs exactly what was built.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

from harness.backends.compose_cli import ComposeProject
from harness.backends.docker_images import BASE_TAG, image_exists
from harness.backends.dockerfile import base_images
from harness.errors import InputError

BUILD_REPOSITORY = "chaosdrill-build"
_HASH_LENGTH = 12
_REMOTE_CONTEXT = re.compile(r"^([a-z][a-z0-9+.-]*://|git@|github\.com/)", re.IGNORECASE)


@dataclass(frozen=True)
class ServiceBuild:
    service: str
    spec: dict[str, Any]
    """The service's `build:` section as `compose config` resolved it (context an absolute path)."""
    image: str
    """What the build is tagged: the service's own `image:`, or one chaosdrill chose (`chosen`)."""
    chosen: bool


def service_builds(config: dict[str, Any]) -> list[ServiceBuild]:
    """The services of the resolved file (`compose config`) that have a `build:` section."""
    builds = []
    for service, spec in config["services"].items():
        build = (spec or {}).get("build")
        if build is None:
            continue
        build = build if isinstance(build, dict) else {"context": build}
        image = (spec or {}).get("image")
        builds.append(ServiceBuild(service, build, image or _chosen_tag(build), chosen=not image))
    return builds


def require_base_images(client: docker.DockerClient, builds: list[ServiceBuild], file: Path) -> None:
    """Every image a build starts from must be local; one line naming the service and image if not."""
    built = {b.image for b in builds}
    for build in builds:
        where = f"{file}: service {build.service}"
        for image in base_images(_dockerfile_text(build, where), build.spec.get("args") or {}):
            if image not in built and not image_exists(client, image):
                raise InputError(
                    f"{where} builds FROM {image}, not in the local Docker Engine (never pulled): "
                    f"`chaosdrill images build` makes the base tags ({BASE_TAG})"
                )


def build_services(project: ComposeProject, builds: list[ServiceBuild], log: Path, timeout_s: float) -> None:
    """`compose build` (never `--pull`) of one service per image, its output appended to `log`; a failed
    step's container is removed too (`--force-rm`), so a failed build leaves nothing behind."""
    firsts: dict[str, str] = {}
    for build in builds:
        firsts.setdefault(build.image, build.service)
    if firsts:
        setting = "stack.compose.build_timeout"
        project.run("build", "--force-rm", *firsts.values(), timeout_s=timeout_s, log=log, setting=setting)


def _chosen_tag(build: dict[str, Any]) -> str:
    """`chaosdrill-build/<context folder>[-<Dockerfile's name>]:<hash of the build section>`."""
    named = [Path(str(build.get("context", "."))).name]
    dockerfile = Path(str(build.get("dockerfile") or "Dockerfile"))
    named += [dockerfile.stem if dockerfile.suffix.lower() == ".dockerfile" else dockerfile.name]
    name = re.sub(r"[^a-z0-9]+", "-", "-".join(n for n in named if n != "Dockerfile").lower()).strip("-")
    spec = json.dumps(build, sort_keys=True, default=str).encode()
    return f"{BUILD_REPOSITORY}/{name or 'context'}:{hashlib.sha256(spec).hexdigest()[:_HASH_LENGTH]}"


def _dockerfile_text(build: ServiceBuild, where: str) -> str:
    inline = build.spec.get("dockerfile_inline")
    if inline is not None:
        return str(inline)
    context = str(build.spec.get("context", "."))
    if _REMOTE_CONTEXT.match(context):
        raise InputError(f"{where} builds from {context}: chaosdrill builds from local folders only")
    dockerfile = Path(context) / str(build.spec.get("dockerfile") or "Dockerfile")
    try:
        return dockerfile.read_text()
    except OSError as exc:
        raise InputError(f"{where}: cannot read its Dockerfile {dockerfile}: {exc.strerror}") from None
