"""The run history: record runs, read them back for `history`, `trends` and regression gates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from harness.history.database import HistoryError, describe_error, open_engine
from harness.history.location import HistoryLocation
from harness.history.rows import RecordedRun, RunLabels, summary_rows
from harness.history.schema import expectations, faults, mechanism_scores, runs
from harness.verify.results import RunSummary


@dataclass(frozen=True)
class BaselineRun:
    run_id: str
    started_at: float
    value: float


class History:
    """One history database, its schema migrated on opening. Every failure is a one-line `HistoryError`."""

    def __init__(self, location: HistoryLocation):
        self.location = location
        self.engine = open_engine(location)

    def __enter__(self) -> History:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.engine.dispose()

    @contextmanager
    def _transaction(self, doing: str) -> Iterator[Connection]:
        try:
            with self.engine.begin() as connection:
                yield connection
        except SQLAlchemyError as exc:
            raise HistoryError(f"history {self.location.shown}: {doing}: {describe_error(exc)}") from None

    def record(self, summary: RunSummary, labels: RunLabels) -> None:
        """Insert the run, replacing what an earlier recording of the same run id held."""
        run, children = summary_rows(summary, labels)
        with self._transaction(f"cannot record run {summary.run_id}") as connection:
            for table in (expectations, faults, mechanism_scores, runs):
                connection.execute(table.delete().where(table.c.run_id == summary.run_id))
            connection.execute(runs.insert(), run)
            for table in (expectations, faults, mechanism_scores):
                if children[table.name]:
                    connection.execute(table.insert(), children[table.name])

    def recent_runs(self, scenario: str | None = None, last: int | None = None) -> list[RecordedRun]:
        """Newest first: at most `last` runs, of `scenario` if one is named."""
        query = sa.select(runs).order_by(runs.c.started_at.desc(), runs.c.run_id)
        if scenario is not None:
            query = query.where(runs.c.scenario == scenario)
        if last is not None:
            query = query.limit(last)
        with self._transaction("cannot read runs") as connection:
            rows = connection.execute(query).all()
            ids = [row.run_id for row in rows]
            fault_rows = connection.execute(
                sa.select(faults).where(faults.c.run_id.in_(ids)).order_by(faults.c.position)
            ).all()
            failed_rows = connection.execute(
                sa.select(expectations.c.run_id, expectations.c.name)
                .where(expectations.c.run_id.in_(ids), expectations.c.status != "pass")
                .order_by(expectations.c.position)
            ).all()
        return [
            RecordedRun.from_rows(
                row,
                [f for f in fault_rows if f.run_id == row.run_id],
                [e.name for e in failed_rows if e.run_id == row.run_id],
            )
            for row in rows
        ]

    def scenarios(self) -> list[str]:
        with self._transaction("cannot read runs") as connection:
            return list(
                connection.execute(sa.select(runs.c.scenario).distinct().order_by(runs.c.scenario)).scalars()
            )

    def baseline(
        self,
        scenario: str,
        before: float,
        exclude_run_id: str,
        count: int,
        figure: str | None = None,
        fault: str | None = None,
    ) -> list[BaselineRun]:
        """The `count` latest runs of `scenario` that held, started before `before`, with `figure` (a
        column of `runs`) or else `fault`'s recovery time measured: newest first."""
        if fault is not None:
            value = faults.c.recovery_s
            source = runs.join(faults, faults.c.run_id == runs.c.run_id)
            condition = sa.and_(faults.c.name == fault, faults.c.recovery_s.is_not(None))
        else:
            value = runs.c[str(figure)]
            source = runs
            condition = value.is_not(None)
        query = (
            sa.select(runs.c.run_id, runs.c.started_at, value.label("value"))
            .select_from(source)
            .where(
                runs.c.scenario == scenario,
                runs.c.held.is_(sa.true()),
                runs.c.started_at < before,
                runs.c.run_id != exclude_run_id,
                condition,
            )
            .order_by(runs.c.started_at.desc())
            .limit(count)
        )
        with self._transaction("cannot read the baseline") as connection:
            return [BaselineRun(r.run_id, r.started_at, r.value) for r in connection.execute(query)]
