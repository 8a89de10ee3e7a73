"""The scenario schema (pydantic). Unknown keys are errors everywhere.

Structural checks live here; checks that relate one part of the file to another (targets, fault windows
vs the load window, expectations about faults) live in `harness.scenario.checks`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeInt,
    PositiveInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from faults.kind import FaultKind, FaultParams
from faults.kinds import FAULT_KINDS
from harness.durations import Duration, PositiveDuration
from harness.load.observation import Observation
from harness.scenario.halts import HaltSpec
from harness.scenario.probes import ProbeEvidence, ProbeExpectation, ProbeSpec
from harness.scenario.regression import RegressionExpectation
from harness.scenario.requests import RequestFields
from harness.scenario.runbook import RunbookSpec, runbook_shorthand
from harness.scenario.strict import Strict, check_name, check_unique
from harness.scenario.user_stacks import ExternalSpec, ProcessesSpec
from harness.thresholds import METRICS, Threshold, parse_fraction, parse_metric_key, parse_threshold
from stack.config import Mechanisms
from stack.model import VERSION_NAMES

Fraction = Annotated[float, BeforeValidator(parse_fraction)]
MAX_SEED = 1 << 64
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*(s|m)\s*$")


class ReplicaSpec(Strict):
    """One model-server replica of the reference stack."""

    name: str
    accelerator: Literal["gpu", "cpu"] = "cpu"
    region: str = "east"
    labels: dict[str, str] = Field(default_factory=dict)

    _name = field_validator("name")(check_name)

    @classmethod
    def from_labels(cls, name: str, labels: dict[str, str]) -> ReplicaSpec:
        """A node of a user's stack, known by its labels: `accelerator: gpu` makes it a GPU node, `region`
        places it (default: "default")."""
        accelerator = "gpu" if labels.get("accelerator") == "gpu" else "cpu"
        return cls(name=name, accelerator=accelerator, region=labels.get("region", "default"), labels=labels)

    def all_labels(self) -> dict[str, str]:
        return {**self.labels, "accelerator": self.accelerator, "region": self.region, "name": self.name}


def _default_replicas() -> list[ReplicaSpec]:
    return [
        ReplicaSpec(name="gpu-0", accelerator="gpu", region="east"),
        ReplicaSpec(name="gpu-1", accelerator="gpu", region="east"),
        ReplicaSpec(name="cpu-0", accelerator="cpu", region="east"),
        ReplicaSpec(name="cpu-1", accelerator="cpu", region="west"),
    ]


class GatewayOverrides(Strict):
    """Settings of the reference gateway a scenario may change; the rest keep the stack's defaults."""

    profile: Literal["resilient", "fragile"] = "resilient"
    primary_region: str | None = None
    mechanisms: Mechanisms = Field(default_factory=Mechanisms)


class EntrypointSpec(Strict):
    """Where load enters a user's stack: a compose service and its container port."""

    service: str
    port: int = Field(ge=1, le=65535)
    ready_path: str = Field("/", pattern=r"^/")
    """Answers < 400 once the stack can take load."""


class ComposeSpec(Strict):
    """A user's own stack from a compose file (docker backend); the harness assumes nothing of its inside."""

    file: Path
    """Relative to the scenario file."""
    entrypoint: EntrypointSpec
    nodes: list[str] | None = None
    """Services that faults may target (default: every service but the entrypoint)."""
    links: dict[str, str] = Field(default_factory=dict)
    """`{gpu-0: gpu-0:8080}`: a chaosdrill link named after a node, forwarding to a service's port inside
    the project's network; the file reaches it as `${CHAOSDRILL_LINK_GPU_0}` (harness.backends.variables)."""
    build_timeout: PositiveDuration = 900.0
    """For building the file's `build:` sections before the stack starts (not part of startup_timeout):
    a first build installs packages; later ones hit the engine's layer cache and take seconds."""

    @field_validator("links")
    @classmethod
    def _upstreams(cls, links: dict[str, str]) -> dict[str, str]:
        for name, upstream in links.items():
            check_name(name)
            if not re.fullmatch(r"[A-Za-z0-9_.-]+:\d{1,5}", upstream):
                raise ValueError(f"{name}: upstream {upstream!r} is not SERVICE:PORT")
        return links


class ModelServerSpec(Strict):
    """`stack.model_server`: how every replica of the reference stack serves. `latency` is the time one
    batch takes; `concurrency` the batches a replica serves at once (a GPU's slots; 0: no limit), beyond
    which requests queue: what gives the stack a capacity an overload drill can exceed."""

    latency: PositiveDuration = 0.003
    concurrency: NonNegativeInt = 0

    def settings(self) -> dict[str, object]:
        """The model server's own settings (stack/model_server.py ServerSettings) these stand for."""
        return {"base_latency_ms": self.latency * 1000, "concurrency": self.concurrency}


class StackSpec(Strict):
    """The stack under test: the built-in reference stack (its replicas and gateway settings), or the user's
    own, as a compose file, as local processes or as an endpoint that already runs (one of the three)."""

    backend: Literal["local", "docker"] = "local"
    version: Literal[VERSION_NAMES] = "v1"
    replicas: list[ReplicaSpec] = Field(default_factory=_default_replicas, min_length=1)
    canary_replicas: int = Field(1, ge=0, le=4)
    gateway: GatewayOverrides = Field(default_factory=GatewayOverrides)
    port: int | None = Field(None, ge=1, le=65535)
    """Fixed gateway port on 127.0.0.1 (default: a free one), e.g. to watch a drill with other tools."""
    startup_timeout: PositiveDuration = 30.0
    model_server: ModelServerSpec = Field(default_factory=ModelServerSpec)
    compose: ComposeSpec | None = None
    processes: ProcessesSpec | None = None
    external: ExternalSpec | None = None

    @model_validator(mode="after")
    def _one_user_stack(self) -> StackSpec:
        given = [k for k in ("compose", "processes", "external") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(
                f"give one of stack.compose, stack.processes, stack.external, not {' and '.join(given)}"
            )
        if self.compose is not None and self.backend != "docker":
            raise ValueError(
                "a compose file (stack.compose) runs on the docker backend: set stack.backend: docker"
            )
        if given and "model_server" in self.model_fields_set:
            raise ValueError(f"stack.model_server: the reference stack's replicas only, not stack.{given[0]}")
        if given and given[0] != "compose" and self.backend != "local":
            raise ValueError(f"stack.{given[0]} runs no containers: leave stack.backend out (local)")
        return self

    @property
    def user_stack(self) -> ComposeSpec | ProcessesSpec | ExternalSpec | None:
        """The user's own stack, if the scenario drills one rather than the reference stack."""
        return self.compose or self.processes or self.external

    def canary_slots(self) -> dict[str, dict[str, str]]:
        """The reference stack's canary slots (`canary-0`, ...) with their labels, in the primary region;
        none for a user's own stack. A fault may name one (`target: canary-0`, to slow a shadow or a
        canary), but a label selector never draws one, so the nodes a seed picks stay the same with or
        without canary slots."""
        if self.user_stack is not None:
            return {}
        primary = self.gateway.primary_region or self.replicas[0].region
        return {
            f"canary-{index}": {"accelerator": "gpu", "region": primary, "name": f"canary-{index}",
                                "role": "canary"}
            for index in range(self.canary_replicas)
        }  # fmt: skip

    @field_validator("replicas")
    @classmethod
    def _unique_names(cls, replicas: list[ReplicaSpec]) -> list[ReplicaSpec]:
        check_unique([r.name for r in replicas], "replica")
        return replicas


def _parse_stage_rate(value: object) -> float:
    """A stage's rate may be zero: a pause between bursts."""
    if value in (0, "0", "0/s", "0/m"):
        return 0.0
    return _parse_rate(value)


def _parse_rate(value: object) -> float:
    """Open-model arrival rate: `200/s` or `600/m`."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        rate = float(value)
    elif isinstance(value, str) and (match := _RATE.match(value)):
        rate = float(match.group(1)) / (60.0 if match.group(2) == "m" else 1.0)
    else:
        raise ValueError(f"invalid rate {value!r}: expected e.g. '200/s' or '600/m'")
    if rate <= 0:
        raise ValueError(f"rate must be greater than zero, got {value!r}")
    return rate


class ProfileSpec(Strict):
    """What the requests carry: rows drawn from `features` (default: the reference model's training
    baseline), or rows replayed from a CSV/Parquet file of real requests."""

    features: list[dict[str, Any]] | None = Field(None, min_length=1)
    replay: Path | None = None
    """Relative to the scenario file."""
    label: str | None = Field(None, min_length=1)
    """The replay file's column holding each row's ground truth (a class 0/1, a probability or a target):
    what drills judging the answers' quality compare predictions with."""

    @model_validator(mode="after")
    def _one_source(self) -> ProfileSpec:
        if self.features is not None and self.replay is not None:
            raise ValueError("give 'features' or 'replay', not both")
        if self.label is not None and self.replay is None:
            raise ValueError("label: a label column belongs to a replayed file (set 'replay')")
        return self


class FeedbackSpec(Strict):
    """`load.feedback`: post each answered request's ground truth back to the stack `delay` after its
    answer, as `{"request_id": ID, "labels": [...]}` to `path` on the load target, the request id sent in
    `id_header` — how a serving stack learns late whether it was right (the reference gateway's
    `/feedback`, stack/label_feedback.py)."""

    path: str = Field("/feedback", pattern=r"^/")
    delay: Duration = 5.0
    id_header: str = Field("X-Request-Id", pattern=r"^[A-Za-z0-9-]+$")


class StageSpec(Strict):
    """`load.stages[]`: hold `users` (closed model) or `rate` (open model) for `duration`, or with `ramp:
    true` move there linearly from the previous stage's level (from zero for the first)."""

    duration: PositiveDuration
    users: NonNegativeInt | None = None
    rate: Annotated[float, BeforeValidator(_parse_stage_rate)] | None = None
    ramp: bool = False

    @model_validator(mode="after")
    def _one_level(self) -> StageSpec:
        if (self.users is None) == (self.rate is None):
            raise ValueError("set exactly one of 'users' (closed model) or 'rate' (open model, e.g. '100/s')")
        return self


class LoadSpec(RequestFields, Strict):
    """Closed model (`users`) or open model (`rate`), never both; `path`, `request`, `observe` and
    `locustfile` come from RequestFields."""

    profile: ProfileSpec = Field(default_factory=ProfileSpec)

    users: PositiveInt | None = None
    spawn_rate: float = Field(100.0, gt=0)
    rate: Annotated[float, BeforeValidator(_parse_rate)] | None = None
    max_users: PositiveInt = 200
    duration: PositiveDuration | None = None
    """The load's length; with `stages`, their sum (give one or the other)."""
    stages: list[StageSpec] | None = Field(None, min_length=1)
    """The load's shape: steps, ramps and spikes (harness/load/shapes.py), instead of `users`/`rate`."""
    rows: PositiveInt = 4
    """Feature rows per request (the batch size the model server sees)."""
    think_time: Duration = 0.0
    request_timeout: PositiveDuration = 5.0
    late_tolerance: PositiveDuration = 0.05
    feedback: FeedbackSpec | None = None

    @model_validator(mode="after")
    def _one_model(self) -> LoadSpec:
        if self.stages is not None:
            return self._staged()
        if (self.users is None) == (self.rate is None):
            raise ValueError("set exactly one of 'users' (closed model) or 'rate' (open model, e.g. '100/s')")
        if self.duration is None:
            raise ValueError("duration: required (or give 'stages')")
        return self

    def _staged(self) -> LoadSpec:
        """Stages set the level and the length: no `users`, `rate` or `duration` beside them, and one model
        throughout (a closed-model stage among open-model ones would change what latency means)."""
        assert self.stages is not None
        beside = [name for name in ("users", "rate", "duration") if getattr(self, name) is not None]
        if beside:
            raise ValueError(f"stages set the load's level and length: leave out {', '.join(beside)}")
        if len({stage.users is None for stage in self.stages}) > 1:
            raise ValueError("stages: all set 'users' (closed model) or all set 'rate' (open model)")
        self.duration = sum(stage.duration for stage in self.stages)
        return self

    @property
    def mode(self) -> Literal["closed", "open"]:
        if self.stages is not None:
            return "closed" if self.stages[0].users is not None else "open"
        return "closed" if self.users is not None else "open"


class SloSpec(Strict):
    """The service-level objective evaluated per window of `window` seconds."""

    availability: Fraction = 0.99
    latency: str = "p(99) < 500ms"
    window: PositiveDuration = 1.0
    recovery_windows: PositiveInt = 3
    """Consecutive good windows required before a fault counts as recovered."""
    degraded_is_good: bool = False
    """Whether answers from the gateway's fallback model count as good service in SLO windows. Off by
    default: graceful degradation keeps users answered, but a stack is not recovered while it degrades."""
    wrong_is_bad: bool = False
    """Whether an answer that got a row wrong against the ground truth (harness/verify/quality.py) is bad
    service in SLO windows: for drills where a model answering fast and wrong is an outage."""

    @field_validator("latency")
    @classmethod
    def _latency_threshold(cls, value: str) -> str:
        threshold = parse_threshold("latency", parse_metric_key("latency")[1], value)
        if threshold.aggregation != "p" or threshold.op not in ("<", "<="):
            raise ValueError(f"SLO latency must read like 'p(99) < 500ms', got {value!r}")
        return value

    @property
    def latency_threshold(self) -> Threshold:
        return parse_threshold("latency", parse_metric_key("latency")[1], self.latency)


class TargetSpec(Strict):
    """Which replicas a fault hits: one by name, or `count`/`percent` of those matching `labels`."""

    node: str | None = None
    labels: dict[str, str] | None = None
    count: PositiveInt | None = None
    percent: float | None = Field(None, gt=0, le=100)

    @model_validator(mode="after")
    def _one_selector(self) -> TargetSpec:
        if (self.node is None) == (self.labels is None):
            raise ValueError("give exactly one of 'node' or 'labels'")
        if self.node is not None and (self.count or self.percent):
            raise ValueError("'count'/'percent' only apply to a 'labels' selector")
        if self.count and self.percent:
            raise ValueError("give 'count' or 'percent', not both")
        return self

    def describe(self) -> str:
        if self.node:
            return self.node
        selector = ",".join(f"{k}={v}" for k, v in sorted((self.labels or {}).items()))
        amount = f"{self.percent:g}% of " if self.percent else f"{self.count or 1} of "
        return f"{amount}[{selector}]"


def _target_shorthand(value: object) -> object:
    """`target: gpu-0` or `target: accelerator=gpu` as short forms of the mapping."""
    if isinstance(value, str):
        if "=" in value:
            key, _, label = value.partition("=")
            return {"labels": {key.strip(): label.strip()}}
        return {"node": value}
    return value


class FaultSpec(Strict):
    name: str
    kind: str
    at: Duration
    duration: PositiveDuration | None = None
    target: Annotated[TargetSpec, BeforeValidator(_target_shorthand)] | None = None
    params: dict[str, Any] = Field(default_factory=dict, validate_default=True)
    """Validated also when left out: a kind with required params must not pass with none."""
    runbook: Annotated[RunbookSpec, BeforeValidator(runbook_shorthand)] | None = None
    """The on-call's runbook for this fault and the signals it expects (harness.scenario.runbook)."""

    _name = field_validator("name")(check_name)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(sorted(FAULT_KINDS))})")
        return kind

    @field_validator("params")
    @classmethod
    def _kind_params(cls, params: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        kind = info.data.get("kind")
        if kind in FAULT_KINDS:
            model = FAULT_KINDS[kind].params
            try:
                model.model_validate(params)
            except ValidationError as exc:
                # A typo shows up as both an unknown and a missing key; the unknown one says more.
                error = min(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
                known = ", ".join(model.model_fields)
                unknown = f"unknown parameter for {kind} (known: {known})" if known else f"{kind} takes none"
                reason = {"extra_forbidden": unknown, "missing": f"required for {kind}"}.get(
                    error["type"], error["msg"].removeprefix("Value error, ")
                )
                # The loader appends `inner_loc` to the error's location: faults[0].params.rate_kbps.
                raise PydanticCustomError(
                    "fault_params", "{reason}", {"reason": reason, "inner_loc": error["loc"]}
                ) from None
        return params

    @model_validator(mode="after")
    def _duration_and_target(self) -> FaultSpec:
        kind = self.fault_kind
        if self.duration is None and not kind.open_ended:
            raise ValueError(f"fault kind {self.kind!r} needs a 'duration'")
        if kind.targeted and self.target is None:
            if not kind.gpu_only:
                raise ValueError(f"fault kind {self.kind!r} needs a 'target' (a node name or labels)")
            self.target = TargetSpec(labels={"accelerator": "gpu"}, count=1)
        if kind.subject is not None and self.target is not None and not kind.may_target:
            raise ValueError(f"fault kind {self.kind!r} acts on {kind.subject}, it takes no 'target'")
        return self

    @property
    def fault_kind(self) -> FaultKind:
        return FAULT_KINDS[self.kind]

    @property
    def end(self) -> float | None:
        return None if self.duration is None else self.at + self.duration

    def typed_params(self) -> FaultParams:
        return self.fault_kind.parse(self.params)


class RecoveryExpectation(Strict):
    """`{fault, max}`: a time measured from the fault's injection (recovery, detection, mitigation) is at
    most `max`."""

    fault: str
    max: PositiveDuration


class DriftDetectedExpectation(ProbeEvidence):
    """The stack's drift monitor alerts within `within` of a `data-drift` fault, and never before it."""

    fault: str
    within: PositiveDuration


class RollbackExpectation(ProbeEvidence):
    """The stack rolls a deployed canary back within `within`; afterwards it serves no canary traffic.
    Seen in the reference gateway's state, in a probe (`probe`, `reads`), or with `version` alone in the
    answers: after the rollback none comes from the canary's version."""

    fault: str
    within: PositiveDuration
    max_canary_requests: PositiveInt | None = None
    """Bound on requests answered by the canary version (the users the bad version hurt)."""
    version: str | None = Field(None, min_length=1)
    """The canary's model version as answers name it (`load.observe.version`); a deploy fault's own by
    default."""


class BreakerOpenedExpectation(ProbeEvidence):
    """The gateway's circuit breaker for a faulted node opens within `within` of the fault."""

    fault: str
    within: PositiveDuration


def _refuse_ambiguous_unit(threshold: Threshold) -> None:
    """`rate < 1` means 100% (the bound never bites) but is mostly written meaning 1%: refuse a bare 1.

    Other bare values are read as fractions without doubt (0.01 is 1%; above 1 is out of range), and the
    error budget's `burn < 1` is a burn ratio, not a share of requests, where 1 means the whole budget."""
    text = threshold.text.strip()
    share = METRICS[threshold.metric].kind == "fraction" and threshold.aggregation != "count"
    if share and threshold.metric != "error_budget" and threshold.value == 1 and not text.endswith("%"):
        raise ValueError(
            f"{text!r} is ambiguous: a bare 1 reads as 100%; write '1%' or '0.01' (or '100%' if you mean all)"
        )


class Expectations(BaseModel):
    """`metric[{scope}]: [threshold, ...]` like k6, plus structured `recovery_time` entries."""

    model_config = ConfigDict(extra="allow")

    recovery_time: list[RecoveryExpectation] = Field(default_factory=list)
    time_to_detect: list[RecoveryExpectation] = Field(default_factory=list)
    """The stack's first reaction to the fault (harness.verify.fault_response) within `max`."""
    time_to_mitigate: list[RecoveryExpectation] = Field(default_factory=list)
    """Its first mitigating action (failover, degradation, rollback) within `max`."""
    drift_detected: list[DriftDetectedExpectation] = Field(default_factory=list)
    rollback: list[RollbackExpectation] = Field(default_factory=list)
    breaker_opened: list[BreakerOpenedExpectation] = Field(default_factory=list)
    regression: list[RegressionExpectation] = Field(default_factory=list)
    """Gates against the run history (harness.scenario.regression)."""
    probes: list[ProbeExpectation] = Field(default_factory=list)
    """On the readings of the scenario's probes (harness.scenario.probes)."""

    @field_validator(
        "recovery_time",
        "time_to_detect",
        "time_to_mitigate",
        "drift_detected",
        "rollback",
        "breaker_opened",
        "regression",
        "probes",
        mode="before",
    )
    @classmethod
    def _single_to_list(cls, value: object) -> object:
        return [value] if isinstance(value, dict) else value

    @model_validator(mode="after")
    def _parse_thresholds(self) -> Expectations:
        for key, value in (self.model_extra or {}).items():
            try:
                metric, scope = parse_metric_key(key)
                expressions = [value] if isinstance(value, str) else value
                if not isinstance(expressions, list) or not all(isinstance(e, str) for e in expressions):
                    raise ValueError("expected a list of threshold strings such as ['p(99) < 250ms']")
                if not expressions:
                    raise ValueError("no threshold: an empty list would check nothing")
                for expression in expressions:
                    _refuse_ambiguous_unit(parse_threshold(metric, scope, expression))
            except ValueError as exc:
                context = {"reason": str(exc), "inner_loc": (key,)}
                raise PydanticCustomError("threshold", "{reason}", context) from None
        return self

    def thresholds(self) -> list[Threshold]:
        parsed = []
        for key, value in (self.model_extra or {}).items():
            metric, scope = parse_metric_key(key)
            for expression in [value] if isinstance(value, str) else value:
                parsed.append(parse_threshold(metric, scope, expression))
        return parsed


class ToxiproxySpec(Strict):
    """Where network faults are applied: the embedded proxy (default) or a running Toxiproxy server."""

    url: str | None = Field(None, pattern=r"^https?://[^/\s]+:\d+/?$")


class SafetySpec(Strict):
    """Drills reach and expose loopback addresses only, unless `allow_remote` (`chaosdrill run
    --allow-remote`): then each other address (`toxiproxy.url`, a compose port, the load target) is named in
    a warning. Checked by `harness.scenario.safety`."""

    allow_remote: bool = False
    halt: HaltSpec | None = None
    """When to stop the drill early and revert every fault (`harness.scenario.halts`)."""


class Scenario(Strict):
    name: str
    description: str = ""
    seed: int = Field(1, ge=0, lt=MAX_SEED)
    """Chooses targets and payloads; numpy's generators take a non-negative seed."""
    stack: StackSpec = Field(default_factory=StackSpec)
    toxiproxy: ToxiproxySpec = Field(default_factory=ToxiproxySpec)
    safety: SafetySpec = Field(default_factory=SafetySpec)
    load: LoadSpec
    slo: SloSpec = Field(default_factory=SloSpec)
    faults: list[FaultSpec] = Field(default_factory=list)
    probes: list[ProbeSpec] = Field(default_factory=list)
    """What the harness reads from the stack while the drill runs (harness.scenario.probes)."""
    expectations: Expectations = Field(default_factory=Expectations)

    _name = field_validator("name")(check_name)

    @property
    def asks_quality(self) -> bool:
        """The drill judges the answers against the ground truth: the load records it, and reads the
        predictions."""
        return self.slo.wrong_is_bad or any(t.metric == "quality" for t in self.expectations.thresholds())

    @property
    def needs_truth(self) -> bool:
        """The load records each request's ground truth: to judge the answers, or to post it back."""
        return self.asks_quality or self.load.feedback is not None

    def observation(self) -> Observation:
        """Where this drill reads each answer's signals (`load.observe`, predictions where it judges them)."""
        return self.load.observation(self.asks_quality)
