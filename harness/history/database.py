"""Open a history database at the schema this chaosdrill knows, migrating it first if it is older.

Several runs may open the same history at once (a suite in CI next to a nightly run, two pipelines on one
PostgreSQL): the migration runs in one transaction under a lock, so exactly one of them creates or upgrades
the tables and the others find them done. A database newer than this chaosdrill is refused, not touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from harness.errors import HarnessError
from harness.history.location import HistoryLocation

MIGRATIONS = Path(__file__).parent / "migrations"
_PG_MIGRATION_LOCK = 0x63686473  # "chds": pg_advisory_xact_lock key, held while migrating
SQLITE_BUSY_TIMEOUT_S = 30.0


class HistoryError(HarnessError):
    """The history database could not be opened, read or written: one line naming it."""


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def open_engine(location: HistoryLocation) -> Engine:
    """An engine on the history, its schema at head. Raises `HistoryError` with the reason."""
    try:
        engine = _engine(location)
        with engine.begin() as connection:
            _migrate(connection, location)
    except SQLAlchemyError as exc:
        raise HistoryError(f"history {location.shown}: {describe_error(exc)}") from None
    return engine


def describe_error(exc: SQLAlchemyError) -> str:
    """The driver's own first line (`connection refused`, `database is locked`), not SQLAlchemy's wrapping."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return lines[0] if lines else type(original).__name__


def _engine(location: HistoryLocation) -> Engine:
    if not location.is_sqlite:
        return sa.create_engine(location.url, connect_args={"connect_timeout": 10})
    database = location.url.database or ""
    if database and database != ":memory:":
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HistoryError(
                f"history {location.shown}: cannot create its folder: {exc.strerror}"
            ) from None
    engine = sa.create_engine(location.url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    sa.event.listen(engine, "connect", _sqlite_connect)
    sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Leave transactions to SQLAlchemy (pysqlite's own BEGIN comes too late for DDL) and honour the
    tables' ON DELETE CASCADE."""
    dbapi_connection.isolation_level = None
    dbapi_connection.execute("PRAGMA foreign_keys = ON")


def _sqlite_begin(connection: Connection) -> None:
    """Take the write lock up front: two writers then queue (busy timeout) instead of one failing with
    `database is locked` half-way through its transaction."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _migrate(connection: Connection, location: HistoryLocation) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
    config = alembic_config()
    script = ScriptDirectory.from_config(config)
    current = MigrationContext.configure(connection).get_current_revision()
    if current == script.get_current_head():
        return
    if current is not None and current not in {r.revision for r in script.walk_revisions()}:
        raise HistoryError(
            f"history {location.shown}: its schema is at revision {current!r}, which this chaosdrill "
            "does not know (written by a newer version?); upgrade chaosdrill to use it"
        )
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
