"""`chaosdrill history` and `trends` read what runs recorded: a table with each score's inputs."""

from __future__ import annotations

from harness.history.location import resolve_history
from harness.history.rows import RunLabels
from harness.history.store import History
from tests.e2e.drills import chaosdrill
from tests.history.recorded_runs import T0, summary


def test_the_history_table_shows_the_last_runs_with_score_inputs_and_recovery(history_url):
    with History(resolve_history(history_url)) as history:
        history.record(summary("r1", started_at=T0, recovery_s=1.0), RunLabels("v1"))
        history.record(summary("r2", started_at=T0 + 60, recovery_s=None, verdict="fail"), RunLabels("v2"))
        history.record(summary("r3", started_at=T0 + 120, verdict="incomplete"), RunLabels("v3"))
        history.record(summary("o1", scenario="other", started_at=T0 + 30), RunLabels())
    result = chaosdrill("history", "kill-drill", "--last", "2", "--history", history_url)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert "score (inputs)" in header and "recovery" in header
    assert [row.split()[3] for row in rows] == ["v3", "v2"]  # newest first, the last two only
    assert "INCOMPLETE" in rows[0] and "not scored (the run did not finish)" in rows[0]
    assert "kill never" in rows[1] and "recovery_time: kill <= 4s" in rows[1]
    assert "(met 50%, headroom 0%, budget left 80%)" in rows[1]
    everything = chaosdrill("history", "--history", history_url)
    assert len(everything.stdout.splitlines()) == 5


def test_an_empty_history_says_so_and_trends_refuses_an_unknown_scenario(history_url, tmp_path):
    empty = chaosdrill("history", "--history", history_url)
    assert empty.returncode == 0 and empty.stdout.startswith("no runs in ")
    unknown = chaosdrill("trends", "nosuch", "--out", str(tmp_path / "t"), "--history", history_url)
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1
    assert "trends: no runs of nosuch in" in unknown.stderr
