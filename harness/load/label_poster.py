"""Labels that come late: each answered request's ground truth, posted back to the stack `delay` after its
answer (`load.feedback`), the way a real system learns whether a prediction was right.

Each request carries an id (`id_header`, X-Request-Id by default) the stack keys its answer by; the label
body is `{"request_id": ID, "labels": [truth per row]}`. Posts run in greenlets of their own, on a client
of their own (never Locust's: they are not load and never samples), at most CONCURRENCY at once; a label
still due when the load ends is not sent — labels come when they come — and is counted as such, so a
report can tell "the stack never got labels" from "its analysis ignored them". A 2xx answer counts as
accepted, and as unmatched too where the stack says so (`{"matched": false}`).
"""

from __future__ import annotations

import json
import uuid

import gevent
from gevent.pool import Group
from geventhttpclient import HTTPClient

from harness.load.config import FeedbackConfig

CONCURRENCY = 16


class LabelPoster:
    def __init__(self, target_url: str, config: FeedbackConfig, timeout_s: float) -> None:
        self._config = config
        self._client = HTTPClient.from_url(
            target_url, concurrency=CONCURRENCY, network_timeout=timeout_s, connection_timeout=timeout_s
        )
        self._pending = Group()
        self.scheduled = 0
        self.accepted = 0
        self.unmatched = 0
        self.failed = 0

    @property
    def id_header(self) -> str:
        return self._config.id_header

    @staticmethod
    def new_request_id() -> str:
        return uuid.uuid4().hex

    def schedule(self, request_id: str, truth: str) -> None:
        """Post `truth` (a JSON list, one label per row) for `request_id` once the delay is over."""
        self.scheduled += 1
        self._pending.add(gevent.spawn_later(self._config.delay_s, self._post, request_id, truth))

    def _post(self, request_id: str, truth: str) -> None:
        body = f'{{"request_id": {json.dumps(request_id)}, "labels": {truth}}}'
        try:
            response = self._client.post(self._config.path, body, {"Content-Type": "application/json"})
            answer = response.read()
        except (OSError, gevent.Timeout, ValueError):
            self.failed += 1
            return
        if not 200 <= response.status_code < 300:
            self.failed += 1
            return
        self.accepted += 1
        self.unmatched += _unmatched(answer)

    def stop(self) -> dict[str, float | int]:
        """Drop the labels not yet due (they would arrive after the drill) and tally what happened."""
        self._pending.kill(block=True, timeout=2.0)
        self._client.close()
        return {
            "delay_s": self._config.delay_s,
            "scheduled": self.scheduled,
            "accepted": self.accepted,
            "unmatched": self.unmatched,
            "failed": self.failed,
            "not_due": self.scheduled - self.accepted - self.failed,
        }


def _unmatched(answer: bytes) -> bool:
    """The stack accepted the labels but said it had no answer to match them to (`{"matched": false}`,
    the reference gateway's word for an unknown or expired id); other stacks may answer anything."""
    try:
        return json.loads(answer).get("matched") is False
    except (ValueError, AttributeError):
        return False
