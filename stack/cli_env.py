"""Command-line flags that can also come from the environment.

Containers and the harness configure processes through env vars while humans use flags, so every flag
reads its default from `<PREFIX><UPPER_NAME>`; an explicit flag still wins. Secrets come from the
environment or a file, never from a flag (a command line is world-readable, an environment is not).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any


def add_env_flag(
    parser: argparse.ArgumentParser,
    name: str,
    *,
    default: Any,
    env_prefix: str,
    help: str,
    type: Callable[[str], Any] = str,
) -> None:
    """Register `--name` whose default is taken from the env var `<env_prefix><NAME>` when set."""
    env_name = env_prefix + name.upper().replace("-", "_")
    raw = os.environ.get(env_name)
    parser.add_argument(
        f"--{name}",
        default=type(raw) if raw is not None else default,
        type=type,
        help=f"{help} (env {env_name}; default {default!r})",
    )


def add_secret_file_flag(parser: argparse.ArgumentParser, name: str, *, env_prefix: str) -> None:
    """Register `--<name>-file`: the secret `name` read from a file (the `*_FILE` convention of container
    images), so that no secret has to go on a command line, where `ps` shows it to every user."""
    add_env_flag(parser, f"{name}-file", default=None, env_prefix=env_prefix, help=f"file holding the {name}")


def secret(parser: argparse.ArgumentParser, name: str, value: str | None, file: str | None) -> str | None:
    """The secret from `--<name>-file` if given, else `value`; an unreadable file is a usage error."""
    if file is None:
        return value
    try:
        return Path(file).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        parser.error(f"--{name}-file: cannot read {file}: {getattr(exc, 'strerror', None) or exc}")
