"""samples.csv `truth`: the load worker records, for every request it sends, the true function's answer
for each of its rows (what the answer's prediction is judged against), and only when asked."""

from __future__ import annotations

import time
from collections.abc import Callable

from harness.load.features_log import read_features
from harness.load.process import LoadProcess
from harness.load.samples import read_samples
from harness.load.truth import format_truth
from stack.model import FEATURE_SCHEMA, true_probability
from tests.load.load_helpers import ScriptedGateway, make_config

NAMES = [feature["name"] for feature in FEATURE_SCHEMA]


def run(gateway: ScriptedGateway, load_factory: Callable[..., LoadProcess], truth: bool) -> LoadProcess:
    config = make_config(
        gateway.url, mode="open", rate=100.0, max_users=10, duration_s=1.5, start_at=time.time() + 2.0,
        features=FEATURE_SCHEMA, rows_per_request=3, log_features=True, truth=truth,
    )  # fmt: skip
    process = load_factory(config)
    process.start()
    assert process.wait(timeout=20) == 0
    return process


def test_each_request_carries_the_truth_of_the_rows_it_sent(
    gateway: ScriptedGateway, load_factory: Callable[..., LoadProcess]
) -> None:
    process = run(gateway, load_factory, truth=True)
    samples = read_samples(process.samples_path)
    features = read_features(process.features_path)
    assert len(samples) > 100
    for t, sent in features.groupby("t_intended"):
        rows = [dict(zip(NAMES, row, strict=True)) for row in sent[NAMES].itertuples(index=False)]
        [recorded] = samples.loc[samples["t_intended"] == t, "truth"]
        assert recorded == format_truth(true_probability(rows))


def test_without_quality_nothing_is_computed(
    gateway: ScriptedGateway, load_factory: Callable[..., LoadProcess]
) -> None:
    samples = read_samples(run(gateway, load_factory, truth=False).samples_path)
    assert len(samples) > 100 and set(samples["truth"]) == {""}
