"""One reading of one probe: an HTTP answer, a Prometheus sample or a command's output, or why there is none.

A reading that could not be taken (refused, timed out, an error status where a JSON value was wanted,
no matching sample, a command that failed) is recorded as an error, never as a value: an expectation on
the probe then has less evidence, rather than wrong evidence.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jmespath
from prometheus_client.parser import text_string_to_metric_families

from harness.calls import HttpCall, call_environment, resolve_command, run_command
from harness.scenario.probes import ProbeSpec

MAX_VALUE_CHARS = 1000
"""A longer reading (a command's output, a JSON object) is cut: probes.jsonl holds one per poll."""

Value = str | int | float | bool | None


@dataclass(frozen=True)
class Reading:
    value: Value = None
    error: str | None = None
    exit_code: int | None = None
    """A command probe's exit code (also when it failed)."""

    def record(self) -> dict[str, Any]:
        """The reading's fields in probes.jsonl."""
        fields: dict[str, Any] = {"value": self.value, "error": self.error}
        if self.exit_code is not None:
            fields["exit"] = self.exit_code
        return fields


@dataclass(frozen=True)
class ResolvedProbe:
    """A probe with the run's variables in place, ready to be read."""

    spec: ProbeSpec
    http: HttpCall | None
    """The HTTP request of an http or prometheus probe."""
    argv: list[str] | None
    env: dict[str, str]

    def read(self, client: httpx.Client, cancel: threading.Event | None = None) -> Reading:
        try:
            if self.argv is not None:
                return self._command(cancel)
            assert self.http is not None
            answer = self.http.send(client, self.spec.timeout)
        except httpx.HTTPError as exc:
            return Reading(error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        except OSError as exc:
            return Reading(error=f"cannot run: {exc}")
        if self.spec.prometheus is not None:
            return _prometheus_sample(answer, self.spec)
        return _http_value(answer, self.spec)

    def _command(self, cancel: threading.Event | None) -> Reading:
        assert self.argv is not None
        result = run_command(self.argv, self.env, self.spec.timeout, cancel)
        value = _cut(result.stdout.strip())
        return Reading(value, result.failure(self.spec.timeout), result.exit_code)


def resolve_probe(spec: ProbeSpec, variables: Mapping[str, str], where: str) -> ResolvedProbe:
    """ValueError naming the field (`probes[0].http.url: ${X} is not set ...`) for an unknown variable."""
    names = call_environment(variables)
    if spec.command is not None:
        return ResolvedProbe(spec, None, resolve_command(spec.command, names, f"{where}.command"), names)
    if spec.prometheus is not None:
        call = HttpCall(url=spec.prometheus.url).resolved(names, f"{where}.prometheus")
        return ResolvedProbe(spec, call, None, names)
    assert spec.http is not None
    return ResolvedProbe(spec, spec.http.resolved(names, f"{where}.http"), None, names)


def _http_value(answer: httpx.Response, spec: ProbeSpec) -> Reading:
    """The status code; with a JSON path, what it finds in a successful answer's JSON body."""
    assert spec.http is not None
    path = spec.http.json_path
    if path is None:
        return Reading(answer.status_code)
    if answer.status_code >= 400:
        return Reading(error=f"HTTP {answer.status_code}")
    try:
        found = jmespath.search(path, answer.json())
    except ValueError:
        return Reading(error=f"HTTP {answer.status_code}: the answer is not JSON")
    if found is None:
        return Reading(error=f"{path} matches nothing in the answer")
    if isinstance(found, list | dict):
        return Reading(_cut(json.dumps(found, separators=(",", ":"))))
    return Reading(_cut(found) if isinstance(found, str) else found)


def _prometheus_sample(answer: httpx.Response, spec: ProbeSpec) -> Reading:
    """The value of the one sample named `metric` whose labels include the probe's."""
    probe = spec.prometheus
    assert probe is not None
    if answer.status_code >= 400:
        return Reading(error=f"HTTP {answer.status_code}")
    try:
        samples = [
            sample
            for family in text_string_to_metric_families(answer.text)
            for sample in family.samples
            if sample.name == probe.metric and probe.labels.items() <= sample.labels.items()
        ]
    except (ValueError, TypeError, IndexError) as exc:  # what the parser raises on text it cannot read
        return Reading(error=f"not Prometheus text format: {exc}")
    if len(samples) != 1:
        which = ", ".join(_labels(s.labels) for s in samples[:3]) + (", ..." if len(samples) > 3 else "")
        why = f"{len(samples)} samples match ({which}): add labels to pick one" if samples else "no sample"
        return Reading(error=f"{probe.describe()}: {why}")
    return Reading(samples[0].value)


def _labels(labels: Mapping[str, str]) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def _cut(text: str) -> str:
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"
