"""Time limits inside one process: a soft deadline raised as CheckTimeout.

The timer is SIGALRM-based and so works only in the main thread; the worker
pool adds a hard limit on top (it replaces a worker that overruns), so a
check that never returns to Python still ends.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from derivcheck.errors import CheckTimeout

_REPEAT = 0.1


def _can_alarm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _raise_timeout(signum, frame):  # pragma: no cover - called by the signal
    raise CheckTimeout()


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise CheckTimeout in the block after ``seconds`` (nested limits keep the tighter)."""
    if not seconds or seconds <= 0 or not _can_alarm():
        yield
        return
    outer_left, _ = signal.setitimer(signal.ITIMER_REAL, 0)
    budget = min(seconds, outer_left) if outer_left > 0 else seconds
    previous = signal.signal(signal.SIGALRM, _raise_timeout)
    started = time.monotonic()
    # Keep firing every 0.1 s until the block ends: one alarm can be swallowed
    # (a signal raised inside a garbage-collection callback is ignored).
    signal.setitimer(signal.ITIMER_REAL, budget, _REPEAT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left > 0:
            left = outer_left - (time.monotonic() - started)
            if left <= 0:
                raise CheckTimeout()
            signal.setitimer(signal.ITIMER_REAL, left, _REPEAT)
