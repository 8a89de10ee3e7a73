"""`load.observe`: where each answer says which replica served it, with which model version, after how many
attempts, whether degraded, and what it predicted: a response header or a JSON path into the body.

The reference stack's gateway says it in headers (X-Served-By, X-Model-Version, X-Attempts, X-Degraded);
an Open Inference Protocol server in its body (`model_version`, `outputs[0].data`); most stacks say some
of it and not the rest. A signal an answer does not carry is recorded as absent, never as zero or false:
"" for text, -1 for attempts and degraded, so the verifier can tell "no evidence" from "no retries".

JSON paths are JMESPath expressions (`model_version`, `outputs[0].data`, `meta."served-by"`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Literal, Self

import jmespath
from jmespath.exceptions import JMESPathError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Signal = Literal["replica", "version", "attempts", "degraded", "prediction"]
SIGNALS: tuple[Signal, ...] = ("replica", "version", "attempts", "degraded", "prediction")
ABSENT = -1
"""`attempts` or `degraded` of an answer that did not say: unknown, unlike an honest 0 (a gateway that
answered from its fallback without trying a replica; an answer that was not degraded)."""
MAX_PREDICTION_CHARS = 1000
"""A longer prediction is cut (and ends with "…"): samples.csv holds one per request."""


def check_json_path(path: str) -> str:
    """`path` once it compiles as JMESPath; else ValueError saying where and how to quote odd keys."""
    try:
        jmespath.compile(path)
    except JMESPathError as exc:
        where = getattr(exc, "lex_position", None)
        at = f" at character {where + 1}" if isinstance(where, int) else ""
        reason = getattr(exc, "msg", None) or str(exc).splitlines()[0]
        hint = ' (quote keys with other characters than letters, digits and "_": "served-by")'
        hint = hint if any(c in path for c in "-: /") else ""
        raise ValueError(f"invalid JSON path {path!r}: {reason.rstrip(':')}{at}{hint}") from None
    return path


class SignalSource(BaseModel):
    """One place to read a signal: `{header: X-Served-By}` or `{json: outputs[0].data}`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    header: str | None = Field(None, min_length=1)
    json_path: str | None = Field(None, alias="json", min_length=1)

    @model_validator(mode="after")
    def _one_place(self) -> Self:
        if (self.header is None) == (self.json_path is None):
            raise ValueError("give either 'header' (a response header name) or 'json' (a path into the body)")
        return self

    @field_validator("json_path")
    @classmethod
    def _valid_path(cls, path: str | None) -> str | None:
        return None if path is None else check_json_path(path)

    def describe(self) -> str:
        return f"header {self.header}" if self.header is not None else f"body {self.json_path}"


def _header(name: str) -> SignalSource:
    return SignalSource(header=name)


def _body(path: str) -> SignalSource:
    return SignalSource(json_path=path)


Preset = Literal["reference", "open-inference-v2", "kserve-v1", "mlflow", "none"]
PRESETS: dict[str, dict[Signal, SignalSource]] = {
    "reference": {
        "replica": _header("X-Served-By"),
        "version": _header("X-Model-Version"),
        "attempts": _header("X-Attempts"),
        "degraded": _header("X-Degraded"),
    },
    "open-inference-v2": {"version": _body("model_version"), "prediction": _body("outputs[0].data")},
    "kserve-v1": {"prediction": _body("predictions")},
    "mlflow": {"prediction": _body("predictions")},
    "none": {},
}
"""The reference preset reads no prediction: parsing every answer's body costs the load worker CPU per
request, which a drill against the reference stack pays only when it judges the answers' quality."""


class Observation(BaseModel):
    """Where this run reads each signal (None: not read). What the worker is given, presets resolved."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    replica: SignalSource | None = None
    version: SignalSource | None = None
    attempts: SignalSource | None = None
    degraded: SignalSource | None = None
    prediction: SignalSource | None = None

    def sources(self) -> dict[Signal, SignalSource | None]:
        return {signal: getattr(self, signal) for signal in SIGNALS}

    def absent(self, signal: Signal, responses: int) -> str:
        """Why no answer gave `signal`, in the words of this run's mapping: a stack that is not the
        reference one must not read of headers it was never asked to send."""
        source = getattr(self, signal)
        if source is None:
            return f"{signal} is not observed (load.observe.{signal} is not set)"
        return f"no {source.describe()} on any of {responses:,} responses"

    def present(self, signal: Signal, responses: int) -> str:
        """What a figure from `signal` was measured over: "1,200 responses with header X-Attempts"."""
        source = getattr(self, signal)
        return f"{responses:,} responses with {source.describe() if source else signal}"


class ObserveSpec(BaseModel):
    """`load.observe` as written: a preset (default: the request protocol's own) and per-signal changes;
    `attempts: null` stops reading a signal the preset reads."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    preset: Preset | None = None
    replica: SignalSource | None = None
    version: SignalSource | None = None
    attempts: SignalSource | None = None
    degraded: SignalSource | None = None
    prediction: SignalSource | None = None

    def resolve(self, default_preset: Preset, predictions: bool = False) -> Observation:
        """`predictions`: the drill judges the answers' quality, so the reference preset reads them too
        (the body's `predictions`), unless `prediction` is set here."""
        preset = self.preset or default_preset
        sources: dict[str, SignalSource | None] = dict(PRESETS[preset])
        if predictions and preset == "reference":
            sources["prediction"] = _body("predictions")
        for signal in SIGNALS:
            if signal in self.model_fields_set:
                sources[signal] = getattr(self, signal)
        return Observation(**sources)


# --- reading answers (the load worker) -------------------------------------------------------------------

Headers = Mapping[str, Any] | None
Reader = Callable[[Headers, Any], Any]


def header_text(headers: Headers, name: str) -> str:
    """A response header as text, "" when absent (no response at all, or the stack did not set it)."""
    value = headers.get(name) if headers is not None else None
    if isinstance(value, list):  # repeated header: the last one wins, as with most proxies
        value = value[-1]
    return value or ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _prediction(value: Any) -> str:
    text = _text(value)
    return text if len(text) <= MAX_PREDICTION_CHARS else text[: MAX_PREDICTION_CHARS - 1] + "…"


def _attempts(value: Any) -> int:
    if isinstance(value, str):
        value = value.strip()
        if not value.isdigit():  # "", "-1", "two": no usable count
            return ABSENT
    elif isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or value < 0:
        return ABSENT
    return int(value)


_FLAGS = {"true": 1, "false": 0}


def _degraded(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        return _FLAGS.get(value.strip().lower(), ABSENT)
    return int(value) if isinstance(value, int) and value in (0, 1) else ABSENT


_CONVERT: dict[Signal, Callable[[Any], Any]] = {
    "replica": _text,
    "version": _text,
    "attempts": _attempts,
    "degraded": _degraded,
    "prediction": _prediction,
}


def _reader(signal: Signal, source: SignalSource | None) -> Reader:
    convert = _CONVERT[signal]
    absent = convert(None)
    if source is None:
        return lambda headers, document: absent
    if source.header is not None:
        name = source.header
        if convert is _text:  # a header is text already: no conversion on the hot path
            return lambda headers, document: header_text(headers, name)
        return lambda headers, document: convert(header_text(headers, name))
    expression = jmespath.compile(source.json_path or "")

    def from_body(headers: Headers, document: Any) -> Any:
        return absent if document is None else convert(expression.search(document))

    return from_body


class AnswerReader:
    """Reads the five signals of one answer; the body is parsed only when some signal reads it."""

    def __init__(self, observation: Observation) -> None:
        sources = observation.sources()
        self.reads_body = any(s is not None and s.json_path is not None for s in sources.values())
        self._replica, self._version, self._attempts, self._degraded, self._prediction = (
            _reader(signal, sources[signal]) for signal in SIGNALS
        )

    def read(self, headers: Headers, body: bytes | None) -> tuple[str, str, int, int, str]:
        """(replica, version, attempts, degraded, prediction) with absent ones as "" or -1."""
        document = _parse(body) if self.reads_body else None
        return (
            self._replica(headers, document),
            self._version(headers, document),
            self._attempts(headers, document),
            self._degraded(headers, document),
            self._prediction(headers, document),
        )


def _parse(body: bytes | None) -> Any:
    """The body as JSON, or None when there is none or it is not JSON (every body signal then absent)."""
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
