"""Toxic definitions as the API sees them: types, attribute defaults, validation and JSON shape.

A ``ToxicSpec`` is immutable; an update produces a new spec, which lets live connections swap the
running stage for a fresh one (as Toxiproxy restarts the toxic's stub) without sharing mutable state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .errors import bad_request_body, invalid_stream, invalid_toxic_type, toxic_already_exists
from .jsonbody import decode_object, typed_field, unmarshal_error

UPSTREAM = "upstream"
DOWNSTREAM = "downstream"

# Go's type names, quoted by its decoding errors.
_WRAPPER = "ToxicWrapper"
_UPDATE_BODY = (
    'struct { Attributes interface {} "json:\\"attributes\\""; Toxicity float32 "json:\\"toxicity\\"" }'
)


@dataclass(frozen=True)
class ToxicType:
    """A toxic type: its integer attributes (zero by default, as Go struct fields) and its Go names."""

    go_struct: str
    attributes: tuple[str, ...]
    go_int: str = "int64"


TOXIC_TYPES: dict[str, ToxicType] = {
    "noop": ToxicType("NoopToxic", ()),
    "latency": ToxicType("LatencyToxic", ("latency", "jitter")),
    "bandwidth": ToxicType("BandwidthToxic", ("rate",)),
    "slow_close": ToxicType("SlowCloseToxic", ("delay",)),
    "timeout": ToxicType("TimeoutToxic", ("timeout",)),
    "reset_peer": ToxicType("ResetToxic", ("timeout",)),
    "slicer": ToxicType("SlicerToxic", ("average_size", "size_variation", "delay"), go_int="int"),
    "limit_data": ToxicType("LimitDataToxic", ("bytes",)),
}


@dataclass(frozen=True)
class ToxicSpec:
    name: str
    type: str
    stream: str
    toxicity: float
    attributes: dict[str, int] = field(default_factory=dict)

    @property
    def direction(self) -> str:
        """``upstream`` or ``downstream``; the stream field keeps the client's spelling, as Toxiproxy does."""
        return self.stream.lower()

    def to_json(self) -> dict[str, object]:
        return {
            "attributes": dict(self.attributes),
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            # Go writes its float32 without a fraction when it has none (1, not 1.0).
            "toxicity": int(self.toxicity) if self.toxicity.is_integer() else self.toxicity,
        }


def _attributes_object(raw: object, go_field: str, go_type: str) -> dict[str, object] | None:
    if raw is None or isinstance(raw, dict):
        return raw
    raise unmarshal_error(raw, go_type, go_field)


def _merged_attributes(
    toxic_type: str, base: dict[str, int], raw: dict[str, object] | None
) -> dict[str, int]:
    """``base`` with the attributes ``raw`` sets. Negative values are refused: Toxiproxy takes them, but
    a negative delay, rate or size means nothing and hides a client bug."""
    kind = TOXIC_TYPES[toxic_type]
    merged = dict(base)
    for key in kind.attributes:
        where = f"{kind.go_struct}.attributes"
        value = typed_field(raw or {}, key, int, merged[key], where, kind.go_int)
        if value < 0:
            raise bad_request_body(f"{where}.{key} must be 0 or more, got {value}")
        merged[key] = value
    return merged


def parse_new_toxic(body: bytes, name_taken: Callable[[str], bool]) -> ToxicSpec:
    """Validate a create-toxic body in Toxiproxy's order: body, stream, type, unique name, attributes."""
    obj = decode_object(body, f"toxics.{_WRAPPER}")
    name = typed_field(obj, "name", str, "", _WRAPPER)
    toxic_type = typed_field(obj, "type", str, "", _WRAPPER)
    stream = typed_field(obj, "stream", str, DOWNSTREAM, _WRAPPER)
    toxicity = typed_field(obj, "toxicity", float, 1.0, _WRAPPER)
    # Go decodes the wrapper before it knows the type, with a noop toxic standing in for the attributes.
    raw = _attributes_object(obj.get("attributes"), f"{_WRAPPER}.attributes", "toxics.NoopToxic")
    if stream.lower() not in (UPSTREAM, DOWNSTREAM):
        raise invalid_stream()
    name = name or f"{toxic_type}_{stream}"
    if toxic_type not in TOXIC_TYPES:
        raise invalid_toxic_type()
    if name_taken(name):
        raise toxic_already_exists()
    attributes = _merged_attributes(toxic_type, dict.fromkeys(TOXIC_TYPES[toxic_type].attributes, 0), raw)
    return ToxicSpec(name=name, type=toxic_type, stream=stream, toxicity=toxicity, attributes=attributes)


def apply_toxic_update(spec: ToxicSpec, body: bytes) -> ToxicSpec:
    """Merge an update body: only ``attributes`` (key by key) and ``toxicity`` change, like Toxiproxy."""
    obj = decode_object(body, _UPDATE_BODY)
    go_struct = f"toxics.{TOXIC_TYPES[spec.type].go_struct}"
    raw = _attributes_object(obj.get("attributes"), ".attributes", go_struct)
    toxicity = typed_field(obj, "toxicity", float, spec.toxicity, "")
    attributes = _merged_attributes(spec.type, spec.attributes, raw)
    return replace(spec, toxicity=toxicity, attributes=attributes)
