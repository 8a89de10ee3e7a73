"""Property: no request body, however malformed, makes /predict answer a 5xx (in-process ASGI app)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stack.model import sample_rows
from stack.model_server import ServerSettings, create_app

APP = create_app(ServerSettings(base_latency_ms=0.0, max_rows=8, max_body_bytes=4096))
VALID_ROW = sample_rows(np.random.default_rng(0), 1)[0]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def mutated_rows(draw: st.DrawFn) -> dict[str, Any]:
    """Valid rows with one feature replaced, dropped or joined by a stray key: near-misses hit deep paths."""
    row = dict(VALID_ROW)
    key = draw(st.sampled_from(sorted(row)))
    action = draw(st.sampled_from(["replace", "drop", "add"]))
    if action == "replace":
        row[key] = draw(
            json_values | st.sampled_from([float("nan"), float("inf"), 10**400, True, "salaried"])
        )
    elif action == "drop":
        del row[key]
    else:
        row[draw(st.text(min_size=1, max_size=15))] = draw(json_values)
    return {"instances": [dict(VALID_ROW)] * draw(st.integers(0, 10)) + [row]}


bodies = (
    st.binary(max_size=300)
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.dictionaries(st.just("instances"), json_values).map(lambda v: json.dumps(v).encode())
    | mutated_rows().map(lambda v: json.dumps(v).encode())
    | st.integers(1, 5000).map(lambda depth: b"[" * depth)
)


def post(body: bytes) -> httpx.Response:
    async def run() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=APP), base_url="http://replica"
        ) as client:
            return await client.post("/predict", content=body, headers={"content-type": "application/json"})

    return asyncio.run(run())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
def test_malformed_bodies_never_get_a_5xx(body: bytes) -> None:
    response = post(body)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert response.json()["error"]


def test_oversized_body_is_413() -> None:
    response = post(b" " * 5000)
    assert response.status_code == 413 and "exceeds" in response.json()["error"]
