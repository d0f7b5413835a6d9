"""Budgets in CPU time: verdicts do not depend on how busy the machine is; limits clamp to what the OS allows."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from derivcheck.api import verify_paths
from derivcheck.check.limits import cpu_seconds, memory_limit_outcome, time_limit
from derivcheck.check.run.pool import backstop_seconds
from derivcheck.config import CheckConfig
from derivcheck.errors import CheckTimeout

ROOT = Path(__file__).resolve().parents[2]
BUSY = "while True:\n    pass\n"


def test_waiting_without_using_cpu_does_not_use_up_a_budget():
    # A wall-clock deadline would fire here: the block lasts 0.6 s and the budget is 0.2 s.
    with time_limit(0.2):
        time.sleep(0.6)


def test_using_cpu_does_use_up_a_budget():
    started = cpu_seconds()
    with pytest.raises(CheckTimeout):
        with time_limit(0.2):
            while cpu_seconds() - started < 30:  # the budget must end this long before
                pass
    assert cpu_seconds() - started < 30


def test_nested_budgets_keep_the_tighter_one():
    started = cpu_seconds()
    with pytest.raises(CheckTimeout):
        with time_limit(0.3):
            with time_limit(20):
                while cpu_seconds() - started < 30:
                    pass
    assert cpu_seconds() - started < 20


def test_the_wall_clock_backstop_is_a_generous_multiple_of_the_budget():
    for timeout in (0.5, 2.0, 10.0, 60.0):
        assert backstop_seconds(CheckConfig(timeout=timeout)) >= 4 * timeout


@pytest.mark.slow  # a subprocess
def test_a_memory_limit_above_what_the_os_allows_is_clamped(tmp_path):
    # In a child process: lowering the hard limit first, then asking for far more.
    code = (
        "import resource\n"
        "from derivcheck.check.limits import limit_memory\n"
        "hard = 8 * 1024**3\n"
        "resource.setrlimit(resource.RLIMIT_AS, (hard, hard))\n"
        "limit_memory(1024 * 1024)  # 1 TiB in MiB\n"
        "print(resource.getrlimit(resource.RLIMIT_AS)[0] == hard)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert run.stdout.strip() == "True", run.stderr


def test_every_memory_limit_outcome_is_the_same():
    import inspect

    from derivcheck.check.ladder import engine
    from derivcheck.check.run import pool, runner

    outcome = memory_limit_outcome()
    assert outcome.method == "memory limit" and outcome.verdict.value == "unknown"
    for module in (engine, pool, runner):
        assert "ran out of memory" not in inspect.getsource(module)  # built in limits only


def library_verdicts(files: list[str]) -> list[tuple[str, int | None, str]]:
    report = verify_paths(files, CheckConfig(jobs=2, cache_dir=None, timeout=10.0))
    return [(r.file, r.line, str(r.verdict)) for r in report.results]


@pytest.mark.slow  # a subprocess
def test_verdicts_are_the_same_while_busy_processes_take_every_core():
    files = [str(p) for p in sorted((ROOT / "derivations" / "sigmoid").glob("*.yaml"))[:3]]
    assert files
    idle = library_verdicts(files)
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(os.cpu_count() or 1)]
    try:
        loaded = library_verdicts(files)
    finally:
        for process in busy:
            process.kill()
            process.wait()
    assert loaded == idle
