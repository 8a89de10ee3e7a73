"""Decoding request bodies the way Go's ``encoding/json`` does for Toxiproxy.

Toxiproxy decodes the first JSON value of the body (trailing bytes are ignored), treats ``null`` as
"leave the field alone", ignores unknown keys and rejects a value of the wrong JSON type with 400.
Numbers must fit Go's field types (int64, float32); ``NaN`` and ``Infinity`` are not JSON at all.
Matching that keeps clients written against the real server working unchanged.
"""

from __future__ import annotations

import json
from typing import NoReturn, TypeVar

from .errors import ApiError, bad_request_body

T = TypeVar("T")

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
FLOAT32_MAX = 3.4028234663852886e38
_GO_TYPES: dict[type, str] = {str: "string", bool: "bool", int: "int64", float: "float32"}


class JsonFloat(float):
    """A JSON number written with a fraction or exponent; keeps its text, which Go's errors quote."""

    literal: str

    def __new__(cls, literal: str) -> JsonFloat:
        number = super().__new__(cls, literal)
        number.literal = literal
        return number


def _refuse_constant(name: str) -> NoReturn:
    """Python's decoder takes NaN and Infinity; Go's stops at their first letter."""
    if name.startswith("-"):
        raise bad_request_body(f"invalid character '{name[1]}' in numeric literal")
    raise bad_request_body(f"invalid character '{name[0]}' looking for beginning of value")


_DECODER = json.JSONDecoder(parse_float=JsonFloat, parse_constant=_refuse_constant)


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


def unmarshal_error(value: object, go_type: str, field: str = "", literal: bool = False) -> ApiError:
    """Go's wording for a JSON value that does not fit the target type (of a struct ``field`` if named).

    Go quotes a number's text when the target is a number too small or too coarse (``literal``).
    """
    kind = json_type_name(value)
    if literal:
        kind += f" {getattr(value, 'literal', value)}"
    target = f"struct field {field}" if field else "value"
    return bad_request_body(f"json: cannot unmarshal {kind} into Go {target} of type {go_type}")


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
        raise unmarshal_error(value, go_type)
    return value


def typed_field(
    obj: dict[str, object], key: str, kind: type[T], default: T, where: str, go_type: str = ""
) -> T:
    """``obj[key]`` checked against ``kind``; absent or ``null`` gives ``default``.

    Integers must be JSON integers within int64 (Go refuses ``1.5``, ``1.0`` and ``1e30`` for an int64);
    floats take both forms within float32's range. ``where`` and ``go_type`` name the Go field in errors.
    """
    value = obj.get(key)
    if value is None:
        return default
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind is float and number and abs(value) <= FLOAT32_MAX:  # type: ignore[arg-type]
        return float(value)  # type: ignore[return-value,arg-type]
    if kind is int and number and type(value) is int and INT64_MIN <= value <= INT64_MAX:
        return value  # type: ignore[return-value]
    if kind in (str, bool) and type(value) is kind:
        return value  # type: ignore[return-value]
    field = f"{where}.{key}"
    raise unmarshal_error(value, go_type or _GO_TYPES[kind], field, literal=number and kind in (int, float))
