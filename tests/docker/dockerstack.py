"""Helpers shared by the docker tests: a real request through the stack, and polling with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import numpy as np

from stack.model import sample_rows


def predict(gateway_url: str, timeout_s: float = 5.0) -> httpx.Response:
    body = {"instances": sample_rows(np.random.default_rng(0), 1)}
    return httpx.post(f"{gateway_url}/predict", json=body, timeout=timeout_s)


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:g}s: {what}")
        time.sleep(0.1)
