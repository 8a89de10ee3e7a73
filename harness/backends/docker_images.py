"""The stack image, built without a registry and cached by the hash of everything that goes into it.

No base image can be pulled here, so the base is debootstrapped from Debian's packages
(`docker/base/build-base.sh`) and imported; the stack image is then built `FROM` it with `pull=False`.
Pip inside the build may not reach an index (here TLS is intercepted with a CA the image does not
trust), so the requirements' wheels are downloaded on the host, where pip is configured, and shipped in
the build context (`chaosdrill images wheels` does the same for a user's Dockerfile). Both tags carry a
content hash, so an unchanged tree maps to an existing image and a rebuild is a lookup; the stable tags
`chaosdrill/base:bookworm` and `chaosdrill/stack:latest` follow the newest build, for users' Dockerfiles
(`FROM chaosdrill/base:bookworm`) and compose files to name.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import BuildError, ImageNotFound

from harness.backends.docker_client import docker_client
from harness.errors import HarnessError, InputError

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = "docker/stack.Dockerfile"
BASE_SCRIPT = "docker/base/build-base.sh"
BASE_REPOSITORY = "chaosdrill/base"
STACK_REPOSITORY = "chaosdrill/stack"
LATEST = "latest"
BOOKWORM = "bookworm"
BASE_TAG = f"{BASE_REPOSITORY}:{BOOKWORM}"
"""Debian bookworm with python3 (3.11), venv and pip: what users' Dockerfiles start FROM."""
# Exactly what the Dockerfile copies: the image's hash must change when, and only when, these do.
REQUIREMENTS = "docker/stack-requirements.txt"
_CONTEXT_FILES = (DOCKERFILE, REQUIREMENTS, "faults/__init__.py")
_CONTEXT_TREES = ("stack", "faults/toxiproxy")
_HASH_LENGTH = 12
_WHEEL_CACHE = Path.home() / ".cache" / "chaosdrill" / "wheels"
# The base is Debian bookworm: CPython 3.11 on glibc 2.36.
_WHEEL_TARGET = ["--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
                 "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux_2_17_x86_64",
                 "--platform", "manylinux2014_x86_64", "--only-binary=:all:"]  # fmt: skip

Log = Callable[[str], None]


@dataclass(frozen=True)
class StackImages:
    base: str
    stack: str


def image_tags(root: Path = REPO_ROOT) -> StackImages:
    """The tags the current tree builds to; the backend runs `stack`, `images build` produces both."""
    base_hash = _digest([(BASE_SCRIPT, (root / BASE_SCRIPT).read_bytes())])
    stack_hash = _digest([("base", base_hash.encode()), *_context_entries(root)])
    return StackImages(f"{BASE_REPOSITORY}:bookworm-{base_hash}", f"{STACK_REPOSITORY}:{stack_hash}")


def build_images(force: bool = False, log: Log = print, root: Path = REPO_ROOT) -> StackImages:
    """Build whatever of base and stack image is missing (everything with `force`); never pulls."""
    client = docker_client()
    tags = image_tags(root)
    if force or not image_exists(client, tags.base):
        log(f"building base image {tags.base} with debootstrap (minutes)")
        _build_base(tags.base, root)
    else:
        log(f"base image {tags.base} is up to date")
    if force or not image_exists(client, tags.stack):
        log(f"building stack image {tags.stack}")
        _build_stack(client, tags, root, nocache=force)
    else:
        log(f"stack image {tags.stack} is up to date")
    client.images.get(tags.base).tag(BASE_REPOSITORY, BOOKWORM)  # what users' Dockerfiles start FROM
    client.images.get(tags.stack).tag(STACK_REPOSITORY, LATEST)  # what users' compose files can name
    return tags


def require_stack_image(client: docker.DockerClient, root: Path = REPO_ROOT) -> str:
    tag = image_tags(root).stack
    if not image_exists(client, tag):
        raise HarnessError(f"docker image {tag} is missing: run `chaosdrill images build`")
    return tag


def image_exists(client: docker.DockerClient, tag: str) -> bool:
    try:
        client.images.get(tag)
    except ImageNotFound:
        return False
    return True


def _build_base(tag: str, root: Path) -> None:
    result = subprocess.run(["sh", str(root / BASE_SCRIPT), tag], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = " | ".join((result.stderr or result.stdout).strip().splitlines()[-5:])
        raise HarnessError(f"building base image {tag} failed (exit {result.returncode}): {tail}")


def _build_stack(client: docker.DockerClient, tags: StackImages, root: Path, *, nocache: bool) -> None:
    wheels = download_wheels(root / REQUIREMENTS)
    try:
        client.images.build(
            fileobj=_context_tar(root, wheels),
            custom_context=True,
            dockerfile=DOCKERFILE,
            tag=tags.stack,
            buildargs={"BASE_IMAGE": tags.base, "PIP_OPTIONS": "--no-index --find-links /tmp/build"},
            labels={"chaosdrill.image": "stack"},
            pull=False,
            nocache=nocache,
            rm=True,
            forcerm=True,
        )
    except BuildError as exc:
        tail = " | ".join(
            str(line.get("stream") or line.get("error") or "").strip() for line in list(exc.build_log)[-5:]
        )
        message = f"building stack image {tags.stack} failed: {exc.msg}; last lines: {tail}"
        raise HarnessError(message) from None


def _context_entries(root: Path) -> list[tuple[str, bytes]]:
    paths = list(_CONTEXT_FILES)
    for tree in _CONTEXT_TREES:
        paths += [
            p.relative_to(root).as_posix()
            for p in (root / tree).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        ]
    return [(path, (root / path).read_bytes()) for path in sorted(paths)]


def _digest(entries: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for name, data in entries:
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:_HASH_LENGTH]


def download_wheels(requirements: Path) -> Path:
    """The folder of wheels for `requirements` on the base image's Python (CPython 3.11, glibc x86-64),
    downloaded by the host's pip and cached per requirements text, so only a first build downloads."""
    folder = _WHEEL_CACHE / _digest([(REQUIREMENTS, requirements.read_bytes())])
    if (folder / "complete").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(folder), *_WHEEL_TARGET,
         "-r", str(requirements)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        tail = " | ".join(result.stderr.strip().splitlines()[-3:])
        raise HarnessError(f"downloading the wheels of {requirements} failed: {tail}")
    (folder / "complete").touch()
    return folder


def ship_wheels(requirements: Path, dest: Path) -> list[Path]:
    """The wheels of `requirements` put into `dest`, a folder of a build context, for a Dockerfile `FROM
    chaosdrill/base:bookworm` to `pip install --no-index --find-links` where pip cannot reach an index;
    hard-linked from the cache where the file system allows. Wheels already there are kept."""
    if not requirements.is_file():
        raise InputError(f"{requirements}: no such requirements file")
    source = download_wheels(requirements)
    dest.mkdir(parents=True, exist_ok=True)
    shipped = []
    for wheel in sorted(source.glob("*.whl")):
        target = dest / wheel.name
        if not target.exists():
            try:
                os.link(wheel, target)
            except OSError:
                shutil.copyfile(wheel, target)
        shipped.append(target)
    return shipped


def _context_tar(root: Path, wheels: Path) -> io.BytesIO:
    """The hashed files and the wheels: the build never sees (or depends on) the rest of the working tree."""
    entries = _context_entries(root)
    entries += [(f"docker/wheels/{w.name}", w.read_bytes()) for w in sorted(wheels.glob("*.whl"))]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer
