"""Threshold expressions, metric keys, fractions and durations: what each parses to, and each typo's error."""

import re

import pytest
from pydantic import TypeAdapter, ValidationError

from harness.durations import Duration, PositiveDuration, format_duration, parse_duration
from harness.thresholds import Scope, Threshold, parse_fraction, parse_metric_key, parse_threshold

ALL, STEADY = Scope("all"), Scope("steady")

PARSED = [
    # metric, scope, text, aggregation, percentile, op, value, unit, name
    ("latency", ALL, "p(99) < 250ms", "p", 99.0, "<", 250.0, "ms", "latency: p(99) < 250ms"),
    ("latency", ALL, "  p( 99.9 )<=1.5s ", "p", 99.9, "<=", 1500.0, "ms", "latency: p( 99.9 )<=1.5s"),
    ("latency", ALL, "p(100) > 0", "p", 100.0, ">", 0.0, "ms", "latency: p(100) > 0"),
    ("latency", ALL, "p(0.5) > 0", "p", 0.5, ">", 0.0, "ms", "latency: p(0.5) > 0"),
    ("latency", STEADY, "avg >= 250us", "avg", None, ">=", 0.25, "ms", "latency{steady}: avg >= 250us"),
    (
        "latency",
        Scope("fault", "kill"),
        "med == 2",
        "med",
        None,
        "==",
        2.0,
        "ms",
        "latency{fault:kill}: med == 2",
    ),
    ("latency", ALL, "min != 3s", "min", None, "!=", 3000.0, "ms", "latency: min != 3s"),
    ("latency", ALL, "max > -1ms", "max", None, ">", -1.0, "ms", "latency: max > -1ms"),
    ("errors", ALL, "rate < 0.5%", "rate", None, "<", 0.005, "ratio", "errors: rate < 0.5%"),
    ("errors", ALL, "rate <= 0.005", "rate", None, "<=", 0.005, "ratio", "errors: rate <= 0.005"),
    ("errors", ALL, "rate <= 100%", "rate", None, "<=", 1.0, "ratio", "errors: rate <= 100%"),
    ("errors", ALL, "rate >= 0", "rate", None, ">=", 0.0, "ratio", "errors: rate >= 0"),
    ("errors", STEADY, "count == 0", "count", None, "==", 0.0, "", "errors{steady}: count == 0"),
    ("client_errors", ALL, "count < 150", "count", None, "<", 150.0, "", "client_errors: count < 150"),
    ("server_errors", ALL, "rate < 1%", "rate", None, "<", 0.01, "ratio", "server_errors: rate < 1%"),
    ("degraded", ALL, "rate < 5%", "rate", None, "<", 0.05, "ratio", "degraded: rate < 5%"),
    ("attempts", ALL, "mean < 1.5", "mean", None, "<", 1.5, "", "attempts: mean < 1.5"),
    ("attempts", ALL, "p(95) <= 3", "p", 95.0, "<=", 3.0, "", "attempts: p(95) <= 3"),
    ("attempts", ALL, "max < 300", "max", None, "<", 300.0, "", "attempts: max < 300"),
    ("late", ALL, "count == 0", "count", None, "==", 0.0, "", "late: count == 0"),
    ("error_budget", ALL, "burn < 50%", "burn", None, "<", 0.5, "ratio", "error_budget: burn < 50%"),
    ("slo", ALL, "steady >= 99%", "steady", None, ">=", 0.99, "ratio", "slo: steady >= 99%"),
]


@pytest.mark.parametrize(
    ("metric", "scope", "text", "aggregation", "percentile", "op", "value", "unit", "name"), PARSED
)
def test_parsed_threshold(metric, scope, text, aggregation, percentile, op, value, unit, name):
    threshold = parse_threshold(metric, scope, text)
    assert threshold == Threshold(metric, scope, aggregation, percentile, op, pytest.approx(value), text)
    assert (threshold.unit, threshold.name) == (unit, name)


TYPOS = [
    (
        "latency",
        "p99 < 250ms",
        "unknown aggregation 'p99' for 'latency' (allowed: avg, max, med, min, p(N)); did you mean p(99)?",
    ),
    (
        "latency",
        "average < 250ms",
        "unknown aggregation 'average' for 'latency' (allowed: avg, max, med, min, p(N))",
    ),
    ("errors", "p99 < 1%", "unknown aggregation 'p99' for 'errors' (allowed: count, rate)"),
    ("errors", "rat < 1%", "unknown aggregation 'rat' for 'errors' (allowed: count, rate)"),
    ("errors", "p(99) < 1", "'errors' has no percentiles; use one of ['count', 'rate']"),
    ("latency", "p(99) < 250%", "'p(99) < 250%': latency is a time; use us, ms or s"),
    (
        "latency",
        "p(99) =< 250ms",
        "invalid threshold 'p(99) =< 250ms': expected e.g. 'p(99) < 250ms' or 'rate < 0.5%'",
    ),
    ("latency", "p(99) < 250 ms", None),  # a space before the unit is fine
    (
        "latency",
        "p(99) < 250mss",
        "invalid threshold 'p(99) < 250mss': expected e.g. 'p(99) < 250ms' or 'rate < 0.5%'",
    ),
    (
        "latency",
        "x p(99) < 250ms",
        "invalid threshold 'x p(99) < 250ms': expected e.g. 'p(99) < 250ms' or 'rate < 0.5%'",
    ),
    ("latency", "p(0) < 2ms", "percentile p(0) must be in (0, 100]"),
    ("latency", "p(100.5) < 2ms", "percentile p(100.5) must be in (0, 100]"),
    ("errors", "rate < 150%", "'rate < 150%': a rate must be between 0 and 1 (or 0% and 100%)"),
    ("errors", "rate < 1.5", "'rate < 1.5': a rate must be between 0 and 1 (or 0% and 100%)"),
    ("errors", "rate > -1%", "'rate > -1%': a rate must be between 0 and 1 (or 0% and 100%)"),
    ("errors", "rate < 1ms", "'rate < 1ms': errors rate is not a time, drop the unit 'ms'"),
    ("attempts", "mean < 2s", "'mean < 2s': attempts mean is not a time, drop the unit 's'"),
    ("attempts", "mean < 10%", "'mean < 10%': attempts mean is a number, not a percentage"),
    ("errors", "count < 5%", "'count < 5%': errors count is a number, not a percentage"),
    ("errors", 5, "invalid threshold 5: expected e.g. 'p(99) < 250ms' or 'rate < 0.5%'"),
]


@pytest.mark.parametrize(("metric", "text", "message"), TYPOS)
def test_typos_are_errors_naming_what_is_wrong(metric, text, message):
    if message is None:
        assert parse_threshold(metric, ALL, text).value == 250.0
        return
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_threshold(metric, ALL, text)


@pytest.mark.parametrize(
    ("key", "parsed"),
    [
        ("latency", ("latency", ALL)),
        (" errors ", ("errors", ALL)),
        ("errors{steady}", ("errors", STEADY)),
        ("errors{ steady }", ("errors", STEADY)),
        ("latency{fault:kill-gpu}", ("latency", Scope("fault", "kill-gpu"))),
        ("latency{fault: kill.gpu_1 }", ("latency", Scope("fault", "kill.gpu_1"))),
        ("latency{stage:2}", ("latency", Scope("stage", name="2"))),
        ("goodput{stage: 10 }", ("goodput", Scope("stage", name="10"))),
        ("goodput{fault:kill}", ("goodput", Scope("fault", "kill"))),
        ("goodput", ("goodput", ALL)),
        ("shed{version:v2}", ("shed", Scope("version", name="v2"))),
    ],
)
def test_metric_keys(key, parsed):
    assert parse_metric_key(key) == parsed


SCOPES = "{steady}, {fault:NAME}, {stage:N}, {version:V} or {replica:R}"
KNOWN = (
    "attempts, client_errors, degraded, error_budget, errors, goodput, late, latency, quality, "
    "recovery_time, server_errors, shed, slo"
)
SPAN = "goodput is per second of a stretch of time: the whole load, {stage:N} or {fault:NAME}, not"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("latncy", f"unknown metric 'latncy' (known: {KNOWN})"),
        ("Latency", f"unknown metric 'Latency' (known: {KNOWN})"),
        ("latency{steady", f"unknown metric 'latency{{steady' (known: {KNOWN})"),
        ("recovery_time", f"unknown metric 'recovery_time' (known: {KNOWN})"),
        ("slo{steady}", "metric 'slo' takes no scope, got {steady}"),
        ("late{fault:kill}", "metric 'late' takes no scope, got {fault:kill}"),
        ("error_budget{steady}", "metric 'error_budget' takes no scope, got {steady}"),
        ("errors{during}", f"invalid scope {{during}} on 'errors': use {SCOPES}"),
        ("errors{}", f"invalid scope {{}} on 'errors': use {SCOPES}"),
        ("errors{fault:}", f"invalid scope {{fault:}} on 'errors': use {SCOPES}"),
        ("errors{fault: }", f"invalid scope {{fault: }} on 'errors': use {SCOPES}"),
        ("errors{fault}", f"invalid scope {{fault}} on 'errors': use {SCOPES}"),
        ("errors{fault:a b}", f"invalid scope {{fault:a b}} on 'errors': use {SCOPES}"),
        (
            "errors{steady,fault:a}",
            f"invalid scope {{steady,fault:a}} on 'errors': use {SCOPES}",
        ),
        ("errors{steadyfault:a}", f"invalid scope {{steadyfault:a}} on 'errors': use {SCOPES}"),
        ("errors{stage:0}", "invalid scope {stage:0} on 'errors': stages are numbered from 1"),
        ("errors{stage:one}", "invalid scope {stage:one} on 'errors': stages are numbered from 1"),
        ("errors{stage:-1}", "invalid scope {stage:-1} on 'errors': stages are numbered from 1"),
        ("goodput{steady}", f"{SPAN} {{steady}}"),
        ("goodput{version:v1}", f"{SPAN} {{version:v1}}"),
        ("goodput{replica:gpu-0}", f"{SPAN} {{replica:gpu-0}}"),
    ],
)
def test_malformed_metric_keys_are_errors(key, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_metric_key(key)


def test_scope_labels():
    assert [Scope("all").label(), Scope("steady").label(), Scope("fault", "x").label()] == [
        "",
        "{steady}",
        "{fault:x}",
    ]
    assert [Scope("stage", name="3").label(), Scope("version", name="v2").label()] == [
        "{stage:3}",
        "{version:v2}",
    ]


@pytest.mark.parametrize(
    ("op", "holds_below", "holds_at", "holds_above"),
    [
        ("<", True, False, False),
        ("<=", True, True, False),
        (">", False, False, True),
        (">=", False, True, True),
        ("==", False, True, False),
        ("!=", True, False, True),
    ],
)
def test_each_operator_at_its_boundary(op, holds_below, holds_at, holds_above):
    threshold = parse_threshold("attempts", ALL, f"max {op} 2")
    assert [threshold.holds(1.999), threshold.holds(2.0), threshold.holds(2.001)] == [
        holds_below,
        holds_at,
        holds_above,
    ]


@pytest.mark.parametrize(
    ("value", "fraction"),
    [
        ("99.5%", 0.995),
        (" 50 % ", 0.5),
        ("100%", 1.0),
        ("0.01%", 0.0001),
        (0.99, 0.99),
        (1, 1.0),
        ("1", 1.0),
        ("0.5", 0.5),
    ],
)
def test_fractions(value, fraction):
    assert parse_fraction(value) == pytest.approx(fraction)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("99", "fraction must be in (0, 1], got '99'"),
        ("100.1%", "fraction must be in (0, 1], got '100.1%'"),
        (0, "fraction must be in (0, 1], got 0"),
        ("0%", "fraction must be in (0, 1], got '0%'"),
        (1.5, "fraction must be in (0, 1], got 1.5"),
        (-0.5, "fraction must be in (0, 1], got -0.5"),
        ("abc", "expected a fraction such as '99.5%' or 0.995, got 'abc'"),
        ("%", "expected a fraction such as '99.5%' or 0.995, got '%'"),
        (True, "expected a fraction such as '99.5%' or 0.995, got True"),
        (None, "expected a fraction such as '99.5%' or 0.995, got None"),
        ([0.5], "expected a fraction such as '99.5%' or 0.995, got [0.5]"),
    ],
)
def test_bad_fractions(value, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_fraction(value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("500ms", 0.5),
        ("30s", 30.0),
        ("2m", 120.0),
        ("1.5m", 90.0),
        ("1.5s", 1.5),
        ("250us", 0.00025),
        ("250µs", 0.00025),
        ("1h", 3600.0),
        (" 30 s ", 30.0),
        ("0s", 0.0),
    ],
)
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)
    assert TypeAdapter(Duration).validate_python(text) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["30", "-1s", "1 minute", "5ss", "x5s", "", "1.s", "2 d"])
def test_bad_durations(value):
    message = f"invalid duration {value!r}: use a number and a unit (us, ms, s, m, h), e.g. '30s'"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_duration(value)


@pytest.mark.parametrize("value", [30, True, 1.5, None])
def test_durations_are_strings_with_a_unit(value):
    message = f"expected a duration such as '500ms', '30s' or '2m', got {value!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_duration(value)


def test_positive_durations_refuse_zero():
    assert TypeAdapter(PositiveDuration).validate_python("1us") == pytest.approx(1e-6)
    with pytest.raises(ValidationError, match=re.escape("duration must be greater than zero, got '0ms'")):
        TypeAdapter(PositiveDuration).validate_python("0ms")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.25, "250ms"),
        (0.0005, "0.5ms"),
        (0.999, "999ms"),
        (1.0, "1s"),
        (1.5, "1.5s"),
        (90.0, "90s"),
        (119.5, "119.5s"),
        (120.0, "2m"),
        (150.0, "2.5m"),
        (3600.0, "60m"),
    ],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text
