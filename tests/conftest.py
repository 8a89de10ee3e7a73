"""Fixtures for every test folder: the run history kept out of the repository, and real databases for it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.history.location import HISTORY_ENV
from tests.postgres_server import create_database, postgres_server


@pytest.fixture(scope="session", autouse=True)
def _history_outside_the_repository(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Every `chaosdrill run` records its run; tests record into a file of their own, not reports/."""
    previous = os.environ.get(HISTORY_ENV)
    os.environ[HISTORY_ENV] = str(tmp_path_factory.mktemp("history") / "history.sqlite")
    yield
    if previous is None:
        os.environ.pop(HISTORY_ENV, None)
    else:
        os.environ[HISTORY_ENV] = previous


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A real PostgreSQL server for the session; each test makes its own database (`create_database`)."""
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def history_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty history in each kind of database chaosdrill supports."""
    if request.param == "sqlite":
        return str(tmp_path / "history.sqlite")
    return create_database(request.getfixturevalue("postgres"))
