"""The history's first tables: runs, their expectations, faults and mechanism scores."""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Seconds = sa.Float(precision=53)


def upgrade() -> None:
    op.create_table(
        "runs",
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
    )
    op.create_index("ix_runs_scenario_started", "runs", ["scenario", "started_at"])
    op.create_table(
        "expectations",
        sa.Column("run_id", sa.String(64), _run_key(), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("observed", Seconds),
        sa.Column("threshold", sa.Text, nullable=False),
        sa.Column("unit", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("explanation", sa.Text, nullable=False),
    )
    op.create_table(
        "faults",
        sa.Column("run_id", sa.String(64), _run_key(), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("applied_at", Seconds),
        sa.Column("cleared_at", Seconds),
        sa.Column("recovery_s", Seconds),
        sa.Column("problem", sa.Text),
    )
    op.create_table(
        "mechanism_scores",
        sa.Column("run_id", sa.String(64), _run_key(), primary_key=True),
        sa.Column("mechanism", sa.String(32), primary_key=True),
        sa.Column("score", Seconds, nullable=False),
    )


def _run_key() -> sa.ForeignKey:
    """A child row goes with its run (`history import` replaces a run's rows when it is imported again)."""
    return sa.ForeignKey("runs.run_id", ondelete="CASCADE")


def downgrade() -> None:
    for table in ("mechanism_scores", "faults", "expectations", "runs"):
        op.drop_table(table)
