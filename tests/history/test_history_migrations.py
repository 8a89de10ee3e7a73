"""The history schema comes from versioned migrations, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from harness.history.database import HistoryError, alembic_config, open_engine
from harness.history.location import resolve_history
from harness.history.schema import metadata
from tests.e2e.drills import REPO


def test_a_new_history_is_migrated_to_the_head_revision_and_matches_the_schema(history_url):
    engine = open_engine(resolve_history(history_url))
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
        # What the migrations built is exactly what the code queries: no table, column or index differs.
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []
    engine.dispose()


def test_opening_again_leaves_a_current_history_alone(history_url):
    location = resolve_history(history_url)
    open_engine(location).dispose()
    engine = open_engine(location)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


def test_a_history_from_a_newer_chaosdrill_is_refused_untouched(history_url):
    location = resolve_history(history_url)
    engine = open_engine(location)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(HistoryError, match=r"revision '9999'.*newer version"):
        open_engine(location)
    engine = sa.create_engine(location.url)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "9999"
    engine.dispose()


def test_concurrent_first_opens_migrate_once(history_url):
    """Two runs that end together on a brand-new history (CI jobs sharing one database) both succeed."""
    code = (
        "import sys; from harness.history.database import open_engine; "
        "from harness.history.location import resolve_history; open_engine(resolve_history(sys.argv[1]))"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, history_url], cwd=REPO, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, errors


def test_an_unreachable_postgresql_is_one_line_naming_it_without_the_password():
    location = resolve_history("postgresql://someone:s3cret@127.0.0.1:1/history")
    with pytest.raises(HistoryError) as raised:
        open_engine(location)
    message = str(raised.value)
    assert "127.0.0.1:1/history" in message and "s3cret" not in message and "\n" not in message
