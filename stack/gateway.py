"""Gateway in front of the replica pools (`python -m stack.gateway --config gateway.json`).

Every response to /predict carries X-Served-By, X-Model-Version, X-Attempts and X-Degraded, also on
errors, so the harness can tell what the resilience mechanisms did for each request. Upstream 4xx are
passed through untouched; when every attempt fails the client gets the last upstream 5xx, a 503 (no
replica answered) or a 504 (deadline) — or, with degradation on, a 200 from the lite fallback model.
Overload comes first: a client over its rate gets a 429, a request admission control sheds a 503, both
with Retry-After and X-Shed: true, before the body is read and never from the fallback model (its work is
what shedding saves).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from stack import prometheus
from stack.admission import Admission
from stack.canary import CanaryController, CanaryError
from stack.cli_env import add_env_flag, add_secret_file_flag, secret
from stack.config import GatewayConfig, load_gateway_config
from stack.drift import DriftMonitor
from stack.gateway_counters import GatewayCounters
from stack.gateway_metrics import render_gateway_metrics
from stack.health_checks import run_health_checks
from stack.http_common import check_admin_token, error_response, read_limited_body
from stack.label_feedback import AwaitingLabels, FeedbackRejected, parse_feedback
from stack.model import LITE_MODEL
from stack.proxy import Proxy, ProxyOutcome
from stack.rate_limit import RateLimiter
from stack.replicas import ReplicaState
from stack.retry_budget import RetryBudget
from stack.routing import Router
from stack.shadow import ShadowController
from stack.upstream_client import UpstreamPool
from stack.validation import RequestRejected, parse_json, validate_payload

MAX_BODY_BYTES = 8 * 1_048_576
FALLBACK_MAX_ROWS = 1024


def _headers(served_by: str, version: str, attempts: int, degraded: bool) -> dict[str, str]:
    return {
        "X-Served-By": served_by,
        "X-Model-Version": version,
        "X-Attempts": str(attempts),
        "X-Degraded": "true" if degraded else "false",
    }


def _shed_response(status: int, message: str, retry_after_s: int) -> Response:
    """A refusal for overload (429 or 503): nothing was attempted, and the client may retry after a while."""
    headers = {**_headers("none", "none", 0, False), "Retry-After": str(retry_after_s), "X-Shed": "true"}
    return error_response(status, message, headers)


def _answering_version(headers: dict[str, str], replica: ReplicaState) -> str:
    """The model version an upstream answer came from: what the replica says, else what it was loaded with."""
    return headers.get("x-model-version") or replica.version or "unknown"


class Gateway:
    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        mechanisms = config.mechanisms
        self.counters = GatewayCounters()
        self.upstream = UpstreamPool()
        # httpx for the low-rate control traffic (health checks, canary deploys); the data plane uses
        # the lean UpstreamPool, see stack/upstream_client.py for why.
        self.client = httpx.AsyncClient(timeout=None)
        transition = self.counters.count_breaker_transition
        self.pools = {
            pool.region: [
                ReplicaState(r, pool.region, "stable", mechanisms, transition) for r in pool.replicas
            ]
            for pool in config.pools
        }
        self.canary_replicas = [
            ReplicaState(r, r.labels.get("region", "canary"), "canary", mechanisms, transition)
            for r in config.canary_replicas
        ]
        self.stable_replicas = [r for pool in self.pools.values() for r in pool]
        self.router = Router(self.pools, config.primary, self.canary_replicas, mechanisms.failover.enabled)
        self.canary = CanaryController(
            mechanisms.canary_analysis,
            self.canary_replicas,
            self.stable_replicas,
            self.client,
            config.admin_token,
            self.counters.count_rollback,
        )
        self.drift = DriftMonitor(mechanisms.drift)
        self.labels = AwaitingLabels(mechanisms.canary_analysis)
        self.shadow = ShadowController(mechanisms.shadow, self.canary_replicas, self.upstream, self.canary)
        self.proxy = Proxy(
            mechanisms,
            self.upstream,
            self.router,
            RetryBudget(mechanisms.retry_budget),
            self.canary,
            self.counters,
        )
        self.rate_limit = RateLimiter(mechanisms.rate_limit, self.counters)
        self.admission = Admission(mechanisms.admission, self.counters)
        self.responses = prometheus.Counter("chaosdrill_gateway_responses_total", "Responses by status.")
        self.latency = prometheus.Histogram("chaosdrill_gateway_request_latency_seconds", "Client latency.")

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        mechanisms = self.config.mechanisms
        tasks = [
            asyncio.create_task(
                run_health_checks(
                    mechanisms.health_checks, self.client, self.stable_replicas + self.canary_replicas
                )
            ),
            asyncio.create_task(self.canary.run_analysis()),
            asyncio.create_task(self.drift.run()),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.shadow.cancel_in_flight()
            await self.client.aclose()
            self.upstream.close()

    # ---- data plane -------------------------------------------------------------------------------------
    async def predict(self, request: Request) -> Response:
        started = time.perf_counter()
        self.counters.requests += 1
        request_id = request.headers.get("x-request-id")
        response = self._over_rate(request)
        if response is None:
            response = await self._admit(request, request_id)
        if request_id:
            response.headers["X-Request-Id"] = request_id
        self.responses.inc(labels={"status": str(response.status_code)})
        self.latency.observe(time.perf_counter() - started)
        return response

    def _over_rate(self, request: Request) -> Response | None:
        """A 429 when the client has no token left; None to go on (or with rate limiting off)."""
        if not self.rate_limit.enabled:
            return None
        client = self.rate_limit.client(request.headers)
        wait = self.rate_limit.take(client)
        if not wait:
            return None
        retry_after = self.rate_limit.retry_after_s(wait)
        return _shed_response(429, f"rate limit of client {client!r} exceeded", retry_after)

    async def _admit(self, request: Request, request_id: str | None) -> Response:
        """The request within an admission slot, or a 503 decided before its body is read."""
        if not self.admission.enabled:
            return await self._handle(request, request_id)
        if not await self.admission.acquire():
            config = self.admission.config
            return _shed_response(503, "overloaded: request shed by admission control", config.retry_after_s)
        try:
            return await self._handle(request, request_id)
        finally:
            self.admission.release()

    async def _handle(self, request: Request, request_id: str | None) -> Response:
        try:
            body = await read_limited_body(request, MAX_BODY_BYTES)
            return await self._route(body, request_id)
        except RequestRejected as rejected:
            return error_response(rejected.status, rejected.message, _headers("none", "none", 0, False))

    async def _route(self, body: bytes, request_id: str | None) -> Response:
        drift = self.config.mechanisms.drift
        if drift.enabled:
            with contextlib.suppress(ValueError, RecursionError):
                self.drift.observe(json.loads(body))
            if drift.fallback_on_drift and self.drift.alert:
                return self._fallback(body, attempts=0)
        outcome = await self.proxy.forward(body, self.canary.route_to_canary())
        last = outcome.last
        if last is not None and last.status is not None and (outcome.succeeded or last.status < 500):
            if last.status == 200:
                await self.shadow.mirror(body, last.body)
                if request_id and self.labels.enabled:
                    version = _answering_version(last.headers, last.replica)
                    self.labels.remember(request_id, last.replica.group == "canary", version, last.body)
            return self._upstream_response(
                last.status, last.body, last.headers, last.replica, outcome.attempts
            )
        if self.config.mechanisms.degradation.enabled:
            return self._fallback(body, outcome.attempts)
        return self._failure_response(outcome)

    def _upstream_response(
        self, status: int, body: bytes, headers: dict[str, str], replica: ReplicaState, attempts: int
    ) -> Response:
        version = _answering_version(headers, replica)
        return Response(
            body,
            status_code=status,
            media_type=headers.get("content-type", "application/json"),
            headers=_headers(headers.get("x-served-by", replica.name), version, attempts, False),
        )

    def _failure_response(self, outcome: ProxyOutcome) -> Response:
        last = outcome.last
        if last is not None and last.status is not None:
            return self._upstream_response(
                last.status, last.body, last.headers, last.replica, outcome.attempts
            )
        status = 504 if outcome.deadline_exceeded else 503
        summary = "; ".join(outcome.errors[-3:]) or "no replica answered"
        message = f"{'deadline exceeded' if status == 504 else 'service unavailable'}: {summary}"
        return error_response(status, message, _headers("none", "none", outcome.attempts, False))

    def _fallback(self, body: bytes, attempts: int) -> Response:
        """Serve the lite model; invalid bodies still get their 4xx (degraded, never a 500)."""
        headers = _headers("fallback", LITE_MODEL.name, attempts, True)
        try:
            rows = validate_payload(parse_json(body), FALLBACK_MAX_ROWS)
        except RequestRejected as rejected:
            return error_response(rejected.status, rejected.message, headers)
        self.counters.degraded += 1
        payload = {
            "predictions": LITE_MODEL.predict(rows),
            "model_version": LITE_MODEL.name,
            "replica": "fallback",
        }
        return JSONResponse(payload, headers=headers)

    async def feedback(self, request: Request) -> Response:
        """Labels for an answered request, posted late: scored against what it was answered, for the
        canary analysis. 200 with `matched: false` for a request not remembered (unknown, expired)."""
        try:
            request_id, labels = parse_feedback(parse_json(await read_limited_body(request, 1_048_576)))
        except RequestRejected as rejected:
            return error_response(rejected.status, rejected.message)
        except FeedbackRejected as rejected:
            return error_response(400, str(rejected))
        if not self.labels.enabled:
            return error_response(409, "label feedback is off (canary_analysis.labels)")
        answer = self.labels.label(request_id, labels)
        if answer is not None:
            self.canary.record_labelled(answer)
        return JSONResponse({"matched": answer is not None})

    # ---- probes, state and metrics ------------------------------------------------------------------------
    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(self, request: Request) -> Response:
        if self.config.mechanisms.degradation.enabled or any(r.healthy for r in self.stable_replicas):
            return JSONResponse({"status": "ready"})
        return error_response(503, "no healthy replica and degradation is off")

    def state(self) -> dict[str, Any]:
        return {
            "time": time.time(),
            "profile": self.config.profile,
            "replicas": [r.describe() for r in self.stable_replicas + self.canary_replicas],
            "canary": self.canary.describe(),
            "drift": self.drift.describe(),
            "shadow": self.shadow.describe(),
            "labels": self.labels.describe(),
            "admission": self.admission.describe(),
            "rate_limit": self.rate_limit.describe(),
            "mechanisms": self.config.mechanisms.model_dump(),
            "counters": self.counters.as_dict(),
        }

    async def admin_state(self, request: Request) -> Response:
        return JSONResponse(self.state())

    async def metrics(self, request: Request) -> Response:
        return PlainTextResponse(render_gateway_metrics(self), media_type=prometheus.CONTENT_TYPE)

    # ---- control plane ----------------------------------------------------------------------------------
    async def _admin_json(self, request: Request) -> dict[str, Any]:
        body = await read_limited_body(request, 65_536)
        payload = parse_json(body) if body else {}
        if not isinstance(payload, dict):
            raise RequestRejected(400, "admin body must be a JSON object")
        return payload

    async def _admin(
        self,
        request: Request,
        action: Callable[[dict[str, Any]], Awaitable[None]],
        describe: Callable[[], dict[str, Any]] | None = None,
    ) -> Response:
        denied = check_admin_token(request, self.config.admin_token)
        if denied:
            return denied
        try:
            await action(await self._admin_json(request))
        except RequestRejected as rejected:
            return error_response(rejected.status, rejected.message)
        except CanaryError as failed:
            return error_response(failed.status, str(failed))
        return JSONResponse((describe or self.canary.describe)())

    async def _deploy(self, payload: dict[str, Any]) -> None:
        version, weight = payload.get("version"), payload.get("weight", 0.1)
        valid_weight = isinstance(weight, int | float) and not isinstance(weight, bool) and 0 <= weight <= 1
        if not isinstance(version, str) or not valid_weight:
            raise RequestRejected(400, 'body must be {"version": str, "weight": 0..1}')
        self._no_shadow()
        await self.canary.deploy(version, float(weight))

    async def _switch(self, payload: dict[str, Any]) -> None:
        version = payload.get("version")
        if not isinstance(version, str):
            raise RequestRejected(400, 'body must be {"version": str}')
        self._no_shadow()
        await self.canary.switch(version)

    async def _promote(self, payload: dict[str, Any]) -> None:
        await self.canary.promote()

    async def _rollback(self, payload: dict[str, Any]) -> None:
        await self.canary.rollback(str(payload.get("reason", "manual rollback")))

    def _no_shadow(self) -> None:
        """A shadow holds the canary replicas until stopped: no canary or blue-green rollout beside it."""
        if self.shadow.active:
            raise CanaryError(f"shadow {self.shadow.version} holds the canary replicas", status=409)

    async def _deploy_shadow(self, payload: dict[str, Any]) -> None:
        version, share = payload.get("version"), payload.get("share", 0.1)
        valid_share = isinstance(share, int | float) and not isinstance(share, bool) and 0 < share <= 1
        if not isinstance(version, str) or not valid_share:
            raise RequestRejected(400, 'body must be {"version": str, "share": (0, 1]}')
        await self.shadow.deploy(version, float(share))

    async def _stop_shadow(self, payload: dict[str, Any]) -> None:
        await self.shadow.stop()

    async def deploy_shadow(self, request: Request) -> Response:
        return await self._admin(request, self._deploy_shadow, self.shadow.describe)

    async def stop_shadow(self, request: Request) -> Response:
        return await self._admin(request, self._stop_shadow, self.shadow.describe)

    async def deploy_canary(self, request: Request) -> Response:
        return await self._admin(request, self._deploy)

    async def switch_blue_green(self, request: Request) -> Response:
        return await self._admin(request, self._switch)

    async def promote_canary(self, request: Request) -> Response:
        return await self._admin(request, self._promote)

    async def rollback_canary(self, request: Request) -> Response:
        return await self._admin(request, self._rollback)


def create_app(config: GatewayConfig) -> Starlette:
    gateway = Gateway(config)
    app = Starlette(
        routes=[
            Route("/predict", gateway.predict, methods=["POST"]),
            Route("/feedback", gateway.feedback, methods=["POST"]),
            Route("/healthz", gateway.healthz),
            Route("/readyz", gateway.readyz),
            Route("/metrics", gateway.metrics),
            Route("/admin/state", gateway.admin_state),
            Route("/admin/canary", gateway.deploy_canary, methods=["POST"]),
            Route("/admin/canary/promote", gateway.promote_canary, methods=["POST"]),
            Route("/admin/canary/rollback", gateway.rollback_canary, methods=["POST"]),
            Route("/admin/blue-green", gateway.switch_blue_green, methods=["POST"]),
            Route("/admin/shadow", gateway.deploy_shadow, methods=["POST"]),
            Route("/admin/shadow/stop", gateway.stop_shadow, methods=["POST"]),
        ],
        lifespan=gateway.lifespan,
    )
    app.state.gateway = gateway
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    prefix = "CHAOSDRILL_GATEWAY_"
    add_env_flag(parser, "host", default="127.0.0.1", env_prefix=prefix, help="bind address")
    add_env_flag(parser, "port", default=8000, type=int, env_prefix=prefix, help="bind port")
    add_env_flag(parser, "config", default="gateway.json", env_prefix=prefix, help="gateway config JSON")
    add_env_flag(
        parser, "admin-token", default=None, env_prefix=prefix, help="overrides admin_token of the config"
    )
    add_secret_file_flag(parser, "admin-token", env_prefix=prefix)
    args = parser.parse_args(argv)
    config = load_gateway_config(args.config)
    admin_token = secret(parser, "admin-token", args.admin_token, args.admin_token_file)
    if admin_token is not None:
        config = config.model_copy(update={"admin_token": admin_token})
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
