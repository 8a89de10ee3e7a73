"""Decoding request bodies the way Go's ``encoding/json`` does for Toxiproxy.

Toxiproxy decodes the first JSON value of the body (trailing bytes are ignored), treats ``null`` as
"leave the field alone", ignores unknown keys and rejects a value of the wrong JSON type with 400.
Matching that keeps clients written against the real server working unchanged.
"""

from __future__ import annotations

import json
from typing import TypeVar

from .errors import ApiError, bad_request_body

T = TypeVar("T")

_DECODER = json.JSONDecoder()
_GO_TYPES: dict[type, str] = {str: "string", bool: "bool", int: "int64", float: "float32"}


def json_type_name(value: object) -> str:
    """The JSON kind of ``value`` as Go names it in unmarshal errors."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def unmarshal_error(value: object, go_type: str) -> ApiError:
    """Go's wording for a JSON value that does not fit the target type."""
    return bad_request_body(f"json: cannot unmarshal {json_type_name(value)} into Go value of type {go_type}")


def decode_body(body: bytes) -> object:
    """Return the first JSON value in ``body``; an empty or malformed body is a 400."""
    try:
        text = body.decode("utf-8").lstrip()
    except UnicodeDecodeError as exc:
        raise bad_request_body(f"invalid UTF-8: {exc}") from exc
    if not text:
        raise bad_request_body("EOF")
    try:
        value, _ = _DECODER.raw_decode(text)
    except json.JSONDecodeError as exc:
        raise bad_request_body(str(exc)) from exc
    return value


def decode_object(body: bytes, go_type: str) -> dict[str, object]:
    """Decode a body that must be a JSON object (``null`` counts as an empty one, as in Go)."""
    value = decode_body(body)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request_body(
            f"json: cannot unmarshal {json_type_name(value)} into Go value of type {go_type}"
        )
    return value


def typed_field(obj: dict[str, object], key: str, kind: type[T], default: T, where: str) -> T:
    """``obj[key]`` checked against ``kind``; absent or ``null`` gives ``default``.

    Integers must be JSON integers (Go refuses ``1.5`` and ``1.0`` for an int64); floats accept both.
    """
    value = obj.get(key)
    if value is None:
        return default
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)  # type: ignore[return-value]
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value  # type: ignore[return-value]
    if kind in (str, bool) and type(value) is kind:
        return value  # type: ignore[return-value]
    raise bad_request_body(
        f"json: cannot unmarshal {json_type_name(value)} into Go struct field {where}.{key} "
        f"of type {_GO_TYPES[kind]}"
    )
