"""A canary rollback seen in the answers alone: after it, no answer comes from the canary's model version.

For a stack whose canary state nobody exposes, the model version each answer names (`load.observe.version`)
is the evidence: the rollback happened after the canary's last answer. Its absence afterwards is evidence
only with enough answers: with the canary answering a share `p` of requests, `n` answers in a row without
it happen by chance with probability (1 - p)^n, so a rollback is taken as seen only once that chance is
below MISS_CHANCE. Only answers sent between the deploy and the end of its window count: after that, the
harness's own undo could be why the canary stopped answering.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

MISS_CHANCE = 0.001
"""How unlikely the canary's silence must be if it were still deployed, for a rollback to count as seen."""


def answers_needed(share: float) -> int:
    """Answers in a row without the canary that make its silence evidence, at the canary's `share`."""
    if share >= 1:
        return 1
    return math.ceil(math.log(MISS_CHANCE) / math.log(1 - share))


@dataclass(frozen=True)
class CanaryAnswers:
    """What the answers between the deploy and the end of its window say about the canary."""

    served: pd.DataFrame
    """The answers from the canary's version."""
    last_t: float
    """When the last of them was sent (epoch seconds)."""
    share: float
    """The canary's share of the answers naming a version, up to its last answer."""
    after: int
    """Answers naming a version sent after the canary's last one."""

    @property
    def needed(self) -> int:
        return answers_needed(self.share)

    @property
    def silent(self) -> bool:
        """Whether the answers after its last one are enough to say it no longer answers."""
        return self.after >= self.needed


def sent_between(samples: pd.DataFrame, since: float, until: float) -> pd.DataFrame:
    """The answers to the requests sent in [since, until)."""
    return samples[(samples["t_start"] >= since) & (samples["t_start"] < until)]


def canary_answers(samples: pd.DataFrame, version: str, since: float, until: float) -> CanaryAnswers | str:
    """The canary's answers sent in [since, until), or why there is no evidence in them."""
    sent = sent_between(samples, since, until)
    versioned = sent[sent["version"] != ""]
    if versioned.empty:
        return f"none of the {len(sent):,} answers sent after the deploy named a model version"
    served = versioned[versioned["version"] == version]
    if served.empty:
        return (
            f"none of the {len(versioned):,} answers sent after the deploy came from {version}: it was never "
            "seen answering"
        )
    last_t = float(served["t_start"].max())
    until_last = int((versioned["t_start"] <= last_t).sum())
    after = int((versioned["t_start"] > last_t).sum())
    return CanaryAnswers(served, last_t, len(served) / until_last, after)
