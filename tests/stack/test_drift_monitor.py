"""Drift monitor: alert on a shifted feature distribution, none on the baseline (fixed seeds)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import numpy as np

from stack.model import sample_rows
from tests.stack.conftest import StackLauncher, pools, send_requests, state, wait_until

DRIFT = {"window": 300, "min_samples": 200, "sustained_ms": 300, "interval_ms": 100}
BATCH = 20


def _batches(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"instances": rows[i : i + BATCH]} for i in range(0, len(rows), BATCH)]


def _shifted_rows(seed: int, n: int) -> list[dict[str, Any]]:
    rows = sample_rows(np.random.default_rng(seed), n)
    return [{**row, "income_k": row["income_k"] * 1.8, "age": row["age"] + 12} for row in rows]


def _gateway(stack: StackLauncher, drift: dict[str, Any]) -> str:
    (replica,) = stack.model_servers([{"name": "gpu-0"}])
    return stack.gateway({"pools": pools(east=[replica]), "mechanisms": {"drift": drift}}).url


def test_alert_on_shifted_distribution_then_fallback(stack: StackLauncher) -> None:
    url = _gateway(stack, {**DRIFT, "fallback_on_drift": True})
    sent_at = time.time()
    send_requests(url, _batches(_shifted_rows(seed=3, n=300)))
    assert wait_until(lambda: state(url)["drift"]["alert"], timeout_s=5)
    drift = state(url)["drift"]
    assert drift["alert_since"] >= sent_at
    assert drift["scores"]["income_k"]["psi"] > 0.2 and drift["scores"]["income_k"]["ks_pvalue"] < 0.001
    assert drift["scores"]["employment"]["psi"] < 0.2
    metrics = httpx.get(f"{url}/metrics").text
    assert "chaosdrill_gateway_drift_alert 1.0" in metrics and 'drift_psi{feature="income_k"}' in metrics
    (response,) = send_requests(url, _batches(_shifted_rows(seed=4, n=1)))
    assert (response.headers["X-Degraded"], response.headers["X-Served-By"]) == ("true", "fallback")


def test_no_alert_on_baseline_distribution(stack: StackLauncher) -> None:
    url = _gateway(stack, DRIFT)
    send_requests(url, _batches(sample_rows(np.random.default_rng(5), 300)))
    assert wait_until(lambda: len(state(url)["drift"]["scores"]) == 7, timeout_s=5)
    time.sleep((DRIFT["sustained_ms"] + 3 * DRIFT["interval_ms"]) / 1000)
    drift = state(url)["drift"]
    assert not drift["alert"] and drift["alert_since"] is None
    assert max(score["psi"] for score in drift["scores"].values()) < 0.2


def test_no_scores_with_drift_monitor_off(stack: StackLauncher) -> None:
    url = _gateway(stack, {**DRIFT, "enabled": False})
    send_requests(url, _batches(_shifted_rows(seed=3, n=300)))
    time.sleep((DRIFT["sustained_ms"] + 3 * DRIFT["interval_ms"]) / 1000)
    assert state(url)["drift"] | {"scores": {}, "alert": False} == state(url)["drift"]
