"""Reads the scenario's probes during a drill into `probes.jsonl`, one line per reading, as they come.

Each probe is read in its own thread, so a slow command or a hung endpoint delays only its own readings,
never the fault timeline or the other probes. Probes start when the stack is ready (readings before the
load and the first fault are the baseline a change is seen against) and stop when the teardown starts,
before the stack goes away. A reading's `t` is when it was started (epoch seconds, as in events.jsonl):
a reading started before a fault was applied never counts as seeing the fault.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from harness.backends.variables import stack_variables
from harness.errors import HarnessError
from harness.events import EventLog
from harness.probe_readers import ResolvedProbe, resolve_probe
from harness.scenario.probes import ProbeSpec

PROBES_FILE = "probes.jsonl"


class ProbeMonitor:
    def __init__(self, probes: Sequence[ResolvedProbe], path: Path):
        self.probes = probes
        self.path = path
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._out = path.open("a", encoding="utf-8")
        self._threads = [
            threading.Thread(target=self._poll, args=(p,), name=f"probe-{p.spec.name}", daemon=True)
            for p in probes
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        """Stops every probe; a command still running is killed, an HTTP reading ends by its timeout."""
        self._stop.set()
        for thread, probe in zip(self._threads, self.probes, strict=True):
            if thread.is_alive():
                thread.join(timeout=probe.spec.timeout + 1)
        with self._lock:
            self._out.close()

    def _poll(self, probe: ResolvedProbe) -> None:
        every = probe.spec.every
        with httpx.Client() as client:
            while not self._stop.is_set():
                started = time.time()
                reading = probe.read(client, self._stop)
                if self._stop.is_set():
                    return  # cut short by the teardown: not a reading of the stack
                self._write({"t": started, "probe": probe.spec.name, **reading.record()})
                self._stop.wait(max(0.0, every - (time.time() - started)))

    def _write(self, record: dict[str, Any]) -> None:
        with self._lock:
            if not self._out.closed:
                self._out.write(json.dumps(record, default=str) + "\n")
                self._out.flush()


def watch_probes(events: EventLog, probes: Sequence[ProbeSpec], stack: object, run_dir: Path) -> None:
    """Read `probes` from `stack_ready` until the teardown starts. A probe naming a variable the stack
    does not set fails the start (a harness error naming the field), not every reading."""
    if not probes:
        return

    def make(_ready: dict[str, Any]) -> ProbeMonitor:
        variables = stack_variables(stack)
        try:
            resolved = [resolve_probe(p, variables, f"probes[{i}]") for i, p in enumerate(probes)]
        except ValueError as exc:
            raise HarnessError(str(exc)) from None
        return ProbeMonitor(resolved, run_dir / PROBES_FILE)

    events.watch_between("stack_ready", ("teardown_started",), make)
