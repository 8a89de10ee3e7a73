import pytest

from harness.durations import parse_duration
from harness.thresholds import Scope, parse_fraction, parse_metric_key, parse_threshold


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("500ms", 0.5), ("30s", 30.0), ("2m", 120.0), ("1.5s", 1.5), ("250us", 0.00025), ("1h", 3600.0)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["30", 30, "-1s", "1 minute", "", "5ss", True])
def test_bad_durations_are_rejected(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_latency_threshold_in_ms():
    t = parse_threshold("latency", Scope("all"), "p(99) < 250ms")
    assert (t.aggregation, t.percentile, t.op, t.value) == ("p", 99.0, "<", 250.0)
    assert t.holds(249.9) and not t.holds(250.0)
    assert parse_threshold("latency", Scope("all"), "avg<=1.5s").value == 1500.0
    assert (
        parse_threshold("latency", Scope("all"), "max < 200").value == 200.0
    )  # bare numbers are ms, as in k6


def test_rates_accept_percent_or_fraction():
    assert parse_threshold("errors", Scope("all"), "rate < 0.5%").value == pytest.approx(0.005)
    assert parse_threshold("errors", Scope("all"), "rate < 0.005").value == pytest.approx(0.005)
    assert parse_threshold("errors", Scope("all"), "count == 0").value == 0


@pytest.mark.parametrize(
    ("metric", "text", "reason"),
    [
        ("latency", "p99 < 250ms", "unknown aggregation"),
        ("latency", "p(99) < 250%", "is a time"),
        ("latency", "p(99) =< 250ms", "invalid threshold"),
        ("latency", "p(0) < 2ms", "percentile"),
        ("errors", "rat < 1%", "unknown aggregation"),
        ("errors", "rate < 150%", "between 0 and 1"),
        ("errors", "rate < 1ms", "drop the unit"),
        ("attempts", "mean < 10%", "not a percentage"),
        ("errors", "p(99) < 1", "no percentiles"),
    ],
)
def test_typos_are_errors_not_silent_passes(metric, text, reason):
    with pytest.raises(ValueError, match=reason):
        parse_threshold(metric, Scope("all"), text)


def test_metric_keys_and_scopes():
    assert parse_metric_key("latency") == ("latency", Scope("all"))
    assert parse_metric_key("errors{steady}") == ("errors", Scope("steady"))
    assert parse_metric_key("latency{fault:kill-gpu}") == ("latency", Scope("fault", "kill-gpu"))
    for bad, reason in [
        ("latncy", "unknown metric"),
        ("errors{during}", "invalid scope"),
        ("slo{steady}", "no scope"),
    ]:
        with pytest.raises(ValueError, match=reason):
            parse_metric_key(bad)


def test_fractions():
    assert parse_fraction("99.5%") == pytest.approx(0.995)
    assert parse_fraction(0.99) == 0.99
    for bad in ("99", "abc", 0, 1.5, True):
        with pytest.raises(ValueError):
            parse_fraction(bad)
