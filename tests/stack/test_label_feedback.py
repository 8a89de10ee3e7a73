"""Delayed labels (`POST /feedback`): a canary whose scores look like stable's but are wrong (v2-stale) is
rolled back once its answers' labels come in, and stays without them; a good canary stays; a green that
is wrong is switched back against blue's labelled answers from before the switch. The feedback API
refuses what it cannot score."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest

from stack.config import CanaryAnalysisConfig
from stack.label_feedback import AwaitingLabels, LabelledAnswer, accuracy, parse_feedback
from stack.model import true_probability
from tests.stack.conftest import (
    Process,
    StackLauncher,
    admin,
    baseline_body,
    pools,
    replica_entry,
    state,
    wait_until,
)

LABELS_ONLY = {
    "window_ms": 8000,
    "min_requests": 10,
    "interval_ms": 200,
    "score_divergence": False,
    "min_labelled_rows": 100,
}


def _stack(stack: StackLauncher, analysis: dict[str, Any]) -> Process:
    stable, canary = stack.model_servers([{"name": "stable-0"}, {"name": "canary-0"}])
    config = {
        "pools": pools(east=[stable]),
        "canary_replicas": [replica_entry(canary)],
        "mechanisms": {"canary_analysis": analysis, "degradation": {"enabled": False}},
    }
    return stack.gateway(config)


def send_and_label(url: str, requests: int, rows: int = 4, seed: int = 0) -> list[httpx.Response]:
    """Requests with an X-Request-Id each, then every answer's true labels posted to /feedback (the
    delay is the time the batch took: the gateway only ever sees labels after the answer)."""

    async def run() -> list[httpx.Response]:
        gate = asyncio.Semaphore(8)
        async with httpx.AsyncClient(timeout=5) as client:

            async def one(body: dict[str, Any]) -> httpx.Response:
                async with gate:
                    headers = {"X-Request-Id": uuid.uuid4().hex}
                    return await client.post(f"{url}/predict", json=body, headers=headers)

            bodies = [baseline_body(seed=seed * 100_000 + s, rows=rows) for s in range(requests)]
            answers = await asyncio.gather(*(one(b) for b in bodies))
            for body, answer in zip(bodies, answers, strict=True):
                labels = true_probability(body["instances"])
                feedback = {"request_id": answer.headers["X-Request-Id"], "labels": labels}
                posted = await client.post(f"{url}/feedback", json=feedback)
                assert posted.status_code == 200 and posted.json() == {"matched": True}, posted.text
            return list(answers)

    return asyncio.run(run())


def _rolled_back_within(url: str, timeout_s: float) -> bool:
    rounds = iter(range(1000))
    return wait_until(
        lambda: (
            bool(send_and_label(url, 40, seed=next(rounds)))
            and state(url)["canary"]["status"] == "rolled_back"
        ),
        timeout_s=timeout_s,
        interval_s=0,
    )


def test_a_canary_wrong_on_its_labelled_rows_is_rolled_back(stack: StackLauncher) -> None:
    gateway = _stack(stack, LABELS_ONLY)
    assert admin(gateway.url, "/admin/canary", {"version": "v2-stale", "weight": 0.3}).status_code == 200
    assert _rolled_back_within(gateway.url, timeout_s=15)
    canary = state(gateway.url)["canary"]
    assert canary["reason"].startswith("automated analysis: accuracy on labelled rows"), canary["reason"]
    # The rule that decided: more than max_accuracy_drop (5 points) below stable, at the moment it was judged.
    assert canary["label_accuracy"]["reference"] - canary["label_accuracy"]["candidate"] > 0.05
    labels = state(gateway.url)["labels"]
    assert labels["labelled"] >= 40 and labels["unmatched"] == 0


def test_without_label_analysis_the_same_canary_stays_and_feedback_is_refused(stack: StackLauncher) -> None:
    gateway = _stack(stack, {**LABELS_ONLY, "labels": False})
    assert admin(gateway.url, "/admin/canary", {"version": "v2-stale", "weight": 0.3}).status_code == 200
    with httpx.Client(timeout=5) as client:
        for seed in range(200):
            answer = client.post(
                f"{gateway.url}/predict",
                json=baseline_body(seed, rows=4),
                headers={"X-Request-Id": f"r{seed}"},
            )
            assert answer.status_code == 200
        refused = client.post(f"{gateway.url}/feedback", json={"request_id": "r1", "labels": [1, 0, 1, 0]})
    assert refused.status_code == 409 and "canary_analysis.labels" in refused.text
    time.sleep(0.5)  # two analysis intervals
    assert state(gateway.url)["canary"]["status"] == "active"
    assert state(gateway.url)["labels"]["awaiting"] == 0  # nothing remembered for labels that cannot come


def test_a_good_canary_is_not_rolled_back_on_its_labels(stack: StackLauncher) -> None:
    gateway = _stack(stack, LABELS_ONLY)
    assert admin(gateway.url, "/admin/canary", {"version": "v2", "weight": 0.3}).status_code == 200
    for seed in range(8):
        send_and_label(gateway.url, 40, seed=seed)
    time.sleep(0.5)
    canary = state(gateway.url)["canary"]
    assert canary["status"] == "active", canary["reason"]
    assert canary["label_accuracy"] is not None  # judged, and found as good
    assert abs(canary["label_accuracy"]["candidate"] - canary["label_accuracy"]["reference"]) < 0.05


def test_a_wrong_green_is_switched_back_against_blues_labels_before_the_switch(stack: StackLauncher) -> None:
    gateway = _stack(stack, {**LABELS_ONLY, "min_requests": 10})
    send_and_label(gateway.url, 60, seed=50)  # blue's labelled answers
    assert admin(gateway.url, "/admin/blue-green", {"version": "v2-flip20"}).status_code == 200
    assert _rolled_back_within(gateway.url, timeout_s=15)
    canary = state(gateway.url)["canary"]
    assert "vs blue before the switch" in canary["reason"] and canary["colour"] == "blue"


def test_unknown_expired_and_mismatched_labels_are_counted_as_unmatched(stack: StackLauncher) -> None:
    gateway = _stack(stack, {**LABELS_ONLY, "label_ttl_ms": 300})
    with httpx.Client(timeout=5) as client:
        predict = f"{gateway.url}/predict"
        for request_id in ("late", "short"):
            client.post(predict, json=baseline_body(1, rows=2), headers={"X-Request-Id": request_id})
        unknown = client.post(f"{gateway.url}/feedback", json={"request_id": "never-sent", "labels": [1]})
        short = client.post(f"{gateway.url}/feedback", json={"request_id": "short", "labels": [1]})
        time.sleep(0.4)
        late = client.post(f"{gateway.url}/feedback", json={"request_id": "late", "labels": [1, 0]})
    assert [r.json() for r in (unknown, short, late)] == [{"matched": False}] * 3
    assert state(gateway.url)["labels"] == {"awaiting": 0, "labelled": 0, "unmatched": 3, "forgotten": 1}
    assert 'chaosdrill_gateway_labels{state="unmatched"} 3' in httpx.get(f"{gateway.url}/metrics").text


@pytest.mark.parametrize(
    "body",
    [
        [1, 0],
        {"labels": [1]},
        {"request_id": "", "labels": [1]},
        {"request_id": "r", "labels": []},
        {"request_id": "r", "labels": 1},
    ],
)
def test_a_feedback_body_that_cannot_be_scored_is_refused(body: Any) -> None:
    with pytest.raises(ValueError, match="feedback"):
        parse_feedback(body)


def test_labels_score_rows_by_class_and_skip_rows_without_a_label() -> None:
    awaiting = AwaitingLabels(CanaryAnalysisConfig())
    awaiting.remember("r", True, "v2", b'{"predictions": [0.9, 0.2, 0.6, 0.5]}')
    answer = awaiting.label("r", [1.0, 0.0, 0.1, None])
    assert answer == LabelledAnswer(canary=True, version="v2", rows=3, correct=2)
    assert awaiting.label("r", [1.0, 0.0, 0.1, None]) is None  # labelled once
    assert accuracy([answer, LabelledAnswer(False, "v1", 1, 1)]) == (0.75, 4)


def test_answers_awaiting_labels_are_capped_oldest_first() -> None:
    awaiting = AwaitingLabels(CanaryAnalysisConfig(max_awaiting_labels=2))
    for request_id in ("a", "b", "c"):
        awaiting.remember(request_id, False, "v1", b'{"predictions": [0.9]}')
    awaiting.remember("no-scores", False, "v1", b'{"error": "x"}')
    assert awaiting.describe() == {"awaiting": 2, "labelled": 0, "unmatched": 0, "forgotten": 1}
    assert awaiting.label("a", [1]) is None and awaiting.label("c", [1]) is not None
