"""Fixtures shared by the end-to-end drills."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.e2e.drills import REPO


@pytest.fixture
def toxiproxy_process() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """The embedded proxy as a server of its own, as a user's shared Toxiproxy would run."""
    process = subprocess.Popen(
        [sys.executable, "-m", "faults.toxiproxy", "--host", "127.0.0.1", "--port", "0"],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert "listening on" in banner, banner
        yield process, banner.split()[-1].rstrip("/")
    finally:
        process.send_signal(signal.SIGCONT)
        process.kill()
        process.wait(timeout=10)
