"""The result cache keeps its data: a lock never deletes it, damage is repaired once and said, it stays bounded.

Issue 25, items 4, 5 and 8; and what was measured fine (concurrent runs lose no row,
a truncated cache recovers).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from derivcheck.api import verify_paths
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.check.run.cache import (
    DATABASE,
    CacheUnusable,
    ResultCache,
    cache_info,
    cache_version,
    clear_cache,
)
from derivcheck.cli import app
from derivcheck.config import CheckConfig

ROOT = Path(__file__).resolve().parents[2]
RIGHT = "title: t\nsymbols: {x: real}\nsteps:\n  - (x + 1)**2\n  - x**2 + 2*x + 1\n"
DAY = 86_400.0


@pytest.fixture(autouse=True)
def private_config(tmp_path, monkeypatch):
    """Cache secrets go to a config folder of this test, not the user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def outcome(k: int, padding: int = 0) -> Outcome:
    return Outcome(Verdict.PROVED, "expand", detail=f"row {k}" + "." * padding)


def detail(found: Outcome | None) -> str | None:
    return found.detail if found is not None else None


def filled(folder: Path, count: int, padding: int = 0, day: float = 0.0) -> ResultCache:
    cache = ResultCache(folder, clock=lambda: day * DAY)
    cache.put_many([(f"k{k}", outcome(k, padding)) for k in range(count)])
    return cache


def keys_in(folder: Path) -> set[str]:
    db = sqlite3.connect(folder / DATABASE)
    try:
        return {key for (key,) in db.execute("SELECT key FROM results")}
    finally:
        db.close()


class Warnings(list):
    def __call__(self, message: str) -> None:
        self.append(message)


# -- a lock is waited for, then the cache is skipped; it is never deleted ----------------------------------


def test_a_locked_database_is_never_deleted(tmp_path):
    folder = tmp_path / "cache"
    filled(folder, 5).close()
    holder = sqlite3.connect(folder / DATABASE)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing for longer than the wait
    try:
        with pytest.raises(CacheUnusable, match="stayed locked by another process for 0.2 s"):
            ResultCache(folder, wait_seconds=0.2)
    finally:
        holder.rollback()
        holder.close()
    assert keys_in(folder) == {f"k{k}" for k in range(5)}
    again = ResultCache(folder)
    assert detail(again.get("k3")) == "row 3"
    again.close()


def test_a_lock_taken_during_the_run_skips_the_cache_for_the_rest_of_it(tmp_path):
    folder = tmp_path / "cache"
    filled(folder, 3).close()
    warnings = Warnings()
    cache = ResultCache(folder, warn=warnings, wait_seconds=0.2)
    holder = sqlite3.connect(folder / DATABASE)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert cache.get("k1") is None
        assert cache.get("k2") is None  # no second wait: skipped for this run
        cache.put_many([("new", outcome(9))])
    finally:
        holder.rollback()
        holder.close()
    cache.close()
    assert len(warnings) == 1 and "stayed locked" in warnings[0] and "goes on without the result cache" in warnings[0]
    assert keys_in(folder) == {"k0", "k1", "k2"}


def test_a_locked_cache_is_waited_for_once_per_run_and_the_run_goes_on(tmp_path, monkeypatch):
    import derivcheck.check.run.cache as cache_module

    folder, doc = tmp_path / "cache", tmp_path / "d.yaml"
    doc.write_text("title: t\nsymbols: {x: real}\nsteps:\n  - (x + 1)**2\n  - x**2 + 1\n  - x**2 + 2*x + 1\n")
    filled(folder, 3).close()
    opened = []

    class Counted(ResultCache):
        def __init__(self, *args, **kwargs) -> None:
            opened.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(cache_module, "MAX_CACHE_WAIT_SECONDS", 0.2)
    monkeypatch.setattr(cache_module, "ResultCache", Counted)
    holder = sqlite3.connect(folder / DATABASE)
    holder.execute("BEGIN EXCLUSIVE")
    try:  # a wrong step: the run checks, places the slip and diagnoses (several batches of checks)
        report = verify_paths([str(doc)], CheckConfig(jobs=1, cache_dir=folder))
    finally:
        holder.rollback()
        holder.close()
    assert report.exit_code == 1 and len(opened) == 1
    assert len(report.warnings) == 1 and "stayed locked by another process for 0.2 s" in report.warnings[0]
    assert keys_in(folder) == {"k0", "k1", "k2"}


# -- a damaged database is detected once, said in one line, rebuilt -----------------------------------------


def damage_every_page_after_the_schema(database: Path) -> None:
    data = bytearray(database.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    assert len(data) > 3 * page  # the rows fill more than the schema page
    data[page:] = b"\xa5" * (len(data) - page)
    database.write_bytes(bytes(data))


def test_a_database_damaged_past_its_schema_is_rebuilt_once_with_one_warning(tmp_path):
    folder = tmp_path / "cache"
    filled(folder, 200, padding=200).close()
    damage_every_page_after_the_schema(folder / DATABASE)
    warnings = Warnings()
    cache = ResultCache(folder, warn=warnings)  # the schema page reads fine
    assert cache.get("k1") is None and cache.get("k2") is None
    cache.put_many([("fresh", outcome(1))])
    cache.close()
    assert len(warnings) == 1
    damaged = "was damaged (database disk image is malformed); it was rebuilt"
    assert warnings == [f"the result cache {folder / DATABASE} {damaged}"]
    db = sqlite3.connect(folder / DATABASE)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()
    later = Warnings()
    again = ResultCache(folder, warn=later)
    assert detail(again.get("fresh")) == "row 1" and later == []
    again.close()


def test_a_damaged_cache_in_a_run_is_said_once_and_the_next_run_uses_it(tmp_path):
    folder, doc = tmp_path / "cache", tmp_path / "d.yaml"
    doc.write_text(RIGHT)
    filled(folder, 200, padding=200).close()
    damage_every_page_after_the_schema(folder / DATABASE)
    config = CheckConfig(jobs=1, cache_dir=folder)
    first = verify_paths([str(doc)], config)
    assert first.exit_code == 0
    assert len(first.warnings) == 1 and "was damaged" in first.warnings[0] and "\n" not in first.warnings[0]
    second = verify_paths([str(doc)], config)
    assert second.warnings == () and second.cached == 1 and second.computed == 0


@pytest.mark.parametrize("keep", [0.3, 0.7])
def test_a_truncated_cache_recovers(tmp_path, keep):
    folder, doc = tmp_path / "cache", tmp_path / "d.yaml"
    doc.write_text(RIGHT)
    filled(folder, 200, padding=200).close()
    database = folder / DATABASE
    data = database.read_bytes()
    database.write_bytes(data[: int(len(data) * keep)])
    config = CheckConfig(jobs=1, cache_dir=folder)
    assert verify_paths([str(doc)], config).exit_code == 0
    again = verify_paths([str(doc)], config)
    assert again.cached == 1 and again.warnings == ()


KILLED_WRITER = """
import os, signal, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("PRAGMA cache_size = 1")  # spill pages to the file: the journal becomes hot
db.execute("BEGIN")
db.execute("UPDATE results SET outcome = outcome || 'half-written'")
assert os.path.exists(sys.argv[1] + "-journal")
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.slow  # a subprocess killed mid-write
def test_a_writer_killed_mid_write_leaves_a_cache_that_is_rolled_back_and_used(tmp_path):
    folder = tmp_path / "cache"
    filled(folder, 300, padding=500).close()
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(folder / DATABASE)], timeout=120)
    assert killed.returncode == -9 and (folder / f"{DATABASE}-journal").exists()
    warnings = Warnings()
    cache = ResultCache(folder, warn=warnings)
    found = cache.get("k7")
    cache.close()
    assert found is not None and found.detail.startswith("row 7") and "half-written" not in found.detail
    assert warnings == [] and len(keys_in(folder)) == 300


# -- bounded: unused rows, rows of another version, and the size -------------------------------------------


def test_rows_unused_for_the_idle_days_are_pruned_on_write_and_a_hit_keeps_a_row(tmp_path):
    folder = tmp_path / "cache"
    filled(folder, 3, day=100).close()
    reader = ResultCache(folder, clock=lambda: 120 * DAY, idle_days=30)
    assert detail(reader.get("k1")) == "row 1"  # used on day 120
    reader.put_many([])
    reader.close()
    writer = ResultCache(folder, clock=lambda: 135 * DAY, idle_days=30)
    writer.put_many([("new", outcome(7))])
    writer.close()
    assert keys_in(folder) == {"k1", "new"}  # k0 and k2 were last used on day 100


def test_rows_of_another_derivcheck_or_sympy_version_are_pruned_on_write(tmp_path):
    folder = tmp_path / "cache"
    filled(folder, 3).close()
    db = sqlite3.connect(folder / DATABASE)
    db.execute("UPDATE results SET version = 'derivcheck 0.0.1+old, sympy 1.0' WHERE key = 'k0'")
    db.commit()
    db.close()
    info = cache_info(folder)
    assert info.rows == 3 and info.other_versions == 1
    cache = ResultCache(folder, clock=lambda: 0.0)
    assert cache.version == cache_version()
    cache.put_many([("new", outcome(4))])
    cache.close()
    assert keys_in(folder) == {"k1", "k2", "new"}


def test_the_cache_stays_under_its_size_bound_keeping_the_recent_rows(tmp_path):
    folder, bound = tmp_path / "cache", 256 * 1024
    for batch in range(12):
        cache = ResultCache(folder, clock=lambda day=batch: day * DAY, max_bytes=bound)
        cache.put_many([(f"b{batch}-{k}", outcome(k, padding=1000)) for k in range(40)])  # ~40 kB a batch
        cache.close()
        db = sqlite3.connect(folder / DATABASE)
        pages = db.execute("PRAGMA page_count").fetchone()[0] - db.execute("PRAGMA freelist_count").fetchone()[0]
        size = pages * db.execute("PRAGMA page_size").fetchone()[0]
        db.close()
        assert size <= bound
    keys = keys_in(folder)
    assert {f"b11-{k}" for k in range(40)} <= keys  # the newest batch is kept
    assert not any(key.startswith("b0-") for key in keys)  # the oldest went first
    assert (folder / DATABASE).stat().st_size <= 2 * bound  # freed pages are reused, the file does not grow


def test_a_database_of_an_older_derivcheck_layout_is_replaced(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    db = sqlite3.connect(folder / DATABASE)
    db.execute("CREATE TABLE results (key TEXT PRIMARY KEY, outcome TEXT NOT NULL, mac TEXT NOT NULL)")
    db.execute("INSERT INTO results VALUES ('old', '{}', 'x')")
    db.commit()
    db.close()
    warnings = Warnings()
    cache = ResultCache(folder, warn=warnings)
    cache.put_many([("new", outcome(1))])
    cache.close()
    assert keys_in(folder) == {"new"} and warnings == []


# -- derivcheck cache info / clear ---------------------------------------------------------------------------


def test_cache_info_and_clear(tmp_path):
    folder = tmp_path / "cache"
    empty = cache_info(folder)
    assert (empty.exists, empty.rows, empty.size) == (False, 0, 0) and not folder.exists()  # nothing created
    filled(folder, 4).close()
    info = cache_info(folder)
    assert info.exists and info.rows == 4 and info.size == (folder / DATABASE).stat().st_size > 0
    assert info.database == folder / DATABASE and info.oldest_use_days is not None
    runner = CliRunner()
    shown = runner.invoke(app, ["cache", "info", "--cache-dir", str(folder)])
    assert shown.exit_code == 0
    assert f"location: {folder / DATABASE}\n" in shown.stdout and "rows: 4\n" in shown.stdout
    assert f"size: {info.size} bytes" in shown.stdout
    cleared = runner.invoke(app, ["cache", "clear", "--cache-dir", str(folder)])
    assert cleared.exit_code == 0 and f"removed {folder / DATABASE} (4 rows, " in cleared.stdout
    assert not (folder / DATABASE).exists() and cache_info(folder).rows == 0
    again = runner.invoke(app, ["cache", "clear", "--cache-dir", str(folder)])
    assert again.exit_code == 0 and "no cache at" in again.stdout


def test_cache_clear_never_follows_a_link(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    (folder / DATABASE).symlink_to(victim)
    with pytest.raises(CacheUnusable, match="not a regular file"):
        clear_cache(folder)
    run = CliRunner().invoke(app, ["cache", "clear", "--cache-dir", str(folder)])
    assert run.exit_code == 2 and "not a regular file" in run.stderr
    assert victim.read_text() == "keep me"
    assert cache_info(folder).problem is not None


def test_cache_commands_use_the_configured_folder(tmp_path, monkeypatch):
    folder = tmp_path / "from-env"
    filled(folder, 2).close()
    monkeypatch.setenv("DERIVCHECK_CACHE_DIR", str(folder))
    monkeypatch.chdir(tmp_path)
    shown = CliRunner().invoke(app, ["cache", "info"])
    assert shown.exit_code == 0 and str(folder / DATABASE) in shown.stdout and "rows: 2" in shown.stdout


# -- concurrent runs on one cache ----------------------------------------------------------------------------


@pytest.mark.slow  # four CLI subprocesses at once
def test_four_concurrent_runs_on_one_cache_agree_and_lose_no_row(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    for k in range(6):
        (docs / f"d{k}.yaml").write_text(
            f"title: t{k}\nsymbols: {{x: real}}\nsteps:\n  - (x + {k})**2\n  - x**2 + {2 * k}*x + {k * k}\n"
            f"  - x*(x + {2 * k}) + {k * k}\n"
        )
    folder = tmp_path / "cache"
    env = {"PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path / "config"), "PATH": "/usr/bin:/bin"}
    args = [sys.executable, "-m", "derivcheck", "verify", "--jobs", "1", "--format", "json",
            "--cache-dir", str(folder), str(docs)]
    runs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) for _ in range(4)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert all(run.returncode == 0 for run in runs), [err for _, err in outputs]
    assert all(err == b"" for _, err in outputs)
    assert len({out for out, _ in outputs}) == 1  # the same report from each
    assert len(json.loads(outputs[0][0])["results"]) == 12
    alone = tmp_path / "alone"
    verify_paths([str(docs)], CheckConfig(jobs=1, cache_dir=alone))
    assert keys_in(folder) == keys_in(alone)  # every row a single run writes
    again = verify_paths([str(docs)], CheckConfig(jobs=1, cache_dir=folder))
    assert again.cached == 12 and again.computed == 0


def test_a_lock_held_when_the_results_are_saved_loses_only_those_results(tmp_path):
    folder = tmp_path / "cache"
    filled(folder, 2).close()
    warnings = Warnings()
    cache = ResultCache(folder, warn=warnings, wait_seconds=0.2)
    assert detail(cache.get("k1")) == "row 1"
    holder = sqlite3.connect(folder / DATABASE)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        cache.put_many([("new", outcome(5))])
    finally:
        holder.rollback()
        holder.close()
    cache.close()
    assert len(warnings) == 1 and warnings[0].endswith("stayed locked by another process for 0.2 s; "
                                                       "these results were not saved")
    assert keys_in(folder) == {"k0", "k1"}
