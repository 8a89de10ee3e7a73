"""Alembic's environment: always online, on the connection (and transaction) the harness hands over."""

from alembic import context

from harness.history.schema import metadata

context.configure(connection=context.config.attributes["connection"], target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
