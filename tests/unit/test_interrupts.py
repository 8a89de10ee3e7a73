"""A Ctrl-C that Python swallows (raised inside an at-fork hook or a `__del__`) still stops the drill.

Regression: SIGINT landing in logging's at-fork hook, run in the parent after every process spawn, was
printed as "Exception ignored" and the drill ran on (the start-up interrupt test failed 3 runs in 6).
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from harness.interrupts import Interrupted, check_interrupted, raising_signals

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
"""The swallowed raise is the point of these tests."""


class SwallowsExceptions:
    """Its `__del__` receives the signal; Python prints and drops what a `__del__` raises."""

    def __del__(self) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler runs here, and its Interrupted goes nowhere


def test_a_swallowed_interrupt_is_raised_at_the_next_checkpoint() -> None:
    reached = []
    with pytest.raises(Interrupted, match="SIGINT"), raising_signals():
        SwallowsExceptions()
        reached.append("after the swallowed raise")
        check_interrupted()
        reached.append("after the checkpoint")
    assert reached == ["after the swallowed raise"]


def test_a_swallowed_interrupt_that_meets_no_checkpoint_ends_the_block() -> None:
    with pytest.raises(Interrupted, match="SIGINT"), raising_signals():
        SwallowsExceptions()
    check_interrupted()  # acted on: nothing pending afterwards


def test_without_a_signal_checkpoints_do_nothing() -> None:
    with raising_signals():
        check_interrupted()
