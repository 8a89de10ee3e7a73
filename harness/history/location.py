"""Where a run's history is kept: `--history URL`, else $CHAOSDRILL_HISTORY, else reports/history.sqlite.

A value is a PostgreSQL URL (`postgresql://user:pass@host/db`, a team's shared history), an SQLite URL or
file path, or `off`. The CLI puts what it was given in effect for the whole command (`in_effect`), so that
the regression gates evaluated at the end of a run (`harness.verify.regression`) read the same history the
run is then recorded in, without threading the URL through the runner.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

HISTORY_ENV = "CHAOSDRILL_HISTORY"
STACK_VERSION_ENV = "CHAOSDRILL_STACK_VERSION"
DEFAULT_HISTORY = Path("reports") / "history.sqlite"
OFF = "off"
_SCHEMES = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg",
            "postgresql+psycopg": "postgresql+psycopg"}  # fmt: skip
"""Accepted URL schemes and the SQLAlchemy driver each uses."""

_given: ContextVar[str | None] = ContextVar("chaosdrill_history", default=None)


@dataclass(frozen=True)
class HistoryLocation:
    url: URL
    source: str
    """Where the setting came from (`--history`, `$CHAOSDRILL_HISTORY`, the default), for error messages."""

    @property
    def shown(self) -> str:
        """The URL without its password: for messages and logs."""
        if self.url.get_backend_name() == "sqlite":
            return self.url.database or ":memory:"
        return self.url.set(drivername="postgresql").render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"


def resolve_history(given: str | None = None) -> HistoryLocation | None:
    """The history in effect (None: `off`): `given`, else what the CLI put in effect, else the env, else
    the default. A malformed value is an `InputError` naming where it came from."""
    from sqlalchemy.engine import URL, make_url  # not at import: every CLI command imports this module
    from sqlalchemy.exc import ArgumentError

    given = given if given is not None else _given.get()
    if given is not None:
        value, source = given, "--history"
    elif os.environ.get(HISTORY_ENV):
        value, source = os.environ[HISTORY_ENV], f"${HISTORY_ENV}"
    else:
        value, source = str(DEFAULT_HISTORY), "the default history"
    value = value.strip()
    if value == OFF:
        return None
    if "://" not in value:
        return HistoryLocation(URL.create("sqlite", database=value), source)
    try:
        url = make_url(value)
    except ArgumentError:
        raise InputError(f"{source}: not a database URL: {value!r}") from None
    driver = _SCHEMES.get(url.drivername)
    if driver is None:
        raise InputError(
            f"{source}: unsupported database {url.drivername!r}; use postgresql://..., sqlite:///PATH, "
            f"a file path or {OFF!r}"
        )
    if driver == "sqlite" and not url.database:
        raise InputError(f"{source}: an SQLite URL needs a file path (sqlite:///reports/history.sqlite)")
    return HistoryLocation(url.set(drivername=driver), source)


@contextmanager
def in_effect(given: str | None) -> Iterator[None]:
    """`--history` (or None: the env or default) for everything the block does."""
    token = _given.set(given)
    try:
        yield
    finally:
        _given.reset(token)


def stack_version(given: str | None) -> str | None:
    """The version (git commit, image tag) of the stack under test: `--stack-version`, else the env."""
    value = given if given is not None else os.environ.get(STACK_VERSION_ENV)
    return (value or "").strip() or None
