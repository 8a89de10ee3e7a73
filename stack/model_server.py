"""Model server: one replica of the reference model behind an ASGI app (`python -m stack.model_server`).

Inference has a realistic base latency (an asyncio sleep standing in for accelerator time, so replicas
do not compete for the CPU the harness needs), multiplied by the slowdown fault and the version's own
latency factor. For its first `warmup` seconds a replica is cold, like one still loading its model: /readyz
answers 503 and predictions are `warmup_slowdown` times slower (a cold start, see faults/kinds/cold_start.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import time
from dataclasses import asdict, dataclass
from typing import Any

import uvicorn
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from stack import prometheus
from stack.cli_env import add_env_flag, add_secret_file_flag, secret
from stack.http_common import check_admin_token, error_response, read_limited_body
from stack.model import VERSIONS, ModelVersion
from stack.server_faults import FaultState
from stack.validation import RequestRejected, parse_json, validate_payload


@dataclass(frozen=True)
class ServerSettings:
    name: str = "gpu-0"
    version: str = "v1"
    accelerator: str = "gpu"
    region: str = "east"
    warmup: float = 0.0
    warmup_slowdown: float = 1.0
    """Latency factor while warming up."""
    admin_token: str | None = None
    max_body_bytes: int = 1_048_576
    max_rows: int = 1024
    base_latency_ms: float = 3.0
    concurrency: int = 0
    """Batches served at once, like a GPU's slots: more wait in line (FIFO), which is what makes a replica
    saturate and queue under overload. 0: no limit (every request sleeps its latency in parallel)."""


class ModelServer:
    """Request handlers plus the mutable state of one replica (served version, faults, metrics)."""

    def __init__(self, settings: ServerSettings) -> None:
        if settings.version not in VERSIONS:
            raise ValueError(f"unknown model version {settings.version!r}; known: {sorted(VERSIONS)}")
        self.settings = settings
        self.model: ModelVersion = VERSIONS[settings.version]
        self.faults = FaultState()
        self.started = time.monotonic()
        self.in_flight = 0
        self._slots = asyncio.Semaphore(settings.concurrency) if settings.concurrency > 0 else None
        self.requests = prometheus.Counter("chaosdrill_model_requests_total", "Predict requests by status.")
        self.errors = prometheus.Counter("chaosdrill_model_errors_total", "Predict 5xx answers by cause.")
        self.latency = prometheus.Histogram("chaosdrill_model_request_latency_seconds", "Predict latency.")

    @property
    def labels(self) -> dict[str, str]:
        s = self.settings
        return {"name": s.name, "accelerator": s.accelerator, "region": s.region, "version": self.model.name}

    def is_warm(self) -> bool:
        return time.monotonic() - self.started >= self.settings.warmup

    def _headers(self) -> dict[str, str]:
        return {"X-Served-By": self.settings.name, "X-Model-Version": self.model.name}

    async def predict(self, request: Request) -> Response:
        self.in_flight += 1
        started = time.perf_counter()
        # Recorded as-is if an unexpected exception escapes, which Starlette then answers with a 500.
        response = error_response(500, "internal error")
        try:
            await self.faults.wait_while_hung()
            response = await self._predict(request)
        except RequestRejected as rejected:
            response = error_response(rejected.status, rejected.message, self._headers())
        finally:
            self.in_flight -= 1
            self.requests.inc(labels={"status": str(response.status_code)})
            self.latency.observe(time.perf_counter() - started)
        return response

    async def _predict(self, request: Request) -> Response:
        rows = validate_payload(
            parse_json(await read_limited_body(request, self.settings.max_body_bytes)), self.settings.max_rows
        )
        faults = self.faults.settings
        model = self.model
        if faults.oom_batch_size is not None and len(rows) > faults.oom_batch_size:
            self.errors.inc(labels={"cause": "oom"})
            message = f"CUDA out of memory: batch of {len(rows)} rows exceeds {faults.oom_batch_size}"
            return error_response(507, message, self._headers())
        if faults.error_rate and random.random() < faults.error_rate:
            self.errors.inc(labels={"cause": "injected"})
            return error_response(faults.error_status, faults.error_message, self._headers())
        cold = 1.0 if self.is_warm() else self.settings.warmup_slowdown
        async with self._slots or contextlib.nullcontext():
            await asyncio.sleep(
                self.settings.base_latency_ms / 1000 * faults.slowdown * model.latency_factor * cold
            )
        if model.error_rate and random.random() < model.error_rate:
            self.errors.inc(labels={"cause": "model"})
            return error_response(500, f"model {model.name}: inference produced NaN logits", self._headers())
        predictions = model.predict(rows)
        body = {"predictions": predictions, "model_version": model.name, "replica": self.settings.name}
        return JSONResponse(body, headers=self._headers())

    async def healthz(self, request: Request) -> Response:
        return JSONResponse({"status": "alive"})

    async def readyz(self, request: Request) -> Response:
        """Never answers while hung (like a wedged GPU process), 503 while warming up."""
        await self.faults.wait_while_hung()
        if not self.is_warm():
            return error_response(503, "warming up", self._headers())
        return JSONResponse({"status": "ready"}, headers=self._headers())

    async def info(self, request: Request) -> Response:
        return JSONResponse(
            {**self.labels, "ready": self.is_warm(), "faults": self.faults.settings.model_dump()}
        )

    async def metrics(self, request: Request) -> Response:
        in_flight = prometheus.Gauge("chaosdrill_model_in_flight", "Predict requests being served.")
        in_flight.set(self.in_flight)
        info = prometheus.Gauge("chaosdrill_model_info", "Replica labels and served model version.")
        info.set(1, self.labels)
        ready = prometheus.Gauge("chaosdrill_model_ready", "1 once warm-up is over.")
        ready.set(int(self.is_warm()))
        text = prometheus.render([self.requests, self.errors, self.latency, in_flight, info, ready])
        return PlainTextResponse(text, media_type=prometheus.CONTENT_TYPE)

    async def _admin_body(self, request: Request) -> Any:
        return parse_json(await read_limited_body(request, 65_536))

    async def admin_faults(self, request: Request) -> Response:
        denied = check_admin_token(request, self.settings.admin_token)
        if denied:
            return denied
        if request.method == "DELETE":
            self.faults.clear()
        elif request.method == "POST":
            try:
                changes = await self._admin_body(request)
                if not isinstance(changes, dict):
                    raise RequestRejected(400, "fault body must be a JSON object")
                self.faults.update(changes)
            except RequestRejected as rejected:
                return error_response(400, rejected.message)
            except ValidationError as invalid:
                return error_response(400, f"invalid faults: {invalid.errors(include_url=False)}")
        return JSONResponse(self.faults.settings.model_dump())

    async def admin_model(self, request: Request) -> Response:
        denied = check_admin_token(request, self.settings.admin_token)
        if denied:
            return denied
        try:
            body = await self._admin_body(request)
        except RequestRejected as rejected:
            return error_response(400, rejected.message)
        version = body.get("version") if isinstance(body, dict) else None
        if not isinstance(version, str) or version not in VERSIONS:
            return error_response(400, f"'version' must be one of {sorted(VERSIONS)}")
        previous, self.model = self.model.name, VERSIONS[version]
        return JSONResponse({"version": version, "previous": previous})


def create_app(settings: ServerSettings) -> Starlette:
    server = ModelServer(settings)
    app = Starlette(
        routes=[
            Route("/predict", server.predict, methods=["POST"]),
            Route("/healthz", server.healthz),
            Route("/readyz", server.readyz),
            Route("/info", server.info),
            Route("/metrics", server.metrics),
            Route("/admin/faults", server.admin_faults, methods=["GET", "POST", "DELETE"]),
            Route("/admin/model", server.admin_model, methods=["POST"]),
        ]
    )
    app.state.server = server
    return app


def parse_args(argv: list[str] | None = None) -> tuple[str, int, ServerSettings]:
    parser = argparse.ArgumentParser(description=__doc__)
    prefix = "CHAOSDRILL_"
    add_env_flag(parser, "host", default="127.0.0.1", env_prefix=prefix, help="bind address")
    add_env_flag(parser, "port", default=8001, type=int, env_prefix=prefix, help="bind port")
    defaults = ServerSettings()
    for field, value in asdict(defaults).items():
        flag_type = type(value) if value is not None else str
        add_env_flag(
            parser, field.replace("_", "-"), default=value, type=flag_type, env_prefix=prefix, help=field
        )
    add_secret_file_flag(parser, "admin-token", env_prefix=prefix)
    args = parser.parse_args(argv)
    args.admin_token = secret(parser, "admin-token", args.admin_token, args.admin_token_file)
    settings = ServerSettings(**{field: getattr(args, field) for field in asdict(defaults)})
    return args.host, args.port, settings


def main(argv: list[str] | None = None) -> None:
    host, port, settings = parse_args(argv)
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
