"""Every threshold metric, aggregation and scope on a run whose figures are worked out by hand.

The run (10 requests/s for 20 s, faults `kill` 5-10 s and `slow` 8-12 s, SLO windows of 2 s):

| segment | time    | requests | answer                        | latency | replica | attempts | other    |
| A       | 0-5 s   | 50       | 200                           | 10 ms   | gpu-0   | 1        |          |
| B       | 5-8 s   | 30       | 503 (kill only)               | 100 ms  | (none)  | 3        | late     |
| C       | 8-10 s  | 20       | 400 (kill and slow)           | 300 ms  | gpu-1   | 2        |          |
| D       | 10-12 s | 20       | 200, fallback (slow only)     | 200 ms  | cpu-0   | 1        | degraded |
| E       | 12-20 s | 80       | 200                           | 20 ms   | gpu-0   | 1        |          |

Sorted latencies: 10 x50, 20 x80, 100 x30, 200 x20, 300 x20 (mean 75.5). SLO windows (p(99) < 150ms,
availability 75%): 0-2, 2-4 good; 4-6 (half failed), 6-8, 8-10, 10-12 (degraded) bad; 12-20 good.

Quality: every request's two rows have the truth [0.8, 0.2]. A predicts [0.9, 0.1] (both right, |error|
0.2 per request), D (version `lite`, the fallback) [0.3, 0.3] (one right, 0.6), E [0.9, 0.6] (one right,
0.5); B and C answered no prediction. Scored: 300 rows of 150 answers, 200 right, |error| 62.
"""

import pytest

from harness.thresholds import METRICS, parse_metric_key, parse_threshold
from harness.verify.verifier import verify

from .verdict_data import FAILED, NO_HEADERS, REJECTED, T0, record, requests, result, run, scenario

TRUTH = "[0.8,0.2]"


def the_run():
    return run(
        requests(0, 5, prediction="[0.9,0.1]", truth=TRUTH),
        requests(5, 8, latency_ms=100.0, attempts=3, late=1, truth=TRUTH, **FAILED),
        requests(8, 10, latency_ms=300.0, replica="gpu-1", attempts=2, truth=TRUTH, **REJECTED),
        requests(
            10,
            12,
            latency_ms=200.0,
            replica="cpu-0",
            degraded=1,
            version="lite",
            prediction="[0.3,0.3]",
            truth=TRUTH,
        ),
        requests(12, 20, latency_ms=20.0, prediction="[0.9,0.6]", truth=TRUTH),
    )


def the_records():
    return [record("kill", 5.0, 10.0), record("slow", 8.0, 12.0, kind="latency", targets=["gpu-1"])]


def evaluate_one(key, text, samples=None, records=None, not_sent=10, **scenario_args):
    verification = verify(
        scenario({key: [text]}, **scenario_args),
        the_run() if samples is None else samples,
        T0,
        the_records() if records is None else records,
        not_sent,
    )
    [only] = verification.expectations
    return only


MET, NOT_MET = "met", "NOT met"
MAE = (50 * (0.1 + 0.1) + 20 * (0.5 + 0.1) + 80 * (0.1 + 0.4)) / 300
MAE_SLOW = 20 * (0.5 + 0.1) / 40

# fmt: off
THRESHOLDS = [
    # key, threshold, observed, unit, status, what it was measured over
    ("errors", "rate < 30%", 25.0, "%", "pass", "errors rate was 25.000% over 200 requests"),
    ("errors", "rate <= 25%", 25.0, "%", "pass", "errors rate was 25.000% over 200 requests"),
    ("errors", "rate < 25%", 25.0, "%", "fail", "errors rate was 25.000% over 200 requests"),
    ("errors", "count == 50", 50.0, "", "pass", "errors count was 50 over 200 requests"),
    ("errors", "count < 50", 50.0, "", "fail", "errors count was 50 over 200 requests"),
    ("errors{steady}", "count == 0", 0.0, "", "pass",
     "errors count was 0 over 130 requests outside fault windows"),
    ("errors{fault:kill}", "rate < 100%", 100.0, "%", "fail",
     "errors rate was 100.000% over 50 requests during fault kill"),
    ("errors{fault:slow}", "rate <= 50%", 50.0, "%", "pass",
     "errors rate was 50.000% over 40 requests during fault slow"),
    ("client_errors", "rate < 10%", 10.0, "%", "fail", "client_errors rate was 10.000% over 200 requests"),
    ("client_errors", "rate <= 0.1", 10.0, "%", "pass", "client_errors rate was 10.000% over 200 requests"),
    ("client_errors{fault:kill}", "count >= 20", 20.0, "", "pass",
     "client_errors count was 20 over 50 requests during fault kill"),
    ("client_errors{steady}", "rate == 0%", 0.0, "%", "pass",
     "client_errors rate was 0.000% over 130 requests outside fault windows"),
    ("client_errors{fault:kill}", "count > 20", 20.0, "", "fail",
     "client_errors count was 20 over 50 requests during fault kill"),
    ("server_errors", "rate > 14%", 15.0, "%", "pass", "server_errors rate was 15.000% over 200 requests"),
    ("server_errors", "rate != 15%", 15.0, "%", "fail", "server_errors rate was 15.000% over 200 requests"),
    ("server_errors{steady}", "count > 0", 0.0, "", "fail",
     "server_errors count was 0 over 130 requests outside fault windows"),
    ("server_errors{fault:slow}", "count == 0", 0.0, "", "pass",
     "server_errors count was 0 over 40 requests during fault slow"),
    ("server_errors{fault:kill}", "count >= 31", 30.0, "", "fail",
     "server_errors count was 30 over 50 requests during fault kill"),
    ("degraded", "rate < 10%", 10.0, "%", "fail",
     "degraded rate was 10.000% over 200 responses with header X-Degraded"),
    ("degraded", "count == 20", 20.0, "", "pass",
     "degraded count was 20 over 200 responses with header X-Degraded"),
    ("degraded{fault:slow}", "rate >= 50%", 50.0, "%", "pass",
     "degraded rate was 50.000% over 40 responses with header X-Degraded during fault slow"),
    ("degraded{steady}", "count == 0", 0.0, "", "pass",
     "degraded count was 0 over 130 responses with header X-Degraded outside fault windows"),
    ("attempts", "mean <= 1.4", 1.4, "", "pass",
     "attempts mean was 1.4 over 200 responses with header X-Attempts"),
    ("attempts", "mean < 1.4", 1.4, "", "fail",
     "attempts mean was 1.4 over 200 responses with header X-Attempts"),
    ("attempts", "max < 3", 3.0, "", "fail",
     "attempts max was 3 over 200 responses with header X-Attempts"),
    ("attempts", "p(90) < 3", 3.0, "", "fail",
     "attempts p(90) was 3 over 200 responses with header X-Attempts"),
    ("attempts", "p(80) <= 2", 2.0, "", "pass",
     "attempts p(80) was 2 over 200 responses with header X-Attempts"),
    ("attempts{fault:kill}", "mean > 2.5", 2.6, "", "pass",
     "attempts mean was 2.6 over 50 responses with header X-Attempts during fault kill"),
    ("attempts{steady}", "max == 1", 1.0, "", "pass",
     "attempts max was 1 over 130 responses with header X-Attempts outside fault windows"),
    ("latency", "avg < 75.5ms", 75.5, "ms", "fail", "latency avg was 75.5ms over 200 requests"),
    ("latency", "avg <= 75.5ms", 75.5, "ms", "pass", "latency avg was 75.5ms over 200 requests"),
    ("latency", "med <= 20ms", 20.0, "ms", "pass", "latency med was 20.0ms over 200 requests"),
    ("latency", "min >= 10ms", 10.0, "ms", "pass", "latency min was 10.0ms over 200 requests"),
    ("latency", "min > 10ms", 10.0, "ms", "fail", "latency min was 10.0ms over 200 requests"),
    ("latency", "max < 0.3s", 300.0, "ms", "fail", "latency max was 300.0ms over 200 requests"),
    ("latency", "max <= 300000us", 300.0, "ms", "pass", "latency max was 300.0ms over 200 requests"),
    ("latency", "p(90) <= 210ms", 210.0, "ms", "pass", "latency p(90) was 210.0ms over 200 requests"),
    ("latency", "p(75) < 100ms", 100.0, "ms", "fail", "latency p(75) was 100.0ms over 200 requests"),
    ("latency", "p(99) < 300ms", 300.0, "ms", "fail", "latency p(99) was 300.0ms over 200 requests"),
    ("latency", "p(50) == 20", 20.0, "ms", "pass", "latency p(50) was 20.0ms over 200 requests"),
    ("latency{steady}", "max <= 20ms", 20.0, "ms", "pass",
     "latency max was 20.0ms over 130 requests outside fault windows"),
    ("latency{fault:slow}", "avg == 250ms", 250.0, "ms", "pass",
     "latency avg was 250.0ms over 40 requests during fault slow"),
    ("latency{fault:kill}", "med < 100ms", 100.0, "ms", "fail",
     "latency med was 100.0ms over 50 requests during fault kill"),
    ("late", "rate < 20%", 4000 / 210, "%", "pass",
     "late rate was 19.048% (10 never sent) over 210 scheduled requests"),
    ("late", "count <= 39", 40.0, "", "fail",
     "late count was 40 (10 never sent) over 210 scheduled requests"),
    ("error_budget", "burn <= 100%", 100.0, "%", "pass",
     "error_budget burn was 100.000% (50 failed of 50.0 allowed by 75.000%)"),
    ("error_budget", "burn < 100%", 100.0, "%", "fail",
     "error_budget burn was 100.000% (50 failed of 50.0 allowed by 75.000%)"),
    ("slo", "steady >= 100%", 100.0, "%", "pass",
     "slo steady was 100.000% (6 of 6 steady windows met the SLO)"),
    ("slo", "faulted > 0%", 0.0, "%", "fail", "slo faulted was 0.000% (0 of 4 faulted windows met the SLO)"),
    ("slo", "overall >= 60%", 60.0, "%", "pass",
     "slo overall was 60.000% (6 of 10 overall windows met the SLO)"),
    ("quality", "accuracy > 66%", 200 / 300 * 100, "%", "pass",
     "quality accuracy was 66.667% over 300 rows of 150 answers"),
    ("quality", "error_rate < 33%", (1 - 200 / 300) * 100, "%", "fail",
     "quality error_rate was 33.333% over 300 rows of 150 answers"),
    ("quality", "mae <= 0.21", MAE, "", "pass", "quality mae was 0.206667 over 300 rows of 150 answers"),
    ("quality{steady}", "accuracy >= 70%", 180 / 260 * 100, "%", "fail",
     "quality accuracy was 69.231% over 260 rows of 130 answers outside fault windows"),
    ("quality{fault:slow}", "mae < 0.31", MAE_SLOW, "", "pass",
     "quality mae was 0.3 over 40 rows of 20 answers during fault slow"),
    ("quality{version:lite}", "accuracy == 50%", 50.0, "%", "pass",
     "quality accuracy was 50.000% over 40 rows of 20 answers answered by version lite"),
    ("quality{replica:gpu-0}", "error_rate > 30%", (1 - 180 / 260) * 100, "%", "pass",
     "quality error_rate was 30.769% over 260 rows of 130 answers answered by replica gpu-0"),
    ("latency{version:lite}", "avg == 200ms", 200.0, "ms", "pass",
     "latency avg was 200.0ms over 20 requests answered by version lite"),
    ("errors{replica:gpu-1}", "count == 20", 20.0, "", "pass",
     "errors count was 20 over 20 requests answered by replica gpu-1"),
    ("slo", "overall > 0.6", 60.0, "%", "fail",
     "slo overall was 60.000% (6 of 10 overall windows met the SLO)"),
    ("shed", "rate == 15%", 15.0, "%", "pass", "shed rate was 15.000% over 200 requests"),
    ("shed", "count > 30", 30.0, "", "fail", "shed count was 30 over 200 requests"),
    ("shed{steady}", "count == 0", 0.0, "", "pass",
     "shed count was 0 over 130 requests outside fault windows"),
    ("shed{fault:kill}", "rate >= 60%", 60.0, "%", "pass",
     "shed rate was 60.000% over 50 requests during fault kill"),
    ("goodput", "rps >= 6.5", 6.5, "", "pass", "goodput rps was 6.5 (130 good answers of 200 in 20.0s)"),
    ("goodput", "rps > 6.5", 6.5, "", "fail", "goodput rps was 6.5 (130 good answers of 200 in 20.0s)"),
    ("goodput{fault:slow}", "rps > 0", 0.0, "", "fail",
     "goodput rps was 0 (0 good answers of 40 in 4.0s) during fault slow"),
]
# fmt: on


def test_every_threshold_on_the_known_run():
    """One scenario holding the whole table, evaluated once; results grouped by metric key, in table order.

    (One test rather than one per row: mutmut runs only the tests that call the mutated code, and a
    shared fixture would be charged to the first row only.)"""
    expectations = {}
    for key, text, *_ in THRESHOLDS:
        expectations.setdefault(key, []).append(text)
    verification = verify(scenario(expectations), the_run(), T0, the_records(), not_sent=10)
    in_scenario_order = sorted(THRESHOLDS, key=lambda row: list(expectations).index(row[0]))
    expected = [
        result(
            f"{key}: {text}",
            observed,
            text,
            unit,
            status,
            f"{over}; {MET if status == 'pass' else NOT_MET} ({text})",
        )
        for key, text, observed, unit, status, over in in_scenario_order
    ]
    assert verification.expectations == expected


def test_every_metric_aggregation_and_scope_is_covered():
    """The bar for new metrics: the table above must hold a case for each aggregation and scope."""
    covered = set()
    for key, text, *_ in THRESHOLDS:
        metric, scope = parse_metric_key(key)
        threshold = parse_threshold(metric, scope, text)
        covered.add((metric, threshold.aggregation, scope.kind))
    for metric, spec in METRICS.items():
        aggregations = spec.aggregations | ({"p"} if spec.percentiles else set())
        assert {(metric, a) for a in aggregations} <= {(m, a) for m, a, _ in covered}, metric
        if spec.scoped:  # a per-second metric has no {steady}: outside faults is no stretch of time
            needed = {"all", "fault"} | (set() if spec.spans else {"steady"})
            assert needed <= {s for m, _, s in covered if m == metric}, metric
    assert {"version", "replica"} <= {s for _, _, s in covered}


STAGES = [{"duration": "5s", "users": 1}, {"duration": "7s", "users": 3}, {"duration": "8s", "users": 1}]
"""Stage 1 is segment A (0-5 s), stage 2 segments B, C and D (5-12 s), stage 3 segment E (12-20 s)."""

# fmt: off
STAGE_THRESHOLDS = [
    ("latency{stage:1}", "max == 10ms", 10.0, "ms", "pass",
     "latency max was 10.0ms over 50 requests in load stage 1"),
    ("errors{stage:2}", "count < 50", 50.0, "", "fail",
     "errors count was 50 over 70 requests in load stage 2"),
    ("shed{stage:2}", "rate > 40%", 30 / 70 * 100, "%", "pass",
     "shed rate was 42.857% over 70 requests in load stage 2"),
    ("goodput{stage:2}", "rps >= 0.1", 0.0, "", "fail",
     "goodput rps was 0 (0 good answers of 70 in 7.0s) in load stage 2"),
    ("goodput{stage:3}", "rps >= 10", 10.0, "", "pass",
     "goodput rps was 10 (80 good answers of 80 in 8.0s) in load stage 3"),
]
# fmt: on


def test_stage_scopes_look_at_each_stage_of_a_load_shape():
    """The same run driven in three stages; their windows come from the stages' durations."""
    expectations = {key: [text] for key, text, *_ in STAGE_THRESHOLDS}
    load = {"users": None, "duration": None, "stages": STAGES}
    verification = verify(scenario(expectations, load=load), the_run(), T0, the_records(), not_sent=10)
    assert verification.expectations == [
        result(f"{key}: {text}", observed, text, unit, status,
               f"{over}; {MET if status == 'pass' else NOT_MET} ({text})")
        for key, text, observed, unit, status, over in STAGE_THRESHOLDS
    ]  # fmt: skip


def test_a_stage_with_no_requests_is_not_measured():
    load = {"users": None, "duration": None, "stages": [*STAGES, {"duration": "5s", "users": 1}]}
    assert evaluate_one("goodput{stage:4}", "rps >= 1", load=load) == result(
        "goodput{stage:4}: rps >= 1",
        None,
        "rps >= 1",
        "",
        "not measured",
        "not measured: no requests in load stage 4",
    )


def test_an_open_ended_fault_lasts_to_the_end_of_the_run():
    """`kill` never cleared: its window runs to the end (5-20 s: 150 requests), and {steady} is 0-5 s."""
    records = [record("kill", 5.0, None), record("slow", 8.0, 12.0)]
    assert evaluate_one("latency{fault:kill}", "min >= 20ms", records=records) == result(
        "latency{fault:kill}: min >= 20ms",
        20.0,
        "min >= 20ms",
        "ms",
        "pass",
        "latency min was 20.0ms over 150 requests during fault kill; met (min >= 20ms)",
    )
    assert evaluate_one("latency{steady}", "max < 10ms", records=records) == result(
        "latency{steady}: max < 10ms",
        10.0,
        "max < 10ms",
        "ms",
        "fail",
        "latency max was 10.0ms over 50 requests outside fault windows; NOT met (max < 10ms)",
    )


def test_faults_at_the_edges_of_the_run():
    """A fault from before the load started to 2 s, and one from 18 s to after its end."""
    records = [record("kill", -1.0, 2.0), record("slow", 18.0, 25.0)]
    assert evaluate_one("errors{steady}", "count == 0", records=records) == result(
        "errors{steady}: count == 0",
        50.0,
        "count == 0",
        "",
        "fail",
        "errors count was 50 over 160 requests outside fault windows; NOT met (count == 0)",
    )
    assert evaluate_one("latency{fault:kill}", "max <= 10ms", records=records) == result(
        "latency{fault:kill}: max <= 10ms",
        10.0,
        "max <= 10ms",
        "ms",
        "pass",
        "latency max was 10.0ms over 20 requests during fault kill; met (max <= 10ms)",
    )
    assert evaluate_one("latency{fault:slow}", "avg == 20ms", records=records) == result(
        "latency{fault:slow}: avg == 20ms",
        20.0,
        "avg == 20ms",
        "ms",
        "pass",
        "latency avg was 20.0ms over 20 requests during fault slow; met (avg == 20ms)",
    )


def test_slo_percentile_decides_the_windows():
    """Latencies 1..100 ms in every 2 s window: p(99) is 99.01 ms, p(99.9) 99.901 ms, p(50) 50.5 ms."""
    samples = run(
        *(
            requests(t, t + 2, rate=50, latency_ms=[float(i % 100 + 1) for i in range(100)])
            for t in range(0, 20, 2)
        )
    )
    for slo_latency, met in [
        ("p(99) < 99.5ms", 10),
        ("p(99.9) < 99.5ms", 0),
        ("p(99.9) < 99.95ms", 10),
        ("p(50) <= 50.5ms", 10),
        ("p(50) < 50.5ms", 0),
        ("p(51) < 51ms", 0),
    ]:
        got = evaluate_one("slo", "overall >= 100%", samples=samples, slo={"latency": slo_latency})
        assert got.observed == pytest.approx(met * 10.0), slo_latency


# --- evidence missing: not measured, failed, and saying what was missing -------------------------------


def not_measured(key, text, unit, missing):
    return result(f"{key}: {text}", None, text, unit, "not measured", f"not measured: {missing}")


def bare_run():
    """A stack that sends no X-Served-By, X-Model-Version, X-Attempts or X-Degraded header."""
    return requests(0, 20, **NO_HEADERS)


# fmt: off
NOT_MEASURED = [
    # key, threshold, unit, samples, records, what was missing
    ("degraded", "rate < 1%", "%", bare_run, the_records, "no header X-Degraded on any of 200 responses"),
    ("degraded", "count == 0", "", bare_run, the_records, "no header X-Degraded on any of 200 responses"),
    ("degraded{fault:kill}", "rate < 1%", "%", bare_run, the_records,
     "no header X-Degraded on any of 50 responses during fault kill"),
    ("attempts", "max <= 3", "", bare_run, the_records, "no header X-Attempts on any of 200 responses"),
    ("attempts{steady}", "mean < 2", "", bare_run, the_records,
     "no header X-Attempts on any of 130 responses outside fault windows"),
    ("errors{fault:kill}", "rate < 1%", "%", the_run, lambda: [record("kill", None, None)],
     "fault kill was never applied, so no request fell in its window"),
    ("latency{fault:slow}", "p(99) < 1s", "ms", the_run,
     lambda: [record("slow", None, None, error="refused")],
     "fault slow was never applied, so no request fell in its window"),
    ("errors{steady}", "rate < 1%", "%", the_run, lambda: [record("kill", 0.0, 20.0)],
     "no requests outside fault windows"),
    ("errors{fault:kill}", "count == 0", "", lambda: requests(0, 5), the_records,
     "no requests during fault kill"),
    ("latency", "max < 1s", "ms", lambda: requests(0, 0), the_records, "no requests"),
    ("error_budget", "burn < 100%", "%", lambda: requests(0, 0), the_records, "no requests"),
    ("slo", "faulted >= 50%", "%", the_run, list, "no faulted SLO windows"),
]
# fmt: on


@pytest.mark.parametrize(("key", "text", "unit", "samples", "records", "missing"), NOT_MEASURED)
def test_without_evidence_an_expectation_is_not_measured(key, text, unit, samples, records, missing):
    got = evaluate_one(key, text, samples=samples(), records=records())
    assert got == not_measured(key, text, unit, missing)
    assert got.passed is False and got.status == "not measured"


@pytest.mark.parametrize(
    ("load", "missing"),
    [
        ({"observe": {"attempts": {"json": "meta.n"}}}, "no body meta.n on any of 200 responses"),
        ({"request": {"protocol": "mlflow"}}, "attempts is not observed (load.observe.attempts is not set)"),
    ],
)
def test_missing_evidence_is_named_as_the_scenario_maps_it(load, missing):
    """A stack that is not the reference one is never told of headers it was not asked to send."""
    got = evaluate_one("attempts", "max <= 3", samples=bare_run(), records=the_records(), load=load)
    assert got == not_measured("attempts", "max <= 3", "", missing)


def test_late_without_any_scheduled_request_is_not_measured():
    got = evaluate_one("late", "count == 0", samples=requests(0, 0), not_sent=0)
    assert got == not_measured("late", "count == 0", "", "no requests were scheduled")


def test_late_counts_slots_never_sent_even_without_samples():
    got = evaluate_one("late", "count == 0", samples=requests(0, 0), not_sent=3)
    assert got == result(
        "late: count == 0",
        3.0,
        "count == 0",
        "",
        "fail",
        "late count was 3 (3 never sent) over 3 scheduled requests; NOT met (count == 0)",
    )


def test_headers_on_some_responses_only_are_evidence_from_those():
    """Half the responses carry X-Degraded / X-Attempts: the figures are over that half."""
    samples = run(requests(0, 10, degraded=1, attempts=2), requests(10, 20, **NO_HEADERS))
    assert evaluate_one("degraded", "rate == 100%", samples=samples, records=[]) == result(
        "degraded: rate == 100%",
        100.0,
        "rate == 100%",
        "%",
        "pass",
        "degraded rate was 100.000% over 100 responses with header X-Degraded; met (rate == 100%)",
    )
    assert evaluate_one("attempts", "mean == 2", samples=samples, records=[]) == result(
        "attempts: mean == 2",
        2.0,
        "mean == 2",
        "",
        "pass",
        "attempts mean was 2 over 100 responses with header X-Attempts; met (mean == 2)",
    )


def test_error_budget_of_a_perfect_availability_target():
    """availability 100% allows no failure: none is a burn of 0, any is infinite."""
    clean = evaluate_one("error_budget", "burn <= 0%", samples=requests(0, 20), slo={"availability": "100%"})
    assert clean == result(
        "error_budget: burn <= 0%",
        0.0,
        "burn <= 0%",
        "%",
        "pass",
        "error_budget burn was 0.000% (0 failed of 0.0 allowed by 100.000%); met (burn <= 0%)",
    )
    burnt = evaluate_one("error_budget", "burn < 100%", slo={"availability": "100%"})
    assert burnt.observed == float("inf") and burnt.status == "fail"


# --- recovery_time -----------------------------------------------------------------------------------------


def outage_until(end_s):
    """200 requests over 20 s, all failing from 5 s (when `kill` is injected) to `end_s`."""
    return run(requests(0, 5), requests(5, end_s, **FAILED), requests(end_s, 20))


def recovery(limit, samples=None, records=None, **slo):
    verification = verify(
        scenario({"recovery_time": [{"fault": "kill", "max": limit}]}, slo=slo),
        the_run() if samples is None else samples,
        T0,
        the_records() if records is None else records,
    )
    [only] = verification.expectations
    return only


def recovered(limit, seconds, status, windows=3):
    verdict = "within" if status == "pass" else "over"
    return result(
        f"recovery_time: kill <= {limit}",
        seconds,
        f"<= {limit}",
        "s",
        status,
        f"SLO back {seconds:.2f}s after kill was injected (held for {windows} windows); "
        f"{verdict} the {limit} limit",
    )


@pytest.mark.parametrize(
    ("limit", "slo", "outage_end", "seconds", "status"),
    [
        ("7s", {}, None, 7.0, "pass"),  # the known run: bad 4-12 s, good from 12 s
        ("6s", {}, None, 7.0, "fail"),
        ("9s", {}, 13, 9.0, "pass"),  # window 12-14 s still holds a failure
        ("8.5s", {}, 13, 9.0, "fail"),
        ("8s", {"window": "500ms"}, 13, 8.0, "pass"),
        ("7.5s", {"window": "2.5s", "recovery_windows": 2}, 13, 7.5, "pass"),  # 12.5-15 s: 20 of 25 ok
        ("10s", {"window": "3s", "recovery_windows": 2}, 13, 10.0, "pass"),  # 12-15 s: 20 of 30 ok
        ("10s", {"window": "1s", "recovery_windows": 1}, 15, 10.0, "pass"),
        ("10s", {"window": "4s", "recovery_windows": 1}, 15, 11.0, "fail"),  # 12-16 s: 10 of 40 ok
    ],
)
def test_recovery_time_per_window_size(limit, slo, outage_end, seconds, status):
    samples = None if outage_end is None else outage_until(outage_end)
    windows = slo.get("recovery_windows", 3)
    assert recovery(limit, samples, **slo) == recovered(limit, seconds, status, windows)


def test_overlapping_faults_recover_each_from_its_own_injection():
    verification = verify(
        scenario({"recovery_time": [{"fault": "slow", "max": "4s"}, {"fault": "kill", "max": "7s"}]}),
        the_run(),
        T0,
        the_records(),
    )
    slow = result(
        "recovery_time: slow <= 4s",
        4.0,
        "<= 4s",
        "s",
        "pass",
        "SLO back 4.00s after slow was injected (held for 3 windows); within the 4s limit",
    )
    assert verification.expectations == [slow, recovered("7s", 7.0, "pass")]


# fmt: off
RECOVERY_EDGES = [
    # limit, slo, samples, records, status, explanation
    ("5s", {}, lambda: outage_until(20), the_records, "fail",
     "never recovered: the SLO was not met for 3 consecutive windows after kill was injected, until the "
     "end of the run"),
    ("12s", {"window": "3s"}, lambda: outage_until(13), the_records, "not measured",
     "not measured: the SLO was back 10.00s after kill was injected, but the run ended before 3 consecutive "
     "good windows could confirm it"),
    ("10s", {"window": "3s"}, lambda: outage_until(13), the_records, "not measured",
     "not measured: the SLO was back 10.00s after kill was injected, but the run ended before 3 consecutive "
     "good windows could confirm it"),
    ("9s", {"window": "3s"}, lambda: outage_until(13), the_records, "fail",
     "not recovered within the 9s limit: the SLO was back 10.00s after kill was injected, and the run ended"),
    ("14s", {}, lambda: outage_until(17), the_records, "not measured",
     "not measured: the SLO was back 13.00s after kill was injected, but the run ended before 3 consecutive "
     "good windows could confirm it"),
    ("5s", {}, the_run, lambda: [record("kill", 20.0, None)], "not measured",
     "not measured: kill was injected after the last SLO window"),
    ("5s", {}, the_run, lambda: [record("kill", 19.5, None)], "not measured",
     "not measured: the SLO was back 0.00s after kill was injected, but the run ended before 3 consecutive "
     "good windows could confirm it"),
    ("5s", {}, lambda: outage_until(20), lambda: [record("kill", 19.5, None)], "fail",
     "never recovered: the SLO was not met for 3 consecutive windows after kill was injected, until the "
     "end of the run"),
    ("5s", {}, the_run, lambda: [record("kill", None, None, error="node gpu-0 not found")], "not measured",
     "not measured: node gpu-0 not found"),
    ("5s", {}, the_run, lambda: [record("kill", None, None)], "not measured",
     "not measured: kill was never applied"),
]
# fmt: on


@pytest.mark.parametrize(("limit", "slo", "samples", "records", "status", "explanation"), RECOVERY_EDGES)
def test_recovery_near_the_end_of_the_run_and_without_injection(
    limit, slo, samples, records, status, explanation
):
    expected = result(f"recovery_time: kill <= {limit}", None, f"<= {limit}", "s", status, explanation)
    assert recovery(limit, samples(), records(), **slo) == expected
