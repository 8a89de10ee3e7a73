"""Active health checking: every replica's /readyz is polled; thresholds smooth out single blips."""

from __future__ import annotations

import asyncio

import httpx

from stack.config import HealthChecksConfig
from stack.replicas import ReplicaState


async def _probe(client: httpx.AsyncClient, replica: ReplicaState, timeout_s: float) -> None:
    try:
        async with asyncio.timeout(timeout_s):
            response = await client.get(f"{replica.config.url}/readyz")
        ok = response.status_code == 200
        replica.version = response.headers.get("x-model-version", replica.version)
    except (TimeoutError, httpx.HTTPError):
        ok = False
    replica.record_health_check(ok)


async def run_health_checks(
    config: HealthChecksConfig, client: httpx.AsyncClient, replicas: list[ReplicaState]
) -> None:
    while True:
        if config.enabled:
            await asyncio.gather(*(_probe(client, r, config.timeout_ms / 1000) for r in replicas))
        await asyncio.sleep(config.interval_ms / 1000)
