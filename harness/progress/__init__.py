"""Live progress of a drill: on a terminal a panel redrawn in place (rich), in logs and CI one plain line
every few seconds, or nothing (`--quiet`).

It subscribes to the run's lifecycle events (`harness.events`) for the phase and the faults' marks and
follows samples.csv for the figures, so it adds nothing to the load worker's work and nothing to
`runner.py` but one call. It writes to stderr: stdout stays the verdict and its lines, for scripts.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Literal, TextIO

from rich.console import Console
from rich.live import Live

from harness.background import BackgroundLoop
from harness.events import EventLog
from harness.load.files import SAMPLES_FILE
from harness.plan import Plan
from harness.progress.render import live_panel, plain_line
from harness.progress.state import PHASES, RunProgress
from harness.progress.tail import SampleTail

Mode = Literal["auto", "live", "plain", "off"]
WINDOW_S = 5.0
"""The figures are over the last five seconds: steadier than one SLO window, recent enough to see a fault."""
_LIVE_REFRESH_S = 0.5
_PLAIN_TICK_S = 0.2
_MARKS = ("fault_applied", "fault_cleared", "fault_error", "fault_clear_error")


class ProgressReporter(BackgroundLoop):
    def __init__(self, progress: RunProgress, tail: SampleTail, plan: Plan, live: bool, every_s: float,
                 stream: TextIO):  # fmt: skip
        super().__init__("progress")
        self.progress = progress
        self.tail = tail
        self.slo = plan.scenario.slo
        self.live = live
        self.every_s = every_s
        self.stream = stream

    def _plain(self) -> None:
        """A line at every `every_s` seconds of load (lines in a log line up with the drill's timeline)."""
        printed = 0
        while not self._stop.wait(_PLAIN_TICK_S):
            now = time.time()
            due = int(self.progress.elapsed_s(now) // self.every_s)
            if due > printed and self.progress.phase == PHASES["load_started"]:
                printed = due
                line = plain_line(self.progress, self.tail.read(), self.slo, now)
                print(line, file=self.stream, flush=True)

    def _run(self) -> None:
        if not self.live:
            self._plain()
            return
        console = Console(file=self.stream)
        with Live(console=console, auto_refresh=False, transient=False) as live:
            while True:
                live.update(live_panel(self.progress, self.tail.read(), self.slo, time.time()), refresh=True)
                if self._stop.wait(_LIVE_REFRESH_S):
                    return


def watch_progress(
    events: EventLog,
    plan: Plan,
    run_dir: Path,
    mode: Mode,
    every_s: float = 10.0,
    stream: TextIO | None = None,
) -> None:
    """Show the run's progress from its start to the end of its teardown: `live` on a terminal, `plain`
    lines every `every_s` seconds of load, `auto` (live if `stream` is a terminal, else plain), `off`."""
    if mode == "off":
        return
    stream = stream or sys.stderr
    live = mode == "live" or (mode == "auto" and stream.isatty())
    progress = RunProgress.of(plan)
    tail = SampleTail(run_dir / SAMPLES_FILE, WINDOW_S, plan.scenario.slo.latency_threshold.percentile or 99)
    reporter = ProgressReporter(progress, tail, plan, live, every_s, stream)
    for event in (*PHASES, *_MARKS):
        events.subscribe(event, progress.on_event)
    events.subscribe("run_started", lambda _: reporter.start())
    events.subscribe("stack_stopped", lambda _: reporter.stop())
