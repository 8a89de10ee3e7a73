"""error_samples.jsonl: what the stack answered when it failed, a bounded sample per kind of failure.

"errors rate 100%" says that a drill failed, not why; the answers do ("422: body.inputs: Field required").
The worker keeps, per (status, error class), the count and up to `MAX_SAMPLES` different answers (their
first `MAX_BODY_BYTES` bytes, and a one-line message taken from the whole body), and rewrites the small
file atomically on every flush tick, so a killed worker leaves it readable too.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_SAMPLES = 5
"""Different answers kept per (status, error class)."""
MAX_BODY_BYTES = 512
MAX_MESSAGE_CHARS = 200
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b.*")


@dataclass
class Answer:
    body: str
    """The first MAX_BODY_BYTES bytes, decoded (undecodable bytes replaced)."""
    message: str
    """One line saying what went wrong, from the whole body (see `message_of`)."""
    size: int
    """Bytes in the whole body."""
    first_t: float
    count: int = 1


@dataclass
class ErrorClass:
    status: int
    error: str
    count: int = 0
    answers: list[Answer] = field(default_factory=list)

    @property
    def label(self) -> str:
        """`422`, or the transport failure (`timeout`, `connect`, `reset`, `other`) when no status came."""
        return str(self.status) if self.status else self.error

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.error, "count": self.count,
                "answers": [vars(answer) for answer in self.answers]}  # fmt: skip


class ErrorSampler:
    """Counts failed answers per (status, error class) and keeps the first few different ones."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._classes: dict[tuple[int, str], ErrorClass] = {}
        self._dirty = False

    def add(self, status: int, error: str, body: bytes, t: float) -> None:
        key = (status, error)
        kept = self._classes.get(key)
        if kept is None:
            kept = self._classes[key] = ErrorClass(status, error)
        kept.count += 1
        self._dirty = True
        head = body[:MAX_BODY_BYTES].decode("utf-8", errors="replace")
        for answer in kept.answers:
            if answer.body == head:
                answer.count += 1
                return
        if len(kept.answers) < MAX_SAMPLES:
            kept.answers.append(Answer(head, message_of(body), len(body), t))

    def flush(self) -> None:
        """Rewrite the file if anything changed (it is small: at most MAX_SAMPLES bodies per class)."""
        if not self._dirty:
            return
        partial = self._path.with_name(self._path.name + ".tmp")
        lines = [json.dumps(kept.to_dict(), ensure_ascii=False) for kept in self._classes.values()]
        partial.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        os.replace(partial, self._path)
        self._dirty = False

    def close(self) -> None:
        self.flush()


def read_error_samples(path: Path) -> list[ErrorClass]:
    """The file's classes, most frequent first; [] without a file (a run without errors, an older run)."""
    if not path.exists():
        return []
    classes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            data = json.loads(line)
            answers = [Answer(**answer) for answer in data["answers"]]
            classes.append(ErrorClass(int(data["status"]), str(data["error"]), int(data["count"]), answers))
        except (ValueError, KeyError, TypeError):
            continue  # a damaged line hides one class, not the others
    return sorted(classes, key=lambda kept: (-kept.count, kept.status, kept.error))


def message_of(body: bytes) -> str:
    """The line of an error answer that says what went wrong.

    JSON error shapes of common servers: FastAPI/pydantic validation (`detail: [{loc, msg}]`, MLServer,
    KServe), `{"error": ...}` (Open Inference Protocol, TF Serving), `{"message": ...}` (MLflow);
    a Python traceback's exception line; otherwise the first line of text."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    message = _json_message(document) if document is not None else None
    if message is None:
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        message = _raised(text) if lines and lines[0].startswith("Traceback") else None
        message = message or (lines or [""])[0]
    message = " ".join(message.split())
    return message if len(message) <= MAX_MESSAGE_CHARS else message[: MAX_MESSAGE_CHARS - 1] + "…"


def _raised(traceback: str) -> str | None:
    """A Python traceback's last exception line (`ValueError: Input X contains NaN.`)."""
    raised = [line.strip() for line in traceback.splitlines() if _EXCEPTION_LINE.match(line.strip())]
    return raised[-1] if raised else None


def _json_message(document: Any) -> str | None:
    if not isinstance(document, dict):
        return None
    detail = document.get("detail")
    if isinstance(detail, list) and detail and all(isinstance(item, dict) for item in detail):
        return "; ".join(_validation_item(item) for item in detail[:3])
    trace = document.get("stack_trace")  # MLflow: a generic message, the cause in the trace
    raised = _raised(trace) if isinstance(trace, str) else None
    for key in ("detail", "error", "message"):
        value = document.get(key)
        if isinstance(value, dict):
            value = value.get("message")
        if isinstance(value, str) and value.strip():
            return f"{raised} ({value})" if raised else value
    return raised


def _validation_item(item: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in item.get("loc", []))
    message = str(item.get("msg", ""))
    return f"{location}: {message}" if location else message
