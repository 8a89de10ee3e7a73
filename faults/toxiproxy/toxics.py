"""Toxic definitions as the API sees them: types, attribute defaults, validation and JSON shape.

A ``ToxicSpec`` is immutable; an update produces a new spec, which lets live connections swap the
running stage for a fresh one (as Toxiproxy restarts the toxic's stub) without sharing mutable state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from .errors import invalid_stream, invalid_toxic_type, toxic_already_exists
from .jsonbody import decode_object, typed_field, unmarshal_error

UPSTREAM = "upstream"
DOWNSTREAM = "downstream"

# Every toxic type with its attributes and their zero defaults (Go struct fields start at zero).
ATTRIBUTE_DEFAULTS: dict[str, dict[str, int]] = {
    "latency": {"latency": 0, "jitter": 0},
    "bandwidth": {"rate": 0},
    "slow_close": {"delay": 0},
    "timeout": {"timeout": 0},
    "reset_peer": {"timeout": 0},
    "slicer": {"average_size": 0, "size_variation": 0, "delay": 0},
    "limit_data": {"bytes": 0},
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
            "toxicity": self.toxicity,
        }


def _merged_attributes(toxic_type: str, base: dict[str, int], raw: object) -> dict[str, int]:
    if raw is None:
        return dict(base)
    if not isinstance(raw, dict):
        raise unmarshal_error(raw, "toxics.Toxic")
    merged = dict(base)
    for key in ATTRIBUTE_DEFAULTS[toxic_type]:
        merged[key] = typed_field(raw, key, int, merged[key], f"{toxic_type}.attributes")
    return merged


def parse_new_toxic(body: bytes, name_taken: Callable[[str], bool]) -> ToxicSpec:
    """Validate a create-toxic body in Toxiproxy's order: body, stream, type, unique name, attributes."""
    obj = decode_object(body, "toxics.ToxicWrapper")
    name = typed_field(obj, "name", str, "", "ToxicWrapper")
    toxic_type = typed_field(obj, "type", str, "", "ToxicWrapper")
    stream = typed_field(obj, "stream", str, DOWNSTREAM, "ToxicWrapper")
    toxicity = typed_field(obj, "toxicity", float, 1.0, "ToxicWrapper")
    if stream.lower() not in (UPSTREAM, DOWNSTREAM):
        raise invalid_stream()
    name = name or f"{toxic_type}_{stream}"
    if toxic_type not in ATTRIBUTE_DEFAULTS:
        raise invalid_toxic_type()
    if name_taken(name):
        raise toxic_already_exists()
    attributes = _merged_attributes(toxic_type, ATTRIBUTE_DEFAULTS[toxic_type], obj.get("attributes"))
    return ToxicSpec(name=name, type=toxic_type, stream=stream, toxicity=toxicity, attributes=attributes)


def apply_toxic_update(spec: ToxicSpec, body: bytes) -> ToxicSpec:
    """Merge an update body: only ``attributes`` (key by key) and ``toxicity`` change, like Toxiproxy."""
    obj = decode_object(body, "toxics.ToxicWrapper")
    toxicity = typed_field(obj, "toxicity", float, spec.toxicity, "ToxicWrapper")
    attributes = _merged_attributes(spec.type, spec.attributes, obj.get("attributes"))
    return replace(spec, toxicity=toxicity, attributes=attributes)
