"""The history's tables, as SQLAlchemy Core metadata: what queries use and what migrations must produce.

Changing a table means a new migration in `migrations/versions/`; tests/history/test_migrations.py fails
while the migrated schema and this metadata differ.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

Seconds = sa.Float(precision=53)
"""Epoch seconds and durations: double precision on PostgreSQL too (a real would lose sub-seconds)."""

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", sa.String(64), primary_key=True),
    sa.Column("scenario", sa.String(64), nullable=False),
    sa.Column("scenario_file", sa.Text, nullable=False),
    sa.Column("run_dir", sa.Text, nullable=False),
    sa.Column("stack_version", sa.String(200)),
    sa.Column("suite", sa.String(64)),
    sa.Column("backend", sa.String(16), nullable=False),
    sa.Column("seed", sa.String(20), nullable=False),
    sa.Column("started_at", Seconds, nullable=False),
    sa.Column("finished_at", Seconds),
    sa.Column("verdict", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("held", sa.Boolean, nullable=False),
    sa.Column("requests", sa.Integer, nullable=False),
    sa.Column("error_rate", Seconds),
    sa.Column("latency_p50_ms", Seconds),
    sa.Column("latency_p95_ms", Seconds),
    sa.Column("latency_p99_ms", Seconds),
    sa.Column("mean_attempts", Seconds),
    sa.Column("error_budget_burn", Seconds),
    sa.Column("compliance_steady", Seconds),
    sa.Column("compliance_faulted", Seconds),
    sa.Column("score", Seconds),
    sa.Column("resilience", sa.JSON, nullable=False),
    sa.Column("recorded_at", Seconds, nullable=False),
    sa.Index("ix_runs_scenario_started", "scenario", "started_at"),
)
"""One row per run. `held`: it ran as planned and met every expectation but its regression gates, which
makes it a baseline for later gates. `resilience`: the score and its inputs, per mechanism too."""

expectations = sa.Table(
    "expectations",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("metric", sa.String(32), nullable=False),
    sa.Column("observed", Seconds),
    sa.Column("threshold", sa.Text, nullable=False),
    sa.Column("unit", sa.String(8), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("explanation", sa.Text, nullable=False),
)

faults = sa.Table(
    "faults",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("targets", sa.JSON, nullable=False),
    sa.Column("applied_at", Seconds),
    sa.Column("cleared_at", Seconds),
    sa.Column("recovery_s", Seconds),
    sa.Column("problem", sa.Text),
)

mechanism_scores = sa.Table(
    "mechanism_scores",
    metadata,
    sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    sa.Column("mechanism", sa.String(32), primary_key=True),
    sa.Column("score", Seconds, nullable=False),
)
