"""The runner: result cache (invalidation, corruption, equal results), workers and time limits."""

import json
import signal
import time
from pathlib import Path

import pytest

from derivcheck.api import verify_paths
from derivcheck.check.outcome import Verdict
from derivcheck.config import CheckConfig
from derivcheck.report.fields import report_fields

DOC = """\
title: cached
symbols:
  x: real
  y: real
functions:
  f(t): {f}
steps:
  - f(x) + y
  - y + f(x)
  - {last}
"""


def write(path: Path, f="t**2", last="y + x**2"):
    path.write_text(DOC.format(f=f, last=last))


def run(path: Path, cache: Path, jobs: int = 1):
    return verify_paths([str(path)], CheckConfig(jobs=jobs, cache_dir=cache))


def test_second_run_is_served_from_cache_with_identical_json(tmp_path):
    doc, cache = tmp_path / "d.yaml", tmp_path / "cache"
    write(doc)
    cold = run(doc, cache)
    warm = run(doc, cache)
    assert cold.computed == 2 and cold.cached == 0
    assert warm.computed == 0 and warm.cached == 2
    assert json.dumps(report_fields(cold)) == json.dumps(report_fields(warm))
    assert (cache / ".gitignore").read_text().strip().endswith("*")
    uncached = verify_paths([str(doc)], CheckConfig(jobs=1, cache_dir=None))
    assert json.dumps(report_fields(uncached)) == json.dumps(report_fields(warm))


def test_changing_a_definition_rechecks_the_steps_that_use_it(tmp_path):
    doc, cache = tmp_path / "d.yaml", tmp_path / "cache"
    write(doc)
    run(doc, cache)
    write(doc, f="t**3", last="y + x**3")
    again = run(doc, cache)
    assert again.computed == 2 and again.cached == 0


def test_changing_one_step_rechecks_only_the_pairs_it_touches(tmp_path):
    doc, cache = tmp_path / "d.yaml", tmp_path / "cache"
    write(doc)
    run(doc, cache)
    write(doc, last="y + x**2 + sin(x)**2 + cos(x)**2 - 1")
    again = run(doc, cache)
    assert again.cached == 1 and again.computed == 1


def test_a_corrupt_cache_is_ignored_and_rebuilt(tmp_path):
    doc, cache = tmp_path / "d.yaml", tmp_path / "cache"
    write(doc)
    first = run(doc, cache)
    (cache / "results.sqlite3").write_bytes(b"this is not a database" * 100)
    second = run(doc, cache)
    assert [r.verdict for r in second.results] == [r.verdict for r in first.results]
    third = run(doc, cache)
    assert third.cached == 2


def test_an_unreadable_entry_is_recomputed(tmp_path):
    import sqlite3

    doc, cache = tmp_path / "d.yaml", tmp_path / "cache"
    write(doc)
    run(doc, cache)
    db = sqlite3.connect(cache / "results.sqlite3")
    db.execute("UPDATE results SET outcome = '{broken'")
    db.commit()
    db.close()
    again = run(doc, cache)
    assert again.computed == 2
    assert all(r.verdict is Verdict.PROVED for r in again.results)


@pytest.mark.slow
def test_jobs_1_and_2_give_the_same_results(tmp_path):
    doc = tmp_path / "d.yaml"
    write(doc, last="y - x**2")
    one = verify_paths([str(doc)], CheckConfig(jobs=1))
    two = verify_paths([str(doc)], CheckConfig(jobs=2))
    assert json.dumps(report_fields(one)) == json.dumps(report_fields(two))


def _stuck_check(task, config):
    # Stands for a check stuck in C code: the soft alarm cannot reach it.
    if str(task.previous) == "1 + 1/x":
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
        time.sleep(120)
    return _original(task, config)


_original = None


@pytest.mark.slow
def test_a_check_that_overruns_is_stopped_and_the_others_complete(tmp_path, monkeypatch):
    global _original
    import derivcheck.check.ladder.engine as engine

    _original = engine.check_step
    monkeypatch.setattr(engine, "check_step", _stuck_check)
    doc = tmp_path / "d.yaml"
    doc.write_text(
        "title: t\nsymbols: {x: positive}\nsteps:\n  - 1 + 1/x\n  - (x + 1)/x\n  - 1 + 1/x\n"
        "---\ntitle: u\nsymbols: {x: real}\nsteps:\n  - x + x\n  - 2*x\n"
    )
    started = time.monotonic()
    report = verify_paths([str(doc)], CheckConfig(jobs=2, timeout=1.0))
    elapsed = time.monotonic() - started
    verdicts = [(r.verdict, r.outcome.method) for r in report.results]
    assert verdicts[0] == (Verdict.UNKNOWN, "time limit")
    assert verdicts[1][0] is Verdict.PROVED and verdicts[2][0] is Verdict.PROVED
    assert elapsed < 30


@pytest.mark.slow
def test_cache_keys_are_the_same_in_every_process(tmp_path):
    # Hash randomization differs per process; keys must not depend on it.
    import os
    import subprocess
    import sys

    doc, cache = tmp_path / "d.yaml", tmp_path / "cache"
    doc.write_text(
        "title: t\nsymbols:\n  z: real vector\n  i, c: index 1..C\n  C: positive integer\n  b: positive nonzero real\n"
        "steps:\n  - Sum(z[c], (c, 1, C)) + b*z[i]\n  - z[i]*b + Sum(z[c], (c, 1, C))\n"
    )
    outputs = []
    for seed in ("0", "1", "2", "3", "4", "5", "6", "7"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run(
            [sys.executable, "-m", "derivcheck", "verify", "--jobs", "1", "--cache-dir", str(cache), str(doc)],
            capture_output=True, text=True, env=env, timeout=120,
        )
        outputs.append(proc.stdout)
    assert all("1 of 1 checks from the cache" in out for out in outputs[1:]), outputs
