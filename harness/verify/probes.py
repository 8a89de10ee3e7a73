"""Expectations verified from probe readings (`probes.jsonl`): pure functions of the readings and the
fault records, like every other verification.

Evidence rule: only good readings count (an error is no reading). An expectation on a probe that never
got a good reading, or none in the time it is about, is `not measured`; so is one whose readings stopped
before its limit (or, with `holds`, before the load ended) without settling it. A failure always names
the reading that failed it.

Mechanism expectations that take a probe as evidence (`rollback: {probe, reads}`) ask for a *turn*: a
reading that satisfies `reads` right after one that did not, seen after the fault and before its window
ended (after that, the harness's own undo could be what the probe shows). A probe that read `reads` all
along never showed the fault take effect, so it proves nothing: not measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.comparisons import Comparison, as_text, parse_comparison, shown
from harness.durations import format_duration
from harness.scenario.model import Scenario
from harness.scenario.probes import ProbeExpectation
from harness.verify.results import ExpectationResult, FaultRecord

Reading = dict[str, Any]
"""One line of probes.jsonl: t (epoch seconds, when the reading started), probe, value, error."""
MAX_LISTED_CHANGES = 20
"""Per probe, in the report's timeline; the plot shows every reading."""


@dataclass(frozen=True)
class ProbeSeries:
    """One probe's readings: the good ones in time order, and how many failed."""

    name: str
    good: list[tuple[float, Any]]
    errors: int = 0
    last_error: str | None = None

    def failures(self) -> str:
        """ "; 3 readings failed (last: ...)" or ""."""
        if not self.errors:
            return ""
        return f"; {self.errors:,} readings failed (last: {self.last_error})"


def probe_series(readings: Sequence[Reading], probe: str) -> ProbeSeries:
    good, errors, last_error = [], 0, None
    for reading in sorted((r for r in readings if r.get("probe") == probe), key=lambda r: float(r["t"])):
        if reading.get("error"):
            errors += 1
            last_error = str(reading["error"])
        else:
            good.append((float(reading["t"]), reading.get("value")))
    return ProbeSeries(probe, good, errors, last_error)


def _values(readings: Sequence[tuple[float, Any]], most: int = 3) -> str:
    """The distinct values among `readings`, in order of appearance: "20, 25, 30, ..."."""
    distinct: list[str] = []
    for _, value in readings:
        if (text := shown(value)) not in distinct:
            distinct.append(text)
    return ", ".join(distinct[:most]) + (", ..." if len(distinct) > most else "")


# --- expectations.probes ------------------------------------------------------------------------------


def evaluate_probe_expectations(
    scenario: Scenario, readings: Sequence[Reading], faults: Sequence[FaultRecord], load_started_at: float
) -> list[ExpectationResult]:
    records = {f.name: f for f in faults}
    every = {p.name: p.every for p in scenario.probes}
    load_end = load_started_at + scenario.load.duration
    return [
        _probe_expectation(
            e,
            probe_series(readings, e.probe),
            _anchor(e, records, load_started_at),
            load_end - every[e.probe],
        )
        for e in scenario.expectations.probes
    ]


def _anchor(
    e: ProbeExpectation, records: dict[str, FaultRecord], load_started_at: float
) -> tuple[float, str] | str:
    """When the expectation's time starts and how to say it ("deploy's start"), or why it never started."""
    if e.after is None:
        return load_started_at, "the load start"
    record = records[e.after]
    if record.applied_at is None:
        return record.error or f"{e.after} was never applied"
    if e.from_ == "start":
        return record.applied_at, f"{e.after}'s start"
    if record.cleared_at is None:
        return record.clear_error or f"{e.after} was never cleared"
    return record.cleared_at, f"{e.after}'s end"


def _probe_expectation(
    e: ProbeExpectation, series: ProbeSeries, anchor: tuple[float, str] | str, covered_until: float
) -> ExpectationResult:
    """`covered_until`: the last reading of a probe that held to the end of the load is no earlier."""
    name, threshold = e.describe(), f"<= {format_duration(e.within)}"
    limit = format_duration(e.within)

    def not_measured(why: str) -> ExpectationResult:
        return ExpectationResult.not_measured(name, "probe", threshold, "s", why)

    def result(latency: float | None, passed: bool, why: str) -> ExpectationResult:
        return ExpectationResult(name, "probe", latency, threshold, "s", passed, why)

    if isinstance(anchor, str):
        return not_measured(anchor)
    since, words = anchor
    if not series.good:
        return not_measured(f"probe {e.probe} never got a good reading{series.failures()}")
    condition = parse_comparison(e.reads)
    deadline = since + e.within
    scope = [(t, v) for t, v in series.good if since <= t <= deadline]
    first = next(((t, v) for t, v in scope if condition.holds(v)), None)
    if first is None:
        if not scope:
            return not_measured(f"no good reading of probe {e.probe} within {limit} of {words}")
        seen = f"probe {e.probe} read {_values(scope)}"
        last = series.good[-1][0]
        if last < deadline:
            return not_measured(
                f"{seen}, never {e.reads}, but its last reading was at {last - since:+.2f}s from "
                f"{words}, short of the {limit} limit"
            )
        return result(None, False, f"{seen} within {limit} of {words}, never {e.reads}")
    latency = first[0] - since
    text = f"probe {e.probe} read {shown(first[1])} {latency:.2f}s after {words}"
    if not e.holds:
        return result(latency, True, f"{text}; within the {limit} limit")
    later = [(t, v) for t, v in series.good if t >= first[0]]
    broken = next(((t, v) for t, v in later if not condition.holds(v)), None)
    if broken is not None:
        return result(
            latency,
            False,
            f"{text}, but read {shown(broken[1])} {broken[0] - since:.2f}s after {words}",
        )
    last = later[-1][0]
    if last < covered_until:
        return not_measured(
            f"{text} and held, but its last good reading was {covered_until - last:.2f}s before the end of "
            f"the load{series.failures()}"
        )
    return result(
        latency,
        True,
        f"{text} and held in all {len(later):,} readings to the end of the load{series.failures()}",
    )


# --- mechanism expectations from a probe -----------------------------------------------------------------


@dataclass(frozen=True)
class Turn:
    """The probe's first reading that satisfied the condition right after one that did not."""

    t: float
    value: Any
    before: Any


@dataclass(frozen=True)
class NoTurn:
    measured: bool
    """True: the probe was read long enough to say the turn never came (a failure)."""
    why: str


def probe_turn(
    series: ProbeSeries, condition: Comparison, fault: str, since: float, until: float, within: float
) -> Turn | NoTurn:
    """The turn to `condition` in [since, until) (the fault's injection and the end of its window), or why
    there is none."""
    probe = f"probe {series.name}"
    if not series.good:
        return NoTurn(False, f"{probe} never got a good reading{series.failures()}")
    scope = [(t, v) for t, v in series.good if since <= t < until]
    if not scope:
        return NoTurn(False, f"no good reading of {probe} between {fault}'s injection and its end")
    previous: tuple[bool, Any] | None = None
    for t, value in series.good:
        if t >= until:
            break
        satisfied = condition.holds(value)
        if satisfied and t >= since and previous is not None and not previous[0]:
            return Turn(t, value, previous[1])
        previous = (satisfied, value)
    if all(condition.holds(v) for _, v in scope):
        return NoTurn(
            False,
            f"{probe} read {condition.text} ({_values(scope)}) in all {len(scope):,} readings since {fault} "
            f"was injected and in the one before: {fault} was never seen taking effect",
        )
    seen = f"{probe} read {_values([r for r in scope if not condition.holds(r[1])])}, never {condition.text}"
    last = scope[-1][0] - since
    if last < within:
        return NoTurn(
            False,
            f"{seen}, but its last reading before {fault} ended was at {last:+.2f}s from its injection, "
            f"short of the {format_duration(within)} limit",
        )
    return NoTurn(True, f"{seen} after {fault} was injected, until {fault} ended{series.failures()}")


def read_before(series: ProbeSeries, condition: Comparison, since: float) -> tuple[float, Any] | None:
    """The first good reading before `since` that satisfied `condition` (a false alarm for a drift alert)."""
    return next(((t, v) for t, v in series.good if t < since and condition.holds(v)), None)


# --- the report's timeline -------------------------------------------------------------------------------


def probe_transitions(readings: Sequence[Reading]) -> list[dict[str, Any]]:
    """Each probe's first reading and every change after it (a new value, an error, back from one), as
    timeline events; after MAX_LISTED_CHANGES per probe, one event says how many more there were."""
    events: list[dict[str, Any]] = []
    last: dict[str, str | None] = {}
    """Per probe: the value's text, or None after an error."""
    listed: dict[str, int] = {}
    unlisted: dict[str, tuple[float, int]] = {}
    for reading in sorted(readings, key=lambda r: float(r["t"])):
        probe, t = str(reading.get("probe")), float(reading["t"])
        error = reading.get("error")
        state = None if error else as_text(reading.get("value"))
        if probe in last and last[probe] == state:
            continue
        now = f"error ({error})" if error else shown(reading.get("value"))
        change = (
            f"{shown(last[probe]) if last[probe] is not None else 'error'} → {now}" if probe in last else now
        )
        last[probe] = state
        count = listed.get(probe, 0)
        if count < MAX_LISTED_CHANGES:
            listed[probe] = count + 1
            events.append({"t": t, "event": "probe_changed", "details": f"{probe}: {change}"})
        else:
            since, count = unlisted.get(probe, (t, 0))
            unlisted[probe] = (since, count + 1)
    for probe, (since, count) in unlisted.items():
        details = f"{probe}: {count:,} more changes from here on (see the probes plot)"
        events.append({"t": since, "event": "probe_changed", "details": details})
    return events
