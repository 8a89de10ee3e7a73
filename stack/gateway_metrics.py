"""Prometheus exposition of the gateway: responses, latency, event counters, per-replica breaker/health
gauges, drift scores, the canary weight and the overload gauges (admission in flight and queued, clients
rate-limited) — the same numbers /admin/state reports."""

from __future__ import annotations

from typing import Protocol

from stack import prometheus
from stack.admission import Admission
from stack.canary import CanaryController
from stack.drift import DriftMonitor
from stack.gateway_counters import GatewayCounters
from stack.label_feedback import AwaitingLabels
from stack.rate_limit import RateLimiter
from stack.replicas import ReplicaState


class MetricsSource(Protocol):
    """What the exposition reads of the gateway: the gateway itself, without importing it back."""

    responses: prometheus.Counter
    latency: prometheus.Histogram
    counters: GatewayCounters
    stable_replicas: list[ReplicaState]
    canary_replicas: list[ReplicaState]
    drift: DriftMonitor
    canary: CanaryController
    labels: AwaitingLabels
    admission: Admission
    rate_limit: RateLimiter


_BREAKER_LEVEL = {"closed": 0, "half_open": 1, "open": 2}


def render_gateway_metrics(gateway: MetricsSource) -> str:
    families: list[prometheus.Metric] = [gateway.responses, gateway.latency]
    for name, value in gateway.counters.as_dict().items():
        counter = prometheus.Counter(f"chaosdrill_gateway_{name}_total", f"Gateway {name.replace('_', ' ')}.")
        counter.inc(value)
        families.append(counter)
    gauges = {
        "breaker_state": (
            "Breaker state per replica: 0 closed, 1 half-open, 2 open.",
            lambda r: _BREAKER_LEVEL[r.breaker.state],
        ),
        "replica_healthy": ("1 when the replica passes health checks.", lambda r: int(r.healthy)),
        "replica_ejected": ("1 while the replica is ejected as an outlier.", lambda r: int(r.ejected)),
    }
    for name, (help_text, read) in gauges.items():
        gauge = prometheus.Gauge(f"chaosdrill_gateway_{name}", help_text)
        for replica in gateway.stable_replicas + gateway.canary_replicas:
            gauge.set(
                read(replica), {"replica": replica.name, "region": replica.region, "group": replica.group}
            )
        families.append(gauge)
    drift = gateway.drift.describe()
    alert = prometheus.Gauge("chaosdrill_gateway_drift_alert", "1 while sustained drift is detected.")
    alert.set(int(drift["alert"]))
    families.append(alert)
    for stat in ("psi", "ks", "ks_pvalue"):
        gauge = prometheus.Gauge(f"chaosdrill_gateway_drift_{stat}", f"Drift {stat} per feature vs baseline.")
        for feature, scores in drift["scores"].items():
            if stat in scores:
                gauge.set(scores[stat], {"feature": feature})
        families.append(gauge)
    weight = prometheus.Gauge("chaosdrill_gateway_canary_weight", "Share of traffic sent to the canary.")
    weight.set(
        gateway.canary.weight, {"version": gateway.canary.version or "none", "status": gateway.canary.status}
    )
    families.append(weight)
    labels = prometheus.Gauge("chaosdrill_gateway_labels", "Answers by label state: awaiting, labelled...")
    for state, count in gateway.labels.describe().items():
        labels.set(count, {"state": state})
    families.append(labels)
    overload = {
        "admission_in_flight": ("Requests holding an admission slot.", gateway.admission.in_flight),
        "admission_queued": ("Requests waiting for an admission slot.", gateway.admission.queued),
        "rate_limit_clients": ("Clients with a rate-limit bucket.", gateway.rate_limit.clients),
    }
    for name, (help_text, value) in overload.items():
        gauge = prometheus.Gauge(f"chaosdrill_gateway_{name}", help_text)
        gauge.set(value)
        families.append(gauge)
    return prometheus.render(families)
