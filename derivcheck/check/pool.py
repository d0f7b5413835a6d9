"""Worker processes with a hard time limit and a memory limit per check.

Each worker runs one task at a time; a task that overruns its time limit has
its worker killed and replaced, and gets verdict ``unknown`` (time limit);
a worker that dies (out of memory, crash) gives ``unknown`` too. Results come
back in task order whatever the number of workers.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection, wait

from derivcheck.bounds import WORKER_GRACE_SECONDS as GRACE_SECONDS
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.config import CheckConfig


def _limit_memory(megabytes: int) -> None:
    try:
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # pragma: no cover - platform without rlimits
        pass


def _worker_main(conn: Connection, config: CheckConfig) -> None:
    from derivcheck.check.engine import run_task

    if config.memory_limit_mb:
        _limit_memory(config.memory_limit_mb)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        index, task = message
        try:
            outcome = run_task(task, config)
        except MemoryError:
            outcome = Outcome(Verdict.UNKNOWN, "memory limit", "the check ran out of memory")
        except Exception as exc:  # a bug must not take the run down; report it as unknown
            outcome = Outcome(Verdict.UNKNOWN, "internal error", f"{type(exc).__name__}: {exc}")
        try:
            conn.send((index, outcome))
        except MemoryError:
            conn.send((index, Outcome(Verdict.UNKNOWN, "memory limit", "the check ran out of memory")))


class _Worker:
    def __init__(self, context, config: CheckConfig):
        parent, child = context.Pipe()
        self.conn = parent
        self.process = context.Process(target=_worker_main, args=(child, config), daemon=True)
        self.process.start()
        child.close()
        self.index: int | None = None
        self.started = 0.0

    def give(self, index: int, task) -> None:
        self.index = index
        self.started = time.monotonic()
        self.conn.send((index, task))

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


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def run_in_workers(
    tasks: Sequence, config: CheckConfig, done: Callable[[int, Outcome], None]
) -> None:
    """Run ``tasks`` in ``config.jobs`` worker processes; call ``done(index, outcome)`` for each."""
    if not tasks:
        return
    context = _context()
    limit = config.timeout + GRACE_SECONDS + 0.5 * config.timeout
    workers = [_Worker(context, config) for _ in range(min(config.jobs, len(tasks)))]
    queue = list(range(len(tasks)))[::-1]
    try:
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
        for worker in workers:
            worker.stop(kill=worker.index is not None)


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
        f"stopped after {config.timeout:g} s (the check did not return)",
        hint="split the step into smaller steps, or raise --timeout",
    )
