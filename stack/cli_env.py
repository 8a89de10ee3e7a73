"""Command-line flags that can also come from the environment.

Containers and the harness configure processes through env vars while humans use flags, so every flag
reads its default from `<PREFIX><UPPER_NAME>`; an explicit flag still wins.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
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
