"""A minimal Prometheus text-exposition registry.

prometheus_client is not a dependency of the project; the stack only needs counters, gauges and one
histogram family, rendered in the text format (version 0.0.4) that Prometheus and the harness scrape.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

Labels = tuple[tuple[str, str], ...]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

DEFAULT_LATENCY_BUCKETS_S: tuple[float, ...] = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def format_labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{key}="{_escape(val)}"' for key, val in labels) + "}"


def _labels(values: dict[str, str] | None) -> Labels:
    return tuple(sorted((values or {}).items()))


class Counter:
    """Monotonic counter family keyed by label set."""

    kind = "counter"

    def __init__(self, name: str, help_text: str) -> None:
        self.name = name
        self.help_text = help_text
        self.values: dict[Labels, float] = {}

    def inc(self, amount: float = 1.0, labels: dict[str, str] | None = None) -> None:
        key = _labels(labels)
        self.values[key] = self.values.get(key, 0.0) + amount

    def total(self) -> float:
        return sum(self.values.values())

    def samples(self) -> Iterable[str]:
        for key, value in self.values.items():
            yield f"{self.name}{format_labels(key)} {value}"


class Gauge(Counter):
    """Settable value family; shares the label bookkeeping of Counter."""

    kind = "gauge"

    def set(self, value: float, labels: dict[str, str] | None = None) -> None:
        self.values[_labels(labels)] = float(value)


class Histogram:
    """Cumulative-bucket histogram without labels (one family per metric is all the stack needs)."""

    kind = "histogram"

    def __init__(
        self, name: str, help_text: str, buckets: tuple[float, ...] = DEFAULT_LATENCY_BUCKETS_S
    ) -> None:
        self.name = name
        self.help_text = help_text
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.sum += value

    def samples(self) -> Iterable[str]:
        cumulative = 0
        for bound, count in zip(self.buckets, self.counts, strict=False):
            cumulative += count
            yield f'{self.name}_bucket{{le="{bound}"}} {cumulative}'
        cumulative += self.counts[-1]
        yield f'{self.name}_bucket{{le="+Inf"}} {cumulative}'
        yield f"{self.name}_sum {self.sum}"
        yield f"{self.name}_count {cumulative}"


Metric = Counter | Histogram


def render(metrics: Iterable[Metric]) -> str:
    lines: list[str] = []
    for metric in metrics:
        lines.append(f"# HELP {metric.name} {metric.help_text}")
        lines.append(f"# TYPE {metric.name} {metric.kind}")
        lines.extend(metric.samples())
    return "\n".join(lines) + "\n"
