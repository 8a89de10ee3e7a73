"""`probes:` (what the harness reads from the stack while a drill runs) and the expectations on them.

A probe is read every `every` seconds from the moment the stack is ready until the teardown starts, each
reading recorded in the run directory (`harness.probe_monitor`): an HTTP answer (its status code, or a
JMESPath into its JSON), one sample of a Prometheus text endpoint (a metric and labels), or a command's
output. This is how a drill sees inside a stack nobody here wrote: a load balancer's server weights, a
model registry's current version, a health endpoint.

Expectations on probes (`expectations.probes`) and mechanism expectations that take a probe as their
evidence (`rollback`, `breaker_opened`, `drift_detected` with `probe` and `reads`) are verified from the
readings alone (`harness.verify.probes`).
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from harness.calls import Command, HttpCall, check_http_url
from harness.comparisons import check_condition
from harness.durations import PositiveDuration, format_duration
from harness.load.observation import check_json_path
from harness.scenario.strict import Strict, check_name

MIN_EVERY_S = 0.05


class HttpProbe(HttpCall):
    """The answer's status code, or with `json_path` the value that path finds in its JSON body."""

    json_path: str | None = Field(None, min_length=1)

    @field_validator("json_path")
    @classmethod
    def _valid_path(cls, path: str | None) -> str | None:
        return None if path is None else check_json_path(path)


class PrometheusProbe(Strict):
    """The one sample of `metric` (as the exposition names it, e.g. `haproxy_server_weight`) whose labels
    include `labels`, from a Prometheus text endpoint."""

    url: str
    metric: str = Field(pattern=r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
    labels: dict[str, str] = Field(default_factory=dict)

    _url = field_validator("url")(check_http_url)

    def describe(self) -> str:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()))
        return f"{self.metric}{{{labels}}}" if labels else self.metric


class ProbeSpec(Strict):
    name: str
    every: PositiveDuration = 1.0
    timeout: PositiveDuration = 2.0
    """For one reading; a reading that takes longer is an error (and the next one starts right away)."""
    http: HttpProbe | None = None
    prometheus: PrometheusProbe | None = None
    command: Command | None = None
    """Its stdout, trimmed, is the reading; a non-zero exit makes the reading an error."""

    _name = field_validator("name")(check_name)

    @field_validator("every")
    @classmethod
    def _not_too_often(cls, every: float) -> float:
        if every < MIN_EVERY_S:
            raise ValueError(
                f"at least {format_duration(MIN_EVERY_S)}: a probe must not load the stack itself"
            )
        return every

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        given = [k for k in ("http", "prometheus", "command") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give one of 'http', 'prometheus' or 'command'"
                + (f", not {' and '.join(given)}" if given else "")
            )
        return self

    def describe(self) -> str:
        """Where the readings come from, as written (placeholders unresolved)."""
        if self.http is not None:
            path = f" → {self.http.json_path}" if self.http.json_path else " → status"
            return f"{self.http.describe()}{path}"
        if self.prometheus is not None:
            return f"{self.prometheus.describe()} at {self.prometheus.url}"
        command = self.command
        return command if isinstance(command, str) else " ".join(command or [])


Condition = str
"""`== v1`, `< 0.5`: parsed by `harness.comparisons`."""


class ProbeEvidence(Strict):
    """For a mechanism expectation: the probe that shows the mechanism acting, and the reading it turns to
    then (`rollback: {fault: deploy, within: 30s, probe: canary-weight, reads: "== 0"}`). Without it the
    expectation reads the reference gateway's state."""

    probe: str | None = None
    reads: Condition | None = None

    _reads = field_validator("reads")(check_condition)

    @model_validator(mode="after")
    def _probe_and_reads(self) -> Self:
        if (self.probe is None) != (self.reads is None):
            missing = "reads" if self.reads is None else "probe"
            raise ValueError(f"give '{missing}' too: a probe is evidence with the reading it turns to")
        return self


class ProbeExpectation(Strict):
    """Within `within` of the anchor (the load start, or `after` a fault's start or `from: end` its end),
    the probe reads `reads`; with `holds`, every reading after that does too, to the end of the load."""

    probe: str
    reads: Condition
    within: PositiveDuration
    after: str | None = None
    """A fault's name; without it, measured from the load start."""
    from_: Literal["start", "end"] = Field("start", alias="from")
    holds: bool = False

    _reads = field_validator("reads")(check_condition)

    @model_validator(mode="after")
    def _end_needs_a_fault(self) -> Self:
        if self.from_ == "end" and self.after is None:
            raise ValueError("'from: end' measures from the end of a fault: name it in 'after'")
        return self

    def describe(self) -> str:
        """The expectation's name in reports and JUnit."""
        anchor = f"{self.after}'s {self.from_}" if self.after else "the load start"
        holds = ", and holds" if self.holds else ""
        return f"probe {self.probe}: {self.reads} within {format_duration(self.within)} of {anchor}{holds}"
