"""The resilience score of a run (0–100) and of each mechanism it exercised, never without its inputs.

A single figure is what people track month over month, but a bare number hides why it moved, so every
score carries the inputs it was computed from and is shown with them (reports, `history`, `trends`).

    E  expectations met     met / evaluated; "not measured" counts as not met. Regression gates are left
                            out: they compare with history, the score measures the run against its limits.
    R  time headroom        per expectation with a time limit (recovery_time, time_to_detect,
                            time_to_mitigate, breaker_opened, rollback, drift_detected): 1 − observed /
                            limit, clamped to 0..1; one not met counts 0; the mean over them.
    B  error budget left    1 − error-budget burn, clamped to 0..1; 0 when nothing was measured.

    score = 100 × (50·E + 30·R + 20·B) / (sum of the weights of the inputs present)

E is absent without expectations and R without time limits; their weight is then left out of the divisor.
A mechanism's score is the same formula with E and R over the expectations that exercise it (`MECHANISMS`)
and without B, which is run-wide. A run that did not run as planned (`error`) or did not finish
(`incomplete`) proves nothing and has no score, only the reason why.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.durations import parse_duration
from harness.verify.results import ExpectationResult, RunSummary

WEIGHTS = {"expectations met": 50, "time headroom": 30, "error budget left": 20}
_SHORT_NAMES = {"expectations met": "met", "time headroom": "headroom", "error budget left": "budget left"}
FORMULA = "score = 100 × (50·E + 30·R + 20·B) / (weights of the inputs present)"
_DURATION = re.compile(r"\d+(?:\.\d+)?(?:us|µs|ms|s|m|h)\b")
GATE_METRIC = "regression"
"""Regression gates' metric: compared with history, so outside the score."""
TIME_LIMITED = frozenset(
    {"recovery_time", "time_to_detect", "time_to_mitigate", "breaker_opened", "rollback", "drift_detected"}
)
MECHANISMS: dict[str, frozenset[str]] = {
    "retries": frozenset({"attempts"}),
    "failover": frozenset({"recovery_time", "breaker_opened"}),
    "rollback": frozenset({"rollback"}),
    "drift detection": frozenset({"drift_detected"}),
    "degradation": frozenset({"degraded"}),
}
"""Which expectation metrics exercise each mechanism of a serving stack."""


@dataclass(frozen=True)
class ScoreInput:
    name: str
    value: float
    """0..1."""
    weight: int
    detail: str


@dataclass(frozen=True)
class Score:
    value: float | None
    """0..100, one decimal; None with `reason` when there is nothing to score."""
    inputs: list[ScoreInput] = field(default_factory=list)
    reason: str | None = None

    def short(self) -> str:
        """`87.5 (met 75%, headroom 70%, budget left 95%)`: for tables."""
        if self.value is None:
            return f"not scored ({self.reason})"
        parts = [f"{_SHORT_NAMES[i.name]} {i.value:.0%}" for i in self.inputs]
        return f"{self.value:g} ({', '.join(parts)})"

    def describe(self) -> str:
        """The score, the formula filled in, and where each input came from."""
        if self.value is None:
            return f"not scored: {self.reason}"
        weights = sum(i.weight for i in self.inputs)
        terms = " + ".join(f"{i.weight}×{i.value:.2f}" for i in self.inputs)
        details = "; ".join(f"{i.name} {i.value:.0%}: {i.detail}" for i in self.inputs)
        return f"{self.value:g}/100 = 100 × ({terms}) / {weights} — {details}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Score:
        inputs = [ScoreInput(**i) for i in data.get("inputs") or []]
        return cls(data.get("value"), inputs, data.get("reason"))


@dataclass(frozen=True)
class Resilience:
    run: Score
    mechanisms: dict[str, Score]
    """Only the mechanisms the run's expectations exercised."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "formula": FORMULA,
            "run": self.run.to_dict(),
            "mechanisms": {name: score.to_dict() for name, score in self.mechanisms.items()},
        }


def resilience(summary: RunSummary) -> Resilience:
    if summary.verdict in ("error", "incomplete", "halted"):
        # A halted drill's faults were cut short: its figures cover a different, shorter drill than the one
        # planned, so a score would compare with other runs' scores as if it were the same drill.
        why = {"error": "the drill did not run as planned", "incomplete": "the run did not finish",
               "halted": "a safety halt cut the drill short"}[summary.verdict]  # fmt: skip
        return Resilience(Score(None, reason=why), {})
    scored = [e for e in summary.expectations if e.metric != GATE_METRIC]
    burn = summary.slo.error_budget_burn
    budget = ScoreInput(
        "error budget left",
        _clamp(1 - burn) if burn is not None else 0.0,
        WEIGHTS["error budget left"],
        f"burn {burn:.1%}" if burn is not None else "burn not measured (no requests)",
    )
    run = _score([*_expectation_inputs(scored), budget])
    mechanisms = {}
    for mechanism, metrics in MECHANISMS.items():
        exercised = [e for e in scored if e.metric in metrics]
        if exercised:
            mechanisms[mechanism] = _score(_expectation_inputs(exercised))
    return Resilience(run, mechanisms)


def _expectation_inputs(expectations: list[ExpectationResult]) -> list[ScoreInput]:
    inputs = []
    if expectations:
        met = sum(e.passed for e in expectations)
        share = met / len(expectations)
        detail = f"{met}/{len(expectations)} expectations"
        inputs.append(ScoreInput("expectations met", share, WEIGHTS["expectations met"], detail))
    timed = [(e, limit) for e in expectations if e.metric in TIME_LIMITED and (limit := _limit(e))]
    if timed:
        headroom = [_headroom(e, limit) for e, limit in timed]
        detail = ", ".join(
            f"{e.name.split(': ', 1)[-1]}: {h:.0%}" for (e, _), h in zip(timed, headroom, strict=True)
        )
        inputs.append(
            ScoreInput("time headroom", sum(headroom) / len(headroom), WEIGHTS["time headroom"], detail)
        )
    return inputs


def _limit(expectation: ExpectationResult) -> float | None:
    """The time limit in seconds, from the threshold as reported (`<= 5s`); None if it names none."""
    match = _DURATION.search(expectation.threshold)
    return parse_duration(match.group(0)) if match else None


def _headroom(expectation: ExpectationResult, limit: float) -> float:
    """Share of the time limit left unused (limit 5 s, observed 1 s: 0.8); 0 for one not met."""
    if not expectation.passed or expectation.observed is None:
        return 0.0
    return _clamp(1 - expectation.observed / limit)


def _score(inputs: list[ScoreInput]) -> Score:
    weights = sum(i.weight for i in inputs)
    value = 100 * sum(i.weight * i.value for i in inputs) / weights
    return Score(round(value, 1), inputs)


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)
