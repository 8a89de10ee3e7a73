"""`safety.halt`: the conditions that stop a drill early, as AWS FIS stop conditions and k6's `abortOnFail`
do, so a drill that takes a stack down does not keep its faults on until the planned end.

Each condition is one of: the error share of the requests answered in the last `over` seconds
(`errors: "rate > 50%"`), a latency percentile over them (`latency: "p(99) > 2s"`), the latest good reading
of a scenario probe (`probe: NAME`, `reads: "== down"`), the stack's health endpoint failing (connection
error or status >= 400) for `for` seconds (`http: {url: ...}`), or a file an operator touches (`file:`).
They are evaluated every `every` seconds during the load (`harness.halt_monitor`); on the first one met,
every fault is reverted and the load goes on for `observe` seconds so recovery is still measured.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Self

from pydantic import Field, field_validator, model_validator

from harness.calls import check_http_url
from harness.comparisons import check_condition, parse_comparison
from harness.durations import Duration, PositiveDuration, format_duration
from harness.scenario.strict import Strict
from harness.thresholds import Scope, Threshold, parse_threshold

KINDS = ("errors", "latency", "probe", "http", "file")
DEFAULT_OVER_S = 5.0


class HaltHttp(Strict):
    """The stack's health endpoint: `${VAR}` placeholders are resolved once the stack runs, as for probes."""

    url: str
    timeout: PositiveDuration = 1.0

    _url = field_validator("url")(check_http_url)


class HaltCondition(Strict):
    """Exactly one of `errors`, `latency`, `probe` (with `reads`), `http` (with `for`), `file`."""

    errors: str | None = None
    """`rate OP X%`: the share of the requests answered in the last `over` seconds that failed."""
    latency: str | None = None
    """`p(N) OP T`: that percentile of the latency of the requests answered in the last `over` seconds."""
    over: PositiveDuration | None = None
    probe: str | None = None
    reads: str | None = None
    http: HaltHttp | None = None
    for_: PositiveDuration | None = Field(None, alias="for")
    file: Path | None = None

    _reads = field_validator("reads")(check_condition)

    @field_validator("errors")
    @classmethod
    def _error_rate(cls, text: str | None) -> str | None:
        if text is not None and parse_threshold("errors", Scope("all"), text).aggregation != "rate":
            raise ValueError(f"{text!r}: a halt on errors takes their rate, e.g. 'rate > 50%'")
        return text

    @field_validator("latency")
    @classmethod
    def _latency_percentile(cls, text: str | None) -> str | None:
        if text is not None and parse_threshold("latency", Scope("all"), text).percentile is None:
            raise ValueError(f"{text!r}: a halt on latency takes a percentile, e.g. 'p(99) > 2s'")
        return text

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        given = [k for k in KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of {', '.join(KINDS)} (got {', '.join(given) or 'none'})")
        kind = given[0]
        for key, owners in (("over", ("errors", "latency")), ("reads", ("probe",)), ("for_", ("http",))):
            if getattr(self, key) is not None and kind not in owners:
                raise ValueError(f"{key.rstrip('_')}: only with {' or '.join(owners)}, not with {kind}")
        if kind == "probe" and self.reads is None:
            raise ValueError("reads: required with probe, e.g. reads: '== down'")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in KINDS if getattr(self, k) is not None)

    @property
    def over_s(self) -> float:
        return self.over if self.over is not None else DEFAULT_OVER_S

    @property
    def for_s(self) -> float:
        """How long the health endpoint must fail in a row; without `for`, one failed reading halts."""
        return self.for_ if self.for_ is not None else 0.0

    def threshold(self) -> Threshold:
        """The parsed `errors` or `latency` threshold (ms for latency, a 0..1 fraction for errors)."""
        metric = "errors" if self.errors is not None else "latency"
        return parse_threshold(metric, Scope("all"), str(self.errors or self.latency))

    def describe(self) -> str:
        """The condition as the scenario writes it, for the halt's event and the report."""
        match self.kind:
            case "errors" | "latency":
                return f"{self.kind} {getattr(self, self.kind)} over {format_duration(self.over_s)}"
            case "probe":
                return f"probe {self.probe} {parse_comparison(str(self.reads)).text}"
            case "http":
                assert self.http is not None
                lasting = f" for {format_duration(self.for_s)}" if self.for_ is not None else ""
                return f"http {self.http.url} failing{lasting}"
        return f"file {self.file} exists"


class HaltSpec(Strict):
    every: PositiveDuration = 1.0
    """How often the conditions are evaluated: a halt reverts the faults within one period."""
    observe: Duration = 10.0
    """How long the load goes on after a halt (never past its planned end), so recovery is measured."""
    when: list[HaltCondition] = Field(min_length=1)


def check_halt_probes(halt: HaltSpec | None, probes: Collection[str]) -> None:
    """ValueError naming the field: a halt on a probe the scenario does not read."""
    for index, condition in enumerate(halt.when if halt else []):
        if condition.probe is not None and condition.probe not in probes:
            known = ", ".join(sorted(probes)) or "none"
            raise ValueError(
                f"safety.halt.when[{index}].probe: unknown probe {condition.probe!r} (probes: {known})"
            )
