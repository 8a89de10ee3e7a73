"""Gateway configuration (pydantic, extra keys forbidden so typos in user overrides fail loudly).

Every mechanism section is optional with production-like defaults and has an `enabled` switch (timeouts
excepted: a gateway without a deadline is not fragile but broken); the overload mechanisms (admission,
rate_limit) are the only ones off by default. `profile: "fragile"` switches every
mechanism off at once; env vars override the file, in this order of precedence (last wins):
file < profile < `CHAOSDRILL_GATEWAY_PROFILE` < `CHAOSDRILL_GATEWAY_<SECTION>_ENABLED=0|1`
(e.g. `CHAOSDRILL_GATEWAY_RETRY_BUDGET_ENABLED=0`).

`admin_token` guards the gateway's mutating admin API and is also sent to the replicas' `/admin/model`
when deploying or rolling back canaries, so one token is configured per stack.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReplicaConfig(_Section):
    name: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://[^/\s]+$", description="base URL without a trailing slash")
    labels: dict[str, str] = Field(default_factory=dict)


class PoolConfig(_Section):
    region: str = Field(min_length=1)
    replicas: list[ReplicaConfig] = Field(min_length=1)


class TimeoutsConfig(_Section):
    attempt_ms: float = Field(300.0, gt=0)
    deadline_ms: float = Field(2000.0, gt=0)


class RetriesConfig(_Section):
    enabled: bool = True
    max_attempts: int = Field(3, ge=1, le=10)
    backoff_base_ms: float = Field(5.0, ge=0)
    backoff_max_ms: float = Field(50.0, ge=0)


class RetryBudgetConfig(_Section):
    enabled: bool = True
    ratio: float = Field(0.2, ge=0)
    min_per_second: float = Field(5.0, ge=0)
    window_ms: float = Field(10_000.0, gt=0)


class CircuitBreakerConfig(_Section):
    enabled: bool = True
    failure_threshold: int = Field(5, ge=1)
    cooldown_ms: float = Field(2000.0, gt=0)


class HealthChecksConfig(_Section):
    enabled: bool = True
    interval_ms: float = Field(500.0, gt=0)
    timeout_ms: float = Field(250.0, gt=0)
    unhealthy_threshold: int = Field(2, ge=1)
    healthy_threshold: int = Field(1, ge=1)


class OutlierEjectionConfig(_Section):
    enabled: bool = True
    consecutive_errors: int = Field(5, ge=1)
    ejection_ms: float = Field(5000.0, gt=0)


class FailoverConfig(_Section):
    enabled: bool = True


class CanaryAnalysisConfig(_Section):
    """Canary vs stable over the same window: error rate and median latency once each side has
    `min_requests`, and — with `score_divergence` — the PSI of their prediction scores once each side has
    `min_scores`, which catches a candidate that answers fast and wrong without waiting for labels.
    The PSI needs far more data than an error rate: with 200 scores a side, sampling noise alone puts
    v2 vs v1 above 0.3 in 0.07% of windows, and v2-miscalibrated, the subtlest version it is meant to
    catch, in 99% (stack/canary.py has the figures).
    A blue-green switch (`POST /admin/blue-green`) waits up to `green_ready_timeout_ms` for green to be
    ready; with `blue_green` on, green is then judged by the same thresholds against blue's answers from
    the window before the switch, and switched back to blue when it fails.
    With `labels`, answers are also scored against the labels clients post late to `POST /feedback`
    (stack/label_feedback.py): once each side has `min_labelled_rows` labelled rows in the window, a
    candidate whose accuracy is more than `max_accuracy_drop` below the reference's is rolled back.
    Sampled against v1 (20,000 windows each): at 200 rows a side, the good v2 (98.0% vs v1's 98.3%)
    trails by more than 5 points in 1 window in 1000, too often for a check every `interval_ms`; at 400,
    in none, while v2-stale and v2-flip20 (80%, 79%) do in every window."""

    enabled: bool = True
    window_ms: float = Field(10_000.0, gt=0)
    min_requests: int = Field(20, ge=1)
    interval_ms: float = Field(500.0, gt=0)
    max_error_rate_delta: float = Field(0.05, ge=0)
    max_latency_ratio: float = Field(3.0, gt=0)
    score_divergence: bool = True
    min_scores: int = Field(200, ge=1)
    max_score_psi: float = Field(0.3, ge=0)
    blue_green: bool = True
    green_ready_timeout_ms: float = Field(10_000.0, gt=0)
    labels: bool = True
    min_labelled_rows: int = Field(400, ge=1)
    max_accuracy_drop: float = Field(0.05, ge=0, le=1)
    label_ttl_ms: float = Field(60_000.0, gt=0)
    """How long an answer waits for its labels; later labels are not matched."""
    max_awaiting_labels: int = Field(100_000, ge=1)


class DegradationConfig(_Section):
    enabled: bool = True


class DriftConfig(_Section):
    """A feature drifts when PSI > psi_threshold AND the KS p-value < ks_pvalue (numeric features; PSI
    alone for categoricals). Requiring both tests to agree keeps the false-positive rate of a 500-row
    window low; set psi_threshold=0 to use KS alone or ks_pvalue=1 to use PSI alone."""

    enabled: bool = True
    window: int = Field(500, ge=10)
    min_samples: int = Field(200, ge=10)
    psi_threshold: float = Field(0.2, ge=0)
    ks_pvalue: float = Field(0.001, ge=0, le=1)
    sustained_ms: float = Field(1000.0, ge=0)
    interval_ms: float = Field(250.0, gt=0)
    fallback_on_drift: bool = False


class ShadowConfig(_Section):
    """Shadow deployments (`POST /admin/shadow`): each mirrored request waits at most `timeout_ms` for the
    shadow, and at most `max_in_flight` mirrors run at once; beyond that a request is not mirrored (counted
    as dropped), so a slow shadow cannot pile up tasks. `blocking: true` is a deliberate misconfiguration for
    drills: the gateway waits for the shadow before answering, the classic leak into the user path."""

    timeout_ms: float = Field(1000.0, gt=0)
    max_in_flight: int = Field(64, ge=1)
    blocking: bool = False


class AdmissionConfig(_Section):
    """Admission control with load shedding (stack/admission.py): at most `max_in_flight` requests are
    handled at once and up to `max_queue` more wait, first come first served, at most `queue_timeout_ms`
    for a slot; any other request is shed at once with a 503, `Retry-After: retry_after_s` and
    `X-Shed: true`, before its body is read. Past capacity, queueing only turns every answer late; a fast
    503 lets clients back off or go elsewhere while the admitted requests keep their latency. Keep
    `queue_timeout_ms` well under `timeouts.deadline_ms`: a request that waits longer is better shed.
    Off by default (`profile: fragile` keeps it off): existing drills run up to 200 users against the
    default stack, and shedding would change their outcomes."""

    enabled: bool = False
    max_in_flight: int = Field(64, ge=1)
    max_queue: int = Field(128, ge=0)
    queue_timeout_ms: float = Field(250.0, gt=0)
    retry_after_s: int = Field(1, ge=1)


class RateLimitConfig(_Section):
    """Per-client rate limiting (stack/rate_limit.py): a token bucket per value of the `client_header`
    request header (requests without it share the bucket `anonymous`), refilled at `requests_per_s` up to
    `burst` tokens; a request finding no token gets a 429 with `Retry-After` (seconds until one is there,
    rounded up) and `X-Shed: true`, so one noisy client cannot take the capacity the others need. At most
    `max_clients` buckets are kept, the least recently used evicted first (a bucket idle for
    `burst / requests_per_s` seconds is full anyway, so evicting it forgives nothing). Off by default, like
    admission: existing drills send their load as one client."""

    enabled: bool = False
    client_header: str = Field("X-Client-Id", min_length=1)
    requests_per_s: float = Field(100.0, gt=0)
    burst: int = Field(200, ge=1)
    max_clients: int = Field(10_000, ge=1)


class Mechanisms(_Section):
    timeouts: TimeoutsConfig = Field(default_factory=TimeoutsConfig)
    retries: RetriesConfig = Field(default_factory=RetriesConfig)
    retry_budget: RetryBudgetConfig = Field(default_factory=RetryBudgetConfig)
    circuit_breaker: CircuitBreakerConfig = Field(default_factory=CircuitBreakerConfig)
    health_checks: HealthChecksConfig = Field(default_factory=HealthChecksConfig)
    outlier_ejection: OutlierEjectionConfig = Field(default_factory=OutlierEjectionConfig)
    failover: FailoverConfig = Field(default_factory=FailoverConfig)
    canary_analysis: CanaryAnalysisConfig = Field(default_factory=CanaryAnalysisConfig)
    degradation: DegradationConfig = Field(default_factory=DegradationConfig)
    drift: DriftConfig = Field(default_factory=DriftConfig)
    shadow: ShadowConfig = Field(default_factory=ShadowConfig)
    admission: AdmissionConfig = Field(default_factory=AdmissionConfig)
    rate_limit: RateLimitConfig = Field(default_factory=RateLimitConfig)


SWITCHABLE_MECHANISMS: tuple[str, ...] = tuple(
    name for name, field in Mechanisms.model_fields.items() if "enabled" in field.annotation.model_fields
)


class GatewayConfig(_Section):
    pools: list[PoolConfig] = Field(min_length=1)
    canary_replicas: list[ReplicaConfig] = Field(default_factory=list)
    admin_token: str | None = None
    primary_region: str | None = Field(None, description="region served first; default: the first pool")
    profile: Literal["resilient", "fragile"] = "resilient"
    mechanisms: Mechanisms = Field(default_factory=Mechanisms)

    @model_validator(mode="after")
    def _check_consistency(self) -> GatewayConfig:
        stable = [r.name for pool in self.pools for r in pool.replicas]
        names = stable + [r.name for r in self.canary_replicas]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"replica names must be unique; duplicated: {duplicates}")
        regions = [pool.region for pool in self.pools]
        if len(set(regions)) != len(regions):
            raise ValueError(f"one pool per region; got regions {regions}")
        if self.primary_region is not None and self.primary_region not in regions:
            raise ValueError(f"primary_region {self.primary_region!r} is not one of the pools {regions}")
        return self

    @property
    def primary(self) -> str:
        return self.primary_region or self.pools[0].region


def with_switches(config: GatewayConfig, switches: Mapping[str, bool]) -> GatewayConfig:
    """Copy of `config` with the named mechanisms' `enabled` flags replaced."""
    updates = {
        name: getattr(config.mechanisms, name).model_copy(update={"enabled": enabled})
        for name, enabled in switches.items()
    }
    return config.model_copy(update={"mechanisms": config.mechanisms.model_copy(update=updates)})


def _parse_bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, on/off)")


def apply_overrides(config: GatewayConfig, env: Mapping[str, str]) -> GatewayConfig:
    """Resolve the profile and the env overrides into the effective configuration."""
    profile = env.get("CHAOSDRILL_GATEWAY_PROFILE", config.profile)
    if profile not in ("resilient", "fragile"):
        raise ValueError(f"CHAOSDRILL_GATEWAY_PROFILE must be 'resilient' or 'fragile', got {profile!r}")
    config = config.model_copy(update={"profile": profile})
    if profile == "fragile":
        config = with_switches(config, dict.fromkeys(SWITCHABLE_MECHANISMS, False))
    switches = {
        name: _parse_bool(var, env[var])
        for name in SWITCHABLE_MECHANISMS
        if (var := f"CHAOSDRILL_GATEWAY_{name.upper()}_ENABLED") in env
    }
    return with_switches(config, switches)


def load_gateway_config(path: str | Path, env: Mapping[str, str] | None = None) -> GatewayConfig:
    raw = json.loads(Path(path).read_text())
    return apply_overrides(GatewayConfig.model_validate(raw), os.environ if env is None else env)
