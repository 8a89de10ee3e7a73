"""k6-style threshold expressions (`p(99) < 250ms`, `rate < 0.5%`) parsed strictly.

k6 lets a mistyped threshold pass silently; here every expression is parsed against a catalogue of metrics,
aggregations and units at validation time, so a typo is a validation error rather than a green drill.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}

_EXPRESSION = re.compile(
    r"^\s*(?P<agg>p\(\s*(?P<pct>\d+(?:\.\d+)?)\s*\)|[a-z_][a-z0-9_]*)\s*"
    r"(?P<op><=|>=|==|!=|<|>)\s*"
    r"(?P<value>-?\d+(?:\.\d+)?)\s*(?P<unit>us|ms|s|%)?\s*$"
)
_METRIC_KEY = re.compile(r"^(?P<metric>[a-z_]+)(?:\{(?P<scope>[^{}]*)\})?$")
_SCOPE = re.compile(
    r"\s*(?:(?P<steady>steady)|(?P<kind>fault|version|replica|stage):\s*(?P<name>[^\s{}]+))\s*"
)

_TIME_UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class MetricSpec:
    """What a metric accepts: its aggregations and how its threshold values are written."""

    aggregations: frozenset[str]
    kind: str
    """'time' (compared in ms), 'fraction' (written as % or 0..1), or 'number'."""
    scoped: bool
    """Whether scopes (`{steady}`, `{fault:NAME}`, `{version:V}`, `{replica:R}`) make sense for it."""
    percentiles: bool = False
    plain: frozenset[str] = frozenset({"count"})
    """Aggregations of a 'fraction' metric that are plain numbers (a count, a mean absolute error)."""
    spans: bool = False
    """A per-second figure: only scopes that are a stretch of time (all, `{stage:N}`, `{fault:NAME}`)."""


_RATE_OR_COUNT = frozenset({"rate", "count"})

METRICS: dict[str, MetricSpec] = {
    # request latency (from the intended send time in open-model load)
    "latency": MetricSpec(frozenset({"avg", "med", "min", "max"}), "time", scoped=True, percentiles=True),
    # requests that did not get a 2xx answer
    "errors": MetricSpec(_RATE_OR_COUNT, "fraction", scoped=True),
    # requests rejected with a 4xx (e.g. schema-drifted input)
    "client_errors": MetricSpec(_RATE_OR_COUNT, "fraction", scoped=True),
    # requests failed with a 5xx, a timeout or a broken connection
    "server_errors": MetricSpec(_RATE_OR_COUNT, "fraction", scoped=True),
    # upstream attempts per request reported by the gateway in X-Attempts (retry amplification)
    "attempts": MetricSpec(frozenset({"mean", "max"}), "number", scoped=True, percentiles=True),
    # requests answered by the gateway's fallback model, as its X-Degraded header says
    "degraded": MetricSpec(_RATE_OR_COUNT, "fraction", scoped=True),
    # open-model requests sent late or never sent (coordinated omission evidence)
    "late": MetricSpec(_RATE_OR_COUNT, "fraction", scoped=False),
    # failed requests / failures allowed by the availability target
    "error_budget": MetricSpec(frozenset({"burn"}), "fraction", scoped=False),
    # the answers' predictions against the ground truth of what was sent (harness/verify/quality.py):
    # share of rows classified right or wrong, mean absolute error of the scores
    "quality": MetricSpec(
        frozenset({"accuracy", "error_rate", "mae"}), "fraction", scoped=True, plain=frozenset({"mae"})
    ),
    # answers a stack refused to serve for overload: 429 (rate limited) or 503 (shed, unavailable)
    "shed": MetricSpec(_RATE_OR_COUNT, "fraction", scoped=True),
    # good answers (2xx, not from the fallback model) per second of the scope's time span
    "goodput": MetricSpec(frozenset({"rps"}), "number", scoped=True, spans=True),
    # fraction of SLO windows that met the SLO (outside faults, during faults, all)
    "slo": MetricSpec(frozenset({"steady", "faulted", "overall"}), "fraction", scoped=False),
}


@dataclass(frozen=True)
class Scope:
    """Which requests a threshold looks at: all, those outside every fault, those during one fault or
    one load stage, or those one model version or replica answered."""

    kind: str
    """'all', 'steady', 'fault', 'stage', 'version' or 'replica'."""
    fault: str | None = None
    name: str | None = None
    """The version, replica, or stage number (from 1)."""

    def label(self) -> str:
        if self.kind in ("version", "replica", "stage"):
            return f"{{{self.kind}:{self.name}}}"
        return {"all": "", "steady": "{steady}"}.get(self.kind, f"{{fault:{self.fault}}}")


@dataclass(frozen=True)
class Threshold:
    metric: str
    scope: Scope
    aggregation: str
    """'p' for percentiles (see `percentile`), else the aggregation name."""
    percentile: float | None
    op: str
    value: float
    """In the metric's canonical unit: ms for time, a 0..1 fraction for rates, else as written."""
    text: str

    @property
    def name(self) -> str:
        return f"{self.metric}{self.scope.label()}: {self.text.strip()}"

    def holds(self, observed: float) -> bool:
        return _OPERATORS[self.op](observed, self.value)

    @property
    def unit(self) -> str:
        spec = METRICS[self.metric]
        if spec.kind == "time":
            return "ms"
        if spec.kind == "fraction" and self.aggregation not in spec.plain:
            return "ratio"
        return ""


def parse_metric_key(key: str) -> tuple[str, Scope]:
    """Split `latency{fault:slow-link}` into the metric and its scope; raise ValueError on anything else."""
    match = _METRIC_KEY.match(key.strip())
    if not match or match.group("metric") not in METRICS:
        known = ", ".join(sorted([*METRICS, "recovery_time"]))
        raise ValueError(f"unknown metric {key!r} (known: {known})")
    metric, scope_text = match.group("metric"), match.group("scope")
    if scope_text is None:
        return metric, Scope("all")
    if not METRICS[metric].scoped:
        raise ValueError(f"metric {metric!r} takes no scope, got {{{scope_text}}}")
    scope = _SCOPE.fullmatch(scope_text)
    if scope is None:
        raise ValueError(
            f"invalid scope {{{scope_text}}} on {metric!r}: use {{steady}}, {{fault:NAME}}, {{stage:N}}, "
            "{version:V} or {replica:R}"
        )
    kind, name = ("steady", None) if scope["steady"] else (scope["kind"], scope["name"])
    if kind == "stage" and not (name.isdigit() and int(name) >= 1):
        raise ValueError(f"invalid scope {{{scope_text}}} on {metric!r}: stages are numbered from 1")
    if METRICS[metric].spans and kind not in ("fault", "stage"):
        raise ValueError(
            f"{metric} is per second of a stretch of time: the whole load, {{stage:N}} or {{fault:NAME}}, "
            f"not {{{scope_text}}}"
        )
    if kind == "fault":
        return metric, Scope("fault", name)
    return metric, Scope(kind, name=name)


def parse_threshold(metric: str, scope: Scope, text: str) -> Threshold:
    """Parse one expression for `metric`, converting its value to the metric's canonical unit."""
    spec = METRICS[metric]
    match = _EXPRESSION.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"invalid threshold {text!r}: expected e.g. 'p(99) < 250ms' or 'rate < 0.5%'")
    agg, pct, unit = match.group("agg"), match.group("pct"), match.group("unit")
    value = float(match.group("value"))
    percentile = None
    if pct is not None:
        if not spec.percentiles:
            raise ValueError(f"{metric!r} has no percentiles; use one of {sorted(spec.aggregations)}")
        percentile = float(pct)
        if not 0 < percentile <= 100:
            raise ValueError(f"percentile p({pct}) must be in (0, 100]")
        agg = "p"
    elif agg not in spec.aggregations:
        allowed = sorted(spec.aggregations | ({"p(N)"} if spec.percentiles else set()))
        hint = f"; did you mean p({agg[1:]})?" if re.fullmatch(r"p\d+", agg) and spec.percentiles else ""
        raise ValueError(f"unknown aggregation {agg!r} for {metric!r} (allowed: {', '.join(allowed)}){hint}")
    value = _canonical_value(metric, spec, agg, value, unit, text)
    return Threshold(metric, scope, agg, percentile, match.group("op"), value, text)


def _canonical_value(
    metric: str, spec: MetricSpec, agg: str, value: float, unit: str | None, text: str
) -> float:
    if spec.kind == "time":
        if unit == "%":
            raise ValueError(f"{text!r}: {metric} is a time; use us, ms or s")
        return value * _TIME_UNITS_MS[unit or "ms"]
    if unit in _TIME_UNITS_MS:
        raise ValueError(f"{text!r}: {metric} {agg} is not a time, drop the unit {unit!r}")
    if spec.kind == "fraction" and agg not in spec.plain:
        fraction = value / 100 if unit == "%" else value
        if not 0 <= fraction <= 1:
            raise ValueError(f"{text!r}: a rate must be between 0 and 1 (or 0% and 100%)")
        return fraction
    if unit == "%":
        raise ValueError(f"{text!r}: {metric} {agg} is a number, not a percentage")
    return value


def parse_fraction(value: object) -> float:
    """Availability targets: `'99.5%'` or `0.995`."""
    if isinstance(value, bool):
        raise ValueError(f"expected a fraction such as '99.5%' or 0.995, got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        try:
            fraction = float(text[:-1]) / 100 if text.endswith("%") else float(text)
        except ValueError:
            raise ValueError(f"expected a fraction such as '99.5%' or 0.995, got {value!r}") from None
    elif isinstance(value, int | float):
        fraction = float(value)
    else:
        raise ValueError(f"expected a fraction such as '99.5%' or 0.995, got {value!r}")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {value!r}")
    return fraction
