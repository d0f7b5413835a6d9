"""Limits inside one process: a CPU-time deadline raised as CheckTimeout, memory, signals.

The deadline counts the CPU time this process uses (``ITIMER_PROF``, user +
system time), not the wall clock: a check gets the same budget on an idle
machine and on one where other processes take every core, so its verdict does
not depend on the load. The timer is signal-based and so works only in the
main thread; the worker pool adds a wall-clock backstop on top (a generous
multiple of the timeout, see ``pool.backstop_seconds``), so a check that never
returns to Python, or waits without using CPU, still ends.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from derivcheck.bounds import (
    MAX_PROOF_SECONDS_WITH_SUMS,
    MAX_TIMER_SECONDS,
    POINT_SHARE,
    PROOF_RESERVE_SHARE,
    PROOF_SHARE_WITH_SUMS,
    SCREEN_SHARE,
    TIMER_REARM_SECONDS,
    TIMER_REPEAT_SECONDS,
)
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.errors import CheckTimeout

# The CPU-time timer and its signal; ITIMER_PROF counts user and system time of the process.
_TIMER = getattr(signal, "ITIMER_PROF", None)
_SIGNAL = getattr(signal, "SIGPROF", None)


class Stopped(BaseException):
    """The run was stopped by a signal (SIGTERM or SIGINT); ``exit_code`` is 128 + its number.

    A BaseException, so that no ``except Exception`` (in SymPy or in a CLI
    framework) swallows it on its way to the entry point.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.exit_code = 128 + signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def cpu_seconds() -> float:
    """CPU time used by this process so far (the clock of every check's budget)."""
    return time.process_time()


def _can_alarm() -> bool:
    return _TIMER is not None and threading.current_thread() is threading.main_thread()


class OuterTimeout(CheckTimeout):
    """An enclosing time limit ran out inside an inner one.

    A CheckTimeout like any other; a helper that catches the timeout of its
    own limit (to skip a slow point, to give up on one method) lets this one
    pass, since the time it would go on with is no longer there.
    """


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise CheckTimeout in the block after ``seconds`` of CPU time (nested limits keep the tighter).

    Limits nest: an inner limit never outlives the outer one, and when the
    block ends the outer limit is armed again with what is left of it. Whose
    time ran out is known, not measured: each limit has its own signal
    handler, and an inner limit armed with the outer one's remaining time
    (the tighter of the two) raises ``OuterTimeout`` when it fires, re-arming
    the outer limit to fire again at once. So an inner helper that catches
    the timeout of its own limit cannot switch the outer limit off, and one
    that lets ``OuterTimeout`` pass ends the outer block as that limit's own
    timeout (CheckTimeout, or OuterTimeout again further out).
    """
    timer, alarm = _TIMER, _SIGNAL
    if not seconds or seconds <= 0 or timer is None or alarm is None or not _can_alarm():
        yield
        return
    seconds = min(seconds, MAX_TIMER_SECONDS)
    outer_left, _ = signal.setitimer(timer, 0)
    outer_is_tighter = 0 < outer_left <= seconds
    fired: list[bool] = []

    def fire(signum: int, frame: object) -> None:  # pragma: no cover - called by the signal
        fired.append(True)
        raise CheckTimeout()

    previous = signal.signal(alarm, fire)
    started = cpu_seconds()
    # Keep firing every 0.1 s until the block ends: one alarm can be swallowed
    # (a signal raised inside a garbage-collection callback is ignored).
    signal.setitimer(timer, outer_left if outer_is_tighter else seconds, TIMER_REPEAT_SECONDS)
    spent = False
    try:
        yield
    except OuterTimeout:
        spent = True  # an inner limit found this one spent
    except CheckTimeout:
        if not fired:
            raise  # an inner limit's own timeout on its way out: not this limit's
        spent = True
    finally:
        signal.setitimer(timer, 0)
        signal.signal(alarm, previous)
        if outer_left > 0:
            left = outer_left - (cpu_seconds() - started)
            if spent and outer_is_tighter:
                left = 0  # the outer limit's time is what ran out
            # Re-armed even when spent: whoever catches the OuterTimeout raised
            # below, the outer limit fires again a moment later.
            signal.setitimer(timer, max(left, TIMER_REARM_SECONDS), TIMER_REPEAT_SECONDS)
    if spent:
        raise OuterTimeout() if outer_is_tighter else CheckTimeout()


@dataclass
class Spent:
    """Whether a block run under ``own_time_limit`` was ended by its own limit."""

    ran_out: bool = False


@contextmanager
def own_time_limit(seconds: float | None) -> Iterator[Spent]:
    """Run the block under a limit of its own; when that limit runs out, the block ends quietly.

    The yielded ``Spent`` records it (``ran_out``); the timeout of an enclosing
    limit (``OuterTimeout``) passes through. For a stage that may give up
    (a slow point, a method, the screen's share) and let the check go on.
    """
    spent = Spent()
    try:
        with time_limit(seconds):
            yield spent
    except OuterTimeout:
        raise
    except CheckTimeout:
        spent.ran_out = True


def seconds_left() -> float | None:
    """CPU seconds left before the innermost active time limit fires; None when no limit is active."""
    if _TIMER is None or not _can_alarm():
        return None
    left, _ = signal.getitimer(_TIMER)
    return left if left > 0 else None


def memory_limit_outcome() -> Outcome:
    """The outcome of a check that ran out of memory (the one place it is built)."""
    return Outcome(
        Verdict.UNKNOWN,
        "memory limit",
        "the check ran out of memory",
        hint="split the step into smaller steps, or raise --memory-limit",
    )


def limit_memory(megabytes: int) -> None:
    """Limit this process's address space to ``megabytes`` MiB, clamped to what the OS allows."""
    try:
        import resource
    except ImportError:  # pragma: no cover - platform without rlimits
        return
    wanted = megabytes * 1024 * 1024
    try:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            wanted = min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ValueError, OSError, OverflowError):  # pragma: no cover - a limit the OS refuses
        pass


def _raise_stopped(signum: int, frame: object) -> None:
    raise Stopped(signum)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGINT into ``Stopped`` in the block, so cleanup (stopping workers) runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _raise_stopped) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def quiet_worker_signals() -> None:
    """In a worker: ignore SIGINT (the parent decides), die at once on SIGTERM, no CPU timer inherited."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if _TIMER is not None:
        signal.setitimer(_TIMER, 0)


def screen_share(timeout: float) -> float:
    """The numeric screen's share of a check's time (SCREEN_SHARE of it): a slow screen never starves the proof."""
    return timeout * SCREEN_SHARE


def point_share(screen_seconds: float | None) -> float | None:
    """The share of the screen's time one sample point may use (None: no limit of its own)."""
    return screen_seconds * POINT_SHARE if screen_seconds else None


def proof_share(timeout: float, shape: Any, constants: bool = False) -> float:
    """The symbolic proof's share of a check's time.

    Without sums: the rest of the check's time once the screen is done, less a
    reserve for the stages after the proof; between two ``constants`` the
    reserve also holds the screen's share, for their evaluation to every digit
    asked that follows a failed proof. With sums over a symbolic size: a small
    share, leaving the time to the instances.
    """
    if not shape.empty:
        return min(MAX_PROOF_SECONDS_WITH_SUMS, timeout * PROOF_SHARE_WITH_SUMS)
    reserve = timeout * (PROOF_RESERVE_SHARE + (SCREEN_SHARE if constants else 0))
    left = seconds_left()
    rest = (left if left is not None else timeout) - reserve
    return max(rest, reserve)
