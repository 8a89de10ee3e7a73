"""SLO windows and recovery on synthetic samples: window sizes, SLO percentiles, and every boundary."""

import numpy as np
import pandas as pd
import pytest

from harness.verify.recovery import Recovery, assess_recovery
from harness.verify.windows import WINDOW_COLUMNS, FaultWindow, window_slis, with_relative_time

from .verdict_data import FAILED, T0, requests, run, scenario


def slis(samples, duration_s=20.0, fault_windows=(), **slo):
    return window_slis(
        with_relative_time(samples, T0), duration_s, scenario(slo=slo).slo, list(fault_windows)
    )


def frame(rows):
    return pd.DataFrame(rows, columns=WINDOW_COLUMNS)


def test_windows_of_the_known_run():
    """The run of test_verdict_expectations: 2 s windows, p(99) < 150ms, availability 75%."""
    samples = run(
        requests(0, 5),
        requests(5, 8, latency_ms=100.0, **FAILED),
        requests(8, 10, latency_ms=300.0, status=400, ok=0, error="http_4xx"),
        requests(10, 12, latency_ms=200.0, degraded=1),
        requests(12, 20, latency_ms=20.0),
    )
    faults = [FaultWindow("kill", 5.0, 10.0), FaultWindow("slow", 8.0, 12.0)]
    expected = frame(
        [
            [0.0, 2.0, 20, 20, 1.0, 10.0, 10.0, 10.0, True, ""],
            [2.0, 4.0, 20, 20, 1.0, 10.0, 10.0, 10.0, True, ""],
            [4.0, 6.0, 20, 10, 0.5, 100.0, 55.0, 100.0, False, "kill"],
            [6.0, 8.0, 20, 0, 0.0, 100.0, 100.0, 100.0, False, "kill"],
            [8.0, 10.0, 20, 0, 0.0, 300.0, 300.0, 300.0, False, "kill,slow"],
            [10.0, 12.0, 20, 0, 0.0, 200.0, 200.0, 200.0, False, "slow"],
            *([t, t + 2, 20, 20, 1.0, 20.0, 20.0, 20.0, True, ""] for t in (12.0, 14.0, 16.0, 18.0)),
        ]
    )
    pd.testing.assert_frame_equal(slis(samples, fault_windows=faults), expected)


def test_degraded_answers_are_good_service_only_if_the_slo_says_so():
    """Fallback answers at 2-4 s; at 4-6 s no X-Degraded header, which says nothing against them."""
    samples = run(requests(0, 2), requests(2, 4, degraded=1), requests(4, 6, degraded=-1))
    strict = slis(samples, 6.0)
    assert strict["ok"].tolist() == [20, 0, 20] and strict["good"].tolist() == [True, False, True]
    assert strict["success_ratio"].tolist() == [1.0, 0.0, 1.0]
    lenient = slis(samples, 6.0, degraded_is_good=True)
    assert lenient["ok"].tolist() == [20, 20, 20] and lenient["good"].tolist() == [True, True, True]


@pytest.mark.parametrize(
    ("window", "duration_s", "starts", "requests_per_window"),
    [
        ("500ms", 2.0, [0.0, 0.5, 1.0, 1.5], [5, 5, 5, 5]),
        ("1s", 2.0, [0.0, 1.0], [10, 10]),
        ("2.5s", 5.0, [0.0, 2.5], [25, 25]),
        ("3s", 7.0, [0.0, 3.0, 6.0], [30, 30, 10]),  # the last window is cut short by the end of the run
        ("10s", 4.0, [0.0], [40]),
    ],
)
def test_window_sizes(window, duration_s, starts, requests_per_window):
    """Requests at 10/s from 0 to the run's end, plus one before the load started and one after its end."""
    samples = run(requests(-0.1, 0), requests(0, duration_s), requests(max(duration_s, 10.0), 10.1))
    windows = slis(samples, duration_s, window=window)
    size = float(window[:-2]) / 1000 if window.endswith("ms") else float(window[:-1])
    assert windows["start_s"].tolist() == pytest.approx(starts)
    assert windows["end_s"].tolist() == pytest.approx([s + size for s in starts])
    assert windows["requests"].tolist() == requests_per_window
    assert windows["good"].all()


def test_a_request_at_a_window_boundary_belongs_to_the_next_window():
    samples = run(requests(1.0, 1.1, latency_ms=500.0), requests(1.1, 2))
    windows = slis(samples, 2.0, window="1s")
    assert windows["requests"].tolist() == [0, 10]
    assert windows["latency_ms"].iloc[1] == pytest.approx(455.9)  # p(99) of 9 x 10 ms and 500 ms
    assert windows["good"].tolist() == [False, False]


def test_an_empty_window_is_not_good():
    windows = slis(run(requests(0, 1), requests(2, 3)), 3.0, window="1s")
    empty = windows.iloc[1]
    assert (empty["start_s"], empty["end_s"], empty["requests"], empty["ok"]) == (1.0, 2.0, 0, 0)
    assert empty[["success_ratio", "latency_ms", "p50_ms", "p99_ms"]].isna().all()
    assert windows["good"].tolist() == [True, False, True]


def test_a_run_without_requests_has_windows_and_no_figures():
    windows = slis(requests(0, 0), 4.0)
    assert windows["requests"].tolist() == [0, 0] and windows["good"].tolist() == [False, False]
    columns = ["success_ratio", "latency_ms", "p50_ms", "p99_ms"]
    assert windows[columns].isna().all().all()
    assert [str(t) for t in windows[columns].dtypes] == ["float64"] * 4


@pytest.mark.parametrize(
    ("latency", "met"),
    [
        ("p(99) < 99.5ms", True),
        ("p(99.9) < 99.5ms", False),  # the SLO's own percentile, not p(99)
        ("p(99.9) < 99.95ms", True),
        ("p(50) <= 50.5ms", True),
        ("p(50) < 50.5ms", False),  # exactly at the limit: `<` is not met, `<=` is
        ("p(51) < 51ms", False),
    ],
)
def test_slo_latency_percentile_and_operator(latency, met):
    """Latencies 1..100 ms: p(99) is 99.01 ms, p(99.9) 99.901 ms, p(50) 50.5 ms, p(51) 51.49 ms."""
    samples = requests(0, 2, rate=50, latency_ms=[float(i + 1) for i in range(100)])
    windows = slis(samples, 2.0, latency=latency)
    percentile = float(latency[2 : latency.index(")")])
    assert windows["latency_ms"].iloc[0] == pytest.approx(np.percentile(np.arange(1, 101), percentile))
    assert windows["p50_ms"].iloc[0] == pytest.approx(50.5) and windows["p99_ms"].iloc[0] == pytest.approx(
        99.01
    )
    assert windows["good"].tolist() == [met]


@pytest.mark.parametrize(("failed", "met"), [(5, True), (6, False)])
def test_availability_exactly_at_the_target_is_met(failed, met):
    """20 requests, availability 75%: 15 served is exactly the target."""
    samples = run(requests(0, failed / 10, **FAILED), requests(failed / 10, 2))
    windows = slis(samples, 2.0)
    assert windows["success_ratio"].tolist() == [(20 - failed) / 20]
    assert windows["good"].tolist() == [met]


@pytest.mark.parametrize(
    ("fault", "labels"),
    [
        (FaultWindow("f", 2.0, 4.0), ["", "f", ""]),  # starts at a window's start, ends at the next one's
        (FaultWindow("f", 1.9, 2.0), ["f", "", ""]),
        (FaultWindow("f", 3.99, 4.01), ["", "f", "f"]),
        (FaultWindow("f", -1.0, 0.5), ["f", "", ""]),  # applied before the load started
        (FaultWindow("f", 5.0, 9.0), ["", "", "f"]),  # cleared after the end of the run
    ],
)
def test_which_windows_a_fault_overlaps(fault, labels):
    windows = slis(requests(0, 6), 6.0, [fault])
    assert windows["faults"].tolist() == labels


def test_fault_windows_cover_from_injection_up_to_not_including_clearing():
    t = pd.Series([0.99, 1.0, 1.5, 1.99, 2.0])
    assert FaultWindow("f", 1.0, 2.0).covers(t).tolist() == [False, True, True, True, False]


def test_relative_time_is_from_the_intended_send_time():
    samples = requests(0, 0.2)
    samples["t_start"] = samples["t_intended"] + 5
    relative = with_relative_time(samples, T0 - 1)
    assert relative["t_rel"].tolist() == pytest.approx([1.0, 1.1])
    assert "t_rel" not in samples.columns  # the caller's frame is left alone


def windows_of(pattern, size=1.0):
    """`G`ood and `B`ad windows of `size` seconds from 0."""
    starts = [i * size for i in range(len(pattern))]
    return pd.DataFrame(
        {"start_s": starts, "end_s": [s + size for s in starts], "good": [c == "G" for c in pattern]}
    )


RECOVERIES = [
    # pattern, window size, injected at, required, expected
    ("GGBBBGGGGG", 1.0, 2.0, 3, Recovery(3.0, None, 8)),
    ("GGBBBGGGGG", 1.0, 2.5, 3, Recovery(2.5, None, 8)),
    ("GGBBBGGGGG", 1.0, 2.5, 5, Recovery(2.5, None, 8)),
    ("GGBBBGGGGG", 1.0, 2.5, 6, Recovery(None, 2.5, 8)),  # 5 good windows at the end: not enough
    ("GGGGGGGGGG", 1.0, 1.5, 3, Recovery(0.0, None, 9)),  # the window holding the injection was good
    ("GGGGGGGGGG", 1.0, 0.0, 10, Recovery(0.0, None, 10)),
    ("GGGGGGGGGG", 1.0, 0.0, 11, Recovery(None, 0.0, 10)),
    ("BGBGGBGGGB", 1.0, 0.0, 1, Recovery(1.0, None, 10)),
    ("BGBGGBGGGB", 1.0, 0.0, 2, Recovery(3.0, None, 10)),
    ("BGBGGBGGGB", 1.0, 0.0, 3, Recovery(6.0, None, 10)),
    ("BGBGGBGGGB", 1.0, 0.0, 4, Recovery(None, None, 10)),  # ends bad: never recovered
    ("BBGGBGG", 1.0, 3.0, 2, Recovery(2.0, None, 4)),  # the window ending at the injection does not count
    ("BBGGBGG", 1.0, 2.999, 2, Recovery(0.0, None, 5)),
    ("BBBBBBBBGG", 1.0, 1.0, 3, Recovery(None, 7.0, 9)),
    ("GGBBBBBBBB", 1.0, 2.0, 3, Recovery(None, None, 8)),
    ("GGBBBBBBBB", 1.0, 10.0, 1, Recovery(None, None, 0)),  # injected after the last window
    ("GGBBBBBBBG", 1.0, 9.99, 1, Recovery(0.0, None, 1)),
    ("BBGGGG", 2.5, 3.0, 2, Recovery(2.0, None, 5)),
    ("BBGGGG", 2.5, 3.0, 4, Recovery(2.0, None, 5)),
    ("BBGGGG", 2.5, 3.0, 5, Recovery(None, 2.0, 5)),
    ("BBBGGG", 0.5, 0.2, 3, Recovery(1.3, None, 6)),
]


BREACHED_LATER = [
    # pattern, injected at, fault window's end, required, expected: a breach that begins inside the fault's
    # window puts recovery after it; one after the window is not the fault's
    ("GGGGGGBBBGGGG", 1.0, 8.0, 3, Recovery(8.0, None, 12)),
    ("GGGGGGBBBGGGG", 1.0, 6.0, 3, Recovery(0.0, None, 12)),  # the breach begins as the window ends
    ("GGGGGGBBBGGGG", 1.0, 6.01, 3, Recovery(8.0, None, 12)),
    ("GGGGGGBBBGG", 1.0, 8.0, 3, Recovery(None, 8.0, 10)),  # back, but not confirmed by the run's end
    ("GGGGGGBBBBB", 1.0, 8.0, 3, Recovery(None, None, 10)),
    ("GGGGGGGGGGG", 1.0, 8.0, 3, Recovery(0.0, None, 10)),
]


@pytest.mark.parametrize(("pattern", "injected_at", "until", "required", "expected"), BREACHED_LATER)
def test_a_breach_later_in_the_fault_window_is_not_recovered_from_until_it_ends(
    pattern, injected_at, until, required, expected
):
    assert assess_recovery(windows_of(pattern, 1.0), injected_at, required, until) == expected


@pytest.mark.parametrize(("pattern", "size", "injected_at", "required", "expected"), RECOVERIES)
def test_recovery_from_good_and_bad_windows(pattern, size, injected_at, required, expected):
    got = assess_recovery(windows_of(pattern, size), injected_at, required)
    assert got.windows_left == expected.windows_left
    for field in ("seconds", "unconfirmed_s"):
        want = getattr(expected, field)
        assert getattr(got, field) == (None if want is None else pytest.approx(want)), field
