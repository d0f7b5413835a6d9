"""Run checks: cached outcomes first, the rest in this process or in worker processes."""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from derivcheck.check.evidence.stage import Check, Checked, gather_evidence
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.config import CheckConfig

if TYPE_CHECKING:
    from derivcheck.check.run.cache import ResultCache

# Outcomes that depend on the machine's speed or memory are not cached.
_TRANSIENT = {"time limit", "memory limit", "worker stopped", "internal error"}


@dataclass
class RunStats:
    """How many checks were answered from the cache and how many were computed; warnings for the user."""

    cached: int = 0
    computed: int = 0
    warnings: list[str] = field(default_factory=list)
    cache_off: bool = False  # the cache proved unusable or stayed locked: not tried again in this run

    def warn(self, message: str) -> None:
        """Keep ``message`` once."""
        if message not in self.warnings:
            self.warnings.append(message)


def open_cache(config: CheckConfig, stats: RunStats | None) -> ResultCache | None:
    """The run's ResultCache, or None (no cache configured, or unusable: then a warning in ``stats``)."""
    from derivcheck.check.run.cache import CacheUnusable, ResultCache

    if not config.cache_dir or (stats is not None and stats.cache_off):
        return None
    try:
        return ResultCache(config.cache_dir, warn=stats.warn if stats is not None else None)
    except CacheUnusable as exc:
        if stats is not None:
            stats.warn(f"cannot use the result cache: {exc}; checking without it")
            stats.cache_off = True
        return None


def run_tasks(
    tasks: Sequence,
    config: CheckConfig,
    progress: Callable[[int, int], None] | None = None,
    stats: RunStats | None = None,
) -> list[Outcome]:
    """Return one Outcome per task, in task order (``stats`` is updated if given)."""
    from derivcheck.check.run.cache import task_key

    outcomes: list[Outcome | None] = [None] * len(tasks)
    cache = open_cache(config, stats) if tasks else None
    keys: list[str | None] = []
    if cache is not None:
        keys = [task_key(task, config.verdict_key()) for task in tasks]
        for index, key in enumerate(keys):
            outcomes[index] = cache.get(key) if key is not None else None
    todo = [i for i, o in enumerate(outcomes) if o is None]
    if stats is not None:
        stats.cached += len(tasks) - len(todo)
        stats.computed += len(todo)
    finished = len(tasks) - len(todo)
    fresh: list[tuple[str, Outcome]] = []

    def done(position: int, outcome: Outcome) -> None:
        nonlocal finished
        index = todo[position]
        outcomes[index] = outcome
        finished += 1
        key = keys[index] if cache is not None else None
        if key is not None and outcome.method not in _TRANSIENT:
            fresh.append((key, outcome))
        if progress:
            progress(finished, len(tasks))

    if progress:
        progress(finished, len(tasks))
    pending = [tasks[i] for i in todo]
    # The parsed documents stay alive for the whole run; keep the garbage
    # collector from rescanning them after every few checks (it made long
    # in-process runs grow faster than linearly).
    gc.freeze()
    try:
        if config.jobs <= 1:
            from derivcheck.check.ladder.engine import run_task

            for position, task in enumerate(pending):
                done(position, _safe_run(run_task, task, config))
        else:
            from derivcheck.check.run.pool import run_in_workers

            run_in_workers(pending, config, done)
    finally:
        gc.unfreeze()
        if cache is not None:
            cache.put_many(fresh)
            cache.close()
            if stats is not None and cache.skipped:
                stats.cache_off = True
    return [o if o is not None else Outcome(Verdict.UNKNOWN, "internal error") for o in outcomes]


def run_checks(
    checks: Sequence[Check],
    config: CheckConfig,
    progress: Callable[[int, int], None] | None = None,
    stats: RunStats | None = None,
) -> list[Checked]:
    """The whole run of a plan: every check up the ladder, then the evidence stage, in one pass.

    The evidence stage (``check.evidence.stage``) places each step in its chain,
    diagnoses the wrong ones and tries other readings; the re-checks it asks
    for run here like any check (cache, workers, limits). One Checked per check, in order.
    """
    outcomes = run_tasks([check.task for check in checks], config, progress, stats)
    return gather_evidence(checks, outcomes, lambda tasks: run_tasks(tasks, config, stats=stats))


def _safe_run(run_task: Callable[[Any, CheckConfig], Outcome], task: object, config: CheckConfig) -> Outcome:
    try:
        return run_task(task, config)
    except MemoryError:
        from derivcheck.check.limits import memory_limit_outcome

        return memory_limit_outcome()
    except Exception as exc:  # a bug must not take the run down; report it as unknown
        return Outcome(Verdict.UNKNOWN, "internal error", f"{type(exc).__name__}: {exc}")
