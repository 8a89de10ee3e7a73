"""Safety halts without a drill: the schema, each condition on real files and a real HTTP endpoint, the
scheduler's halt under a fake clock (faults reverted within one evaluation period, the rest skipped, the
load cut after the observation period), and where the `halted` verdict ranks."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pydantic import ValidationError

from harness.backends import make_backend
from harness.backends.processes import free_port
from harness.events import EventLog
from harness.halt_monitor import HaltMonitor, build_checks, file_check, http_check, probe_check, rate_check
from harness.halt_monitor import _ProbeFollower as ProbeFollower
from harness.journal import fault_records, halt_reason, read_jsonl
from harness.plan import resolve_plan
from harness.report.junit import HALT_CASE, build_junit
from harness.scenario.halts import HaltCondition, HaltSpec
from harness.scenario.model import Scenario
from harness.scheduler import HALT_SKIP, FaultScheduler
from harness.scoring import resilience
from harness.verify.results import ExpectationResult, FaultRecord, RunSummary, SloFigures
from harness.verify.verdict import EXIT_CODES, decide_verdict
from tests.unit.test_progress import HEADER, row
from tests.unit.test_scheduler_timeline import LOAD_START, FakeClock, drift

# --- schema ---------------------------------------------------------------------------------------------


def test_a_halt_spec_has_defaults_and_each_condition_knows_its_kind() -> None:
    spec = HaltSpec.model_validate(
        {
            "when": [
                {"errors": "rate > 50%"},
                {"latency": "p(99) > 2s", "over": "3s"},
                {"probe": "health", "reads": "== down"},
                {"http": {"url": "${CHAOSDRILL_ENTRYPOINT}/health"}, "for": "3s"},
                {"file": "/tmp/stop"},
            ]
        }
    )
    assert (spec.every, spec.observe) == (1.0, 10.0)
    assert [c.kind for c in spec.when] == ["errors", "latency", "probe", "http", "file"]
    assert spec.when[0].over_s == 5.0 and spec.when[0].threshold().value == 0.5
    assert spec.when[1].threshold().value == 2000.0
    assert [c.describe() for c in spec.when] == [
        "errors rate > 50% over 5s", "latency p(99) > 2s over 3s", "probe health == down",
        "http ${CHAOSDRILL_ENTRYPOINT}/health failing for 3s", "file /tmp/stop exists",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({}, "give exactly one of errors, latency, probe, http, file (got none)"),
        ({"errors": "rate > 5%", "file": "x"}, "got errors, file"),
        ({"errors": "count > 5"}, "a halt on errors takes their rate"),
        ({"errors": "rate > 150%"}, "a rate must be between 0 and 1"),
        ({"latency": "avg > 2s"}, "a halt on latency takes a percentile"),
        ({"latency": "p(99) > 2%"}, "latency is a time"),
        ({"probe": "health"}, "reads: required with probe"),
        ({"probe": "health", "reads": "down"}, "invalid condition 'down'"),
        ({"file": "x", "over": "2s"}, "over: only with errors or latency, not with file"),
        ({"http": {"url": "http://x:1/"}, "reads": "== 1"}, "reads: only with probe, not with http"),
        ({"errors": "rate > 5%", "for": "2s"}, "for: only with http, not with errors"),
        ({"http": {"url": "localhost:80/health"}}, "is not an http:// or https:// URL"),
        ({"errors": "rate > 5%", "over": "0s"}, "duration must be greater than zero"),
    ],
)
def test_a_bad_condition_is_refused_with_its_reason(condition: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        HaltCondition.model_validate(condition)


def test_a_halt_needs_a_condition_and_a_probe_the_scenario_reads() -> None:
    with pytest.raises(ValidationError, match="when"):
        HaltSpec.model_validate({"when": []})
    scenario = {"name": "h", "load": {"users": 1, "duration": "5s"},
                "safety": {"halt": {"when": [{"probe": "nope", "reads": "== 1"}]}}}  # fmt: skip
    from harness.scenario.checks import check_semantics

    with pytest.raises(
        ValueError, match=r"safety.halt.when\[0\].probe: unknown probe 'nope' \(probes: none\)"
    ):
        check_semantics(Scenario.model_validate(scenario))


# --- conditions -----------------------------------------------------------------------------------------


def condition(**fields: object) -> HaltCondition:
    return HaltCondition.model_validate(fields)


def test_the_error_rate_is_over_the_last_window_of_answered_requests(tmp_path: Path) -> None:
    samples = tmp_path / "samples.csv"
    check = rate_check(condition(errors="rate > 30%", over="2s"), samples)
    assert check() is None  # no samples yet: nothing is known, nothing halts
    samples.write_text(HEADER + row(100.0, 10) + row(100.5, 10) + row(101.0, 10) + row(101.5, 10, ok=0))
    assert check() is None  # 1 of 4 failed: 25%
    with samples.open("a") as more:
        more.write(row(104.0, 10, ok=0) + row(104.5, 10))
    assert check() == "50% of 2 requests failed"  # the 2 s before the newest answer only


def test_a_latency_percentile_over_the_window(tmp_path: Path) -> None:
    samples = tmp_path / "samples.csv"
    check = rate_check(condition(latency="p(99) > 2s", over="5s"), samples)
    samples.write_text(HEADER + row(100.0, 1900) + row(100.5, 1500))
    assert check() is None
    with samples.open("a") as more:
        more.write(row(101.0, 2600))
    assert check() == "p(99) 2586ms over 3 requests"


def test_a_probe_condition_reads_the_latest_good_reading(tmp_path: Path) -> None:
    readings = tmp_path / "probes.jsonl"
    check = probe_check(condition(probe="health", reads="== down"), ProbeFollower(readings))
    assert check() is None  # no readings yet
    readings.write_text(
        '{"t": 1, "probe": "health", "value": "up"}\n{"t": 1, "probe": "other", "value": "down"}\n'
    )
    assert check() is None
    with readings.open("a") as more:
        more.write('{"t": 2, "probe": "health", "error": "timed out"}\n{"t": 3, "probe": "health", "val')
    assert check() is None  # an error is no reading; a line being written is read once whole
    with readings.open("a") as more:
        more.write('ue": "down"}\n')
    assert check() == "read down"


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def health() -> Iterator[tuple[str, type[_Health]]]:
    handler = type("Health", (_Health,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/health", handler
    server.shutdown()
    server.server_close()


def test_the_health_endpoint_must_fail_for_the_whole_for_period(health: tuple[str, type[_Health]]) -> None:
    url, handler = health
    clock = FakeClock(0.0)
    check = http_check(condition(http={"url": url}, **{"for": "3s"}), url, clock.time)
    assert check() is None
    handler.status = 503
    assert check() is None  # failing since 0 s
    clock.now = 2.0
    assert check() is None
    handler.status = 200
    clock.now = 2.5
    assert check() is None  # back: the count starts again
    handler.status = 500
    for clock.now in (3.0, 5.9):
        assert check() is None
    clock.now = 6.0
    assert check() == "status 500 for 3.0s"


def test_a_health_endpoint_nobody_answers_is_failing() -> None:
    url = f"http://127.0.0.1:{free_port()}/health"
    assert (check := http_check(condition(http={"url": url}), url)()) is not None
    assert check.startswith("ConnectError") and check.endswith("for 0.0s")


def test_the_http_url_takes_the_run_variables(tmp_path: Path) -> None:
    spec = HaltSpec.model_validate({"when": [{"http": {"url": "${CHAOSDRILL_NOPE}/health"}}]})
    with pytest.raises(Exception, match=r"safety.halt.when\[0\].http.url: \$\{CHAOSDRILL_NOPE\} is not set"):
        build_checks(spec, object(), tmp_path)


def test_the_file_condition_halts_once_the_file_exists(tmp_path: Path) -> None:
    flag = tmp_path / "STOP"
    check = file_check(condition(file=str(flag)))
    assert check() is None
    flag.touch()
    assert check() == f"{flag} exists"


# --- the scheduler's halt, under a fake clock -----------------------------------------------------------


def halted_timeline(tmp_path: Path, observe: str, touch_at: float = 6.3) -> tuple[list[tuple], float, float]:
    """Fault `a` 2-12 s, `b` from 15 s; the file condition, evaluated every second of fake time as the
    monitor's thread would, is touched at `touch_at`. Returns the events (offsets from load start), when
    the halt fired and when the run ended."""
    flag = tmp_path / "STOP"
    spec = HaltSpec.model_validate({"every": "1s", "observe": observe, "when": [{"file": str(flag)}]})
    scenario = two_faults()
    events = EventLog(tmp_path / "events.jsonl")
    clock = FakeClock()
    scheduler = FaultScheduler(resolve_plan(scenario), make_backend(scenario, tmp_path), events, clock)
    monitor = HaltMonitor(spec, build_checks(spec, object(), tmp_path), scheduler)
    next_evaluation, halted_at = [LOAD_START], []

    def keep_going() -> bool:
        if clock.now >= LOAD_START + touch_at:
            flag.touch()
        if clock.now >= next_evaluation[0]:
            next_evaluation[0] += spec.every
            if not halted_at and monitor.evaluate():
                halted_at.append(clock.now - LOAD_START)
        return True

    scheduler.run(LOAD_START, LOAD_START + 30, keep_going)
    ended = clock.now - LOAD_START
    scheduler.clear_all()
    events.close()
    timed = ("fault_applied", "fault_cleared")  # the scheduler's times are the fake clock's
    happened = [
        (e["event"], e.get("fault", ""), round(e["t"] - LOAD_START, 3) if e["event"] in timed else None)
        for e in read_jsonl(tmp_path / "events.jsonl")
    ]
    return happened, halted_at[0], ended


def test_a_halt_reverts_the_active_faults_within_one_period_and_skips_the_rest(tmp_path: Path) -> None:
    happened, halted_at, ended = halted_timeline(tmp_path, observe="5s")
    assert 6.3 < halted_at <= 6.3 + 1.0
    cleared = next(t for event, fault, t in happened if event == "fault_cleared" and fault == "a")
    assert 0 <= cleared - halted_at <= 0.02  # one scheduler tick after the monitor's evaluation
    assert [(e, f) for e, f, _ in happened] == [
        ("fault_applied", "a"), ("halted", ""), ("fault_cleared", "a"), ("fault_skipped", "b"),
        ("halt_observed", ""),
    ]  # fmt: skip
    assert ended == pytest.approx(cleared + 5, abs=0.03)  # the load goes on for `observe`, then stops
    records = {
        r.name: r for r in fault_records(resolve_plan(two_faults()), read_jsonl(tmp_path / "events.jsonl"))
    }
    assert records["b"].skipped == HALT_SKIP and records["b"].problem() is None
    assert records["a"].problem() is None


def test_the_load_is_never_cut_past_its_planned_end(tmp_path: Path) -> None:
    _, _, ended = halted_timeline(tmp_path, observe="100s")
    assert ended == pytest.approx(30.0)
    observed = [e for e in read_jsonl(tmp_path / "events.jsonl") if e["event"] == "halt_observed"]
    assert observed[0]["cuts_load"] is False


def test_a_halt_is_taken_only_while_the_timeline_runs(tmp_path: Path) -> None:
    scenario = two_faults()
    events = EventLog(tmp_path / "events.jsonl")
    scheduler = FaultScheduler(resolve_plan(scenario), make_backend(scenario, tmp_path), events, FakeClock())
    assert not scheduler.halt(5.0, reason="before")  # the load has not started: nothing to halt
    scheduler.run(LOAD_START, LOAD_START + 30, lambda: True)
    assert not scheduler.halt(5.0, reason="after")  # the drill is ending anyway: it was not halted
    scheduler.clear_all()
    events.close()
    assert [e for e in read_jsonl(tmp_path / "events.jsonl") if e["event"] == "halted"] == []


def two_faults() -> Scenario:
    faults = [drift("a", "2s", "10s"), drift("b", "15s", "5s")]
    return Scenario.model_validate(
        {"name": "halt", "load": {"users": 1, "duration": "30s"}, "faults": faults}
    )


# --- the verdict ----------------------------------------------------------------------------------------

MET = ExpectationResult("errors: rate < 1%", "errors", 0.0, "rate < 1%", "ratio", True, "met")
MISSED = ExpectationResult("errors: rate < 1%", "errors", 0.4, "rate < 1%", "ratio", False, "missed")
HALT = "halted at 6.4s of load: errors rate > 30% over 2s (observed 100% of 40 requests failed)"


def fault(**state: object) -> FaultRecord:
    return FaultRecord("a", "down", ["gpu-0"], 2.0, 12.0, **state)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("faults", "expectations", "interruptions", "errors", "expected"),
    [
        ([fault(applied_at=1.0, cleared_at=2.0)], [MET], [], [], ("halted", HALT)),
        ([fault(applied_at=1.0, cleared_at=2.0)], [MISSED], [], [], ("halted", HALT)),  # halted > fail
        ([fault(skipped=HALT_SKIP)], [MET], [], [], ("halted", HALT)),  # a halt-skip is no error
        ([fault(error="boom")], [MET], [], [], ("error", "fault a (down) could not be applied: boom")),
        ([fault(applied_at=1.0, cleared_at=2.0)], [MET], [], ["crash"], ("error", "crash")),
        ([fault(applied_at=1.0, cleared_at=2.0)], [MET], ["SIGINT"], [], ("incomplete", "SIGINT")),
    ],
)
def test_halted_ranks_below_incomplete_and_error_and_above_fail(
    faults: list[FaultRecord], expectations: list, interruptions: list, errors: list, expected: tuple
) -> None:
    assert decide_verdict(faults, expectations, interruptions, errors, HALT) == expected
    assert EXIT_CODES["halted"] == 1


def test_without_a_halt_a_fault_never_applied_is_still_an_error() -> None:
    assert decide_verdict([fault()], [MET], [], [])[0] == "error"


def test_the_halt_reason_says_which_condition_when_and_what() -> None:
    halted = {"t": 1006.4, "event": "halted", "condition": "errors rate > 30% over 2s",
              "value": "100% of 40 requests failed"}  # fmt: skip
    assert halt_reason(halted, {"t": 1000.0}) == HALT


def halted_summary() -> RunSummary:
    return RunSummary(
        scenario="halt", description="", scenario_file="halt.yaml", run_dir="run", backend="local", seed=1,
        started_at=0.0, load_started_at=1.0, finished_at=20.0, verdict="halted", incomplete_reason=HALT,
        slo=SloFigures(0.99, 99.0, 400.0, 1.0), expectations=[MET],
        faults=[fault(applied_at=1, cleared_at=7)],
    )  # fmt: skip


def test_junit_fails_a_case_named_for_the_halt_and_no_score_is_given() -> None:
    root = build_junit(halted_summary()).getroot()
    cases = {c.get("name"): c for c in root.iter("testcase")}
    failure = cases[HALT_CASE].find("failure")
    assert failure is not None and failure.get("message") == HALT and failure.get("type") == "halted"
    assert root.get("failures") == "1" and root.get("errors") == "0"
    score = resilience(halted_summary()).run
    assert score.value is None and score.reason == "a safety halt cut the drill short"
