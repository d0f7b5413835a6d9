"""Worker processes with a memory limit per check and a wall-clock backstop.

Each worker runs one task at a time under its CPU-time budget (the check's
own deadline, see ``limits``). A task that overruns the wall-clock backstop
(a generous multiple of the timeout, for a check that never returns to
Python) has its worker killed and replaced, and gets verdict ``unknown``
(time limit); a worker that dies (out of memory, crash) gives ``unknown`` too.
Results come back in task order whatever the number of workers.

Workers never outlive the run: the pool kills them when it ends for any
reason (including ``Stopped`` from SIGTERM/SIGINT), a worker whose parent is
gone exits on its own, and workers write nothing to the inherited standard
output, so a caller reading it through a pipe sees end-of-file.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from derivcheck.bounds import (
    WORKER_BACKSTOP_FACTOR as BACKSTOP_FACTOR,
    WORKER_BACKSTOP_GRACE_SECONDS as BACKSTOP_GRACE_SECONDS,
    WORKER_POLL_SECONDS as PARENT_POLL_SECONDS,
)
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.config import CheckConfig

# The wall-clock backstop (bounds.py): a check's CPU budget is the timeout; on a
# loaded machine its wall time can be several times that, so the kill waits longer.
# How often an idle worker looks whether its parent is still there.


def backstop_seconds(config: CheckConfig) -> float:
    """Wall-clock seconds after which a worker's check is killed (a backstop, not the budget)."""
    return BACKSTOP_FACTOR * config.timeout + BACKSTOP_GRACE_SECONDS


def _silence_output() -> None:
    """Point the worker's standard output and error at /dev/null, so it holds no caller's pipe open."""
    import os

    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:  # pragma: no cover
        return
    for fd in (1, 2):
        try:
            os.dup2(null, fd)
        except OSError:  # pragma: no cover
            pass
    os.close(null)


def _worker_main(conn: Connection, config: CheckConfig, parent: int) -> None:
    try:
        _serve(conn, config, parent)
    except BaseException:  # a worker never prints a traceback; the parent reports what is missing
        pass


def _serve(conn: Connection, config: CheckConfig, parent: int) -> None:
    import os

    from derivcheck.check.ladder.engine import run_task
    from derivcheck.check.limits import limit_memory, memory_limit_outcome, quiet_worker_signals

    quiet_worker_signals()
    _silence_output()
    if config.memory_limit_mb:
        limit_memory(config.memory_limit_mb)
    while True:
        try:
            while not conn.poll(PARENT_POLL_SECONDS):
                if os.getppid() != parent:
                    return
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, task = message
        try:
            outcome = run_task(task, config)
        except MemoryError:
            outcome = memory_limit_outcome()
        except Exception as exc:  # a bug must not take the run down; report it as unknown
            outcome = Outcome(Verdict.UNKNOWN, "internal error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send((index, outcome))
        except MemoryError:
            conn.send((index, memory_limit_outcome()))


class _Worker:
    def __init__(self, context: Any, config: CheckConfig) -> None:
        parent, child = context.Pipe()
        self.conn = parent
        self.process = context.Process(target=_worker_main, args=(child, config, os.getpid()), daemon=True)
        self.process.start()
        child.close()
        self.index: int | None = None
        self.started = 0.0

    def give(self, index: int, task: object) -> None:
        self.index = index
        self.started = time.monotonic()
        # Unpickled by the worker within the check's time limit (engine.run_task): rebuilding SymPy
        # nodes evaluates them, which can be slow.
        self.conn.send((index, pickle.dumps(task, protocol=pickle.HIGHEST_PROTOCOL)))

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except (OSError, BrokenPipeError):
                self.process.kill()
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_in_workers(
    tasks: Sequence, config: CheckConfig, done: Callable[[int, Outcome], None]
) -> None:
    """Run ``tasks`` in ``config.jobs`` worker processes; call ``done(index, outcome)`` for each."""
    if not tasks:
        return
    context = _context()
    limit = backstop_seconds(config)
    workers: list[_Worker] = []
    queue = list(range(len(tasks)))[::-1]
    try:
        for _ in range(min(config.jobs, len(tasks))):
            workers.append(_Worker(context, config))
        for worker in workers:
            if queue:
                index = queue.pop()
                worker.give(index, tasks[index])
        while any(w.index is not None for w in workers):
            busy = [w for w in workers if w.index is not None]
            now = time.monotonic()
            wait_for = max(0.01, min(w.started + limit - now for w in busy))
            ready = wait([w.conn for w in busy], timeout=wait_for)
            for position, worker in enumerate(list(workers)):
                if worker.index is None:
                    continue
                outcome, replace = None, False
                if worker.conn in ready:
                    try:
                        _, outcome = worker.conn.recv()
                    except (EOFError, OSError):
                        outcome, replace = _died(), True
                elif time.monotonic() - worker.started > limit:
                    outcome, replace = _overran(config), True
                if outcome is None:
                    continue
                index = worker.index
                worker.index = None
                if replace:
                    worker.stop(kill=True)
                    worker = workers[position] = _Worker(context, config)
                done(index, outcome)
                if queue:
                    next_index = queue.pop()
                    worker.give(next_index, tasks[next_index])
    finally:
        # On any way out (done, Stopped by a signal, an error) no worker is left behind.
        _stop_all(workers)


def _stop_all(workers: list[_Worker]) -> None:
    """Stop every worker; a second SIGTERM/SIGINT waits until they are all gone."""
    import signal

    masked = {signal.SIGTERM, signal.SIGINT}
    old = signal.pthread_sigmask(signal.SIG_BLOCK, masked) if hasattr(signal, "pthread_sigmask") else None
    try:
        for worker in workers:
            worker.stop(kill=worker.index is not None)
    finally:
        if old is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _died() -> Outcome:
    return Outcome(
        Verdict.UNKNOWN,
        "worker stopped",
        "the checking process died (memory limit or crash)",
        hint="split the step into smaller steps, or raise --memory-limit",
    )


def _overran(config: CheckConfig) -> Outcome:
    return Outcome(
        Verdict.UNKNOWN,
        "time limit",
        f"killed after {backstop_seconds(config):g} s of wall-clock time (the check did not return)",
        hint="split the step into smaller steps, or raise --timeout",
    )
