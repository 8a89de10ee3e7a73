"""Alembic migrations of the history database, applied by `harness.history.migrate` on every open."""
