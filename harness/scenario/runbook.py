"""`runbook:` on a fault: the on-call's runbook for it, and the signals that runbook expects to see.

The link is carried into the postmortem beside the fault; each signal is looked for while the fault lasts
(harness.verify.fault_response) and the report says which were seen, and when. A runbook that promises
signals the stack never gives is a finding of its own: the on-call would have waited for them.

A signal is one of SIGNALS (what the harness reads itself: the stack's polled state, the answers, the SLO
windows) or `probe NAME OP VALUE`, a scenario probe turning to a condition, for a stack whose own
mechanisms only a probe shows (an HAProxy server going DOWN, a controller's rollout state).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, field_validator

from harness.comparisons import Comparison, parse_comparison
from harness.scenario.strict import Strict

SIGNALS: dict[str, str] = {
    "breaker_open": "a circuit breaker opened",
    "ejected": "a replica was ejected as an outlier",
    "unhealthy": "health checks marked a replica down",
    "drift_alert": "the drift monitor alerted",
    "rollback": "the stack rolled the canary back",
    "degraded": "answers came from the fallback model",
    "errors": "requests failed",
    "slo_breach": "an SLO window missed the SLO",
}
"""The built-in signals, with what each means. The stack-state ones need a stack that offers
`/admin/state`; `degraded` needs answers that say so (`load.observe`)."""


@dataclass(frozen=True)
class ProbeSignal:
    """`probe NAME OP VALUE`: the probe's first reading satisfying the condition after one that did not."""

    probe: str
    condition: Comparison

    @property
    def text(self) -> str:
        return f"probe {self.probe} {self.condition.text}"


def parse_signal(text: str) -> str | ProbeSignal:
    """A built-in signal's name, or the probe signal; ValueError (fit for a scenario error) otherwise."""
    words = text.split(maxsplit=2)
    if len(words) == 3 and words[0] == "probe":
        return ProbeSignal(words[1], parse_comparison(words[2]))
    if text in SIGNALS:
        return text
    raise ValueError(
        f"unknown signal {text!r}: one of {', '.join(SIGNALS)}, or 'probe NAME OP VALUE' "
        "(e.g. 'probe haproxy-down >= 1')"
    )


def probe_signals(signals: list[str]) -> list[ProbeSignal]:
    """The `probe NAME OP VALUE` signals among `signals` (already validated)."""
    return [s for s in map(parse_signal, signals) if isinstance(s, ProbeSignal)]


class RunbookSpec(Strict):
    """`runbook: https://...` or `runbook: {url: ..., signals: [...]}`."""

    url: str = Field(min_length=1)
    signals: list[str] = Field(default_factory=list)

    @field_validator("signals")
    @classmethod
    def _known_signals(cls, signals: list[str]) -> list[str]:
        for signal in signals:
            parse_signal(signal)
        if len(set(signals)) != len(signals):
            raise ValueError("a signal is listed twice")
        return signals

    def probe_signals(self) -> list[ProbeSignal]:
        return probe_signals(self.signals)


def runbook_shorthand(value: object) -> object:
    """A bare string is the runbook's URL."""
    return {"url": value} if isinstance(value, str) else value
