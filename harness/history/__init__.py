"""The run history: every run recorded in SQLite (default) or PostgreSQL, read back by `history`, `trends`
and regression gates. Where it lives: `location`; schema and migrations: `schema`, `migrations/`."""
