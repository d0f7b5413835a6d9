"""The result cache is untrusted: planted rows are useless, hostile databases neither hang nor crash the run."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from derivcheck.api import verify_paths
from derivcheck.check.outcome import Verdict
from derivcheck.check.run.cache import SCHEMA, CacheUnusable, ResultCache, cache_secret_path
from derivcheck.config import CheckConfig

WRONG = "title: t\nsymbols: {x: real}\nsteps:\n  - (x + 1)**2\n  - x**2 + 1\n"
RIGHT = "title: t\nsymbols: {x: real}\nsteps:\n  - (x + 1)**2\n  - x**2 + 2*x + 1\n"
RECURSIVE = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 50000000) SELECT count(*) FROM c"


@pytest.fixture(autouse=True)
def private_config(tmp_path, monkeypatch):
    """Cache secrets go to a config folder of this test, not the user's."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def check(doc: Path, cache: Path | None):
    return verify_paths([str(doc)], CheckConfig(jobs=1, cache_dir=cache, timeout=10.0))


def flip_every_row_to_proved(database: Path) -> int:
    db = sqlite3.connect(database)
    rows = db.execute("SELECT key, outcome FROM results").fetchall()
    for key, outcome in rows:
        db.execute(
            "UPDATE results SET outcome = ? WHERE key = ?",
            (outcome.replace('"verdict": "wrong"', '"verdict": "proved"'), key),
        )
    db.commit()
    db.close()
    return len(rows)


def test_a_row_flipped_to_proved_does_not_make_a_wrong_step_pass(tmp_path):
    doc, cache = tmp_path / "d.yaml", tmp_path / "cache"
    doc.write_text(WRONG)
    assert check(doc, cache).exit_code == 1
    assert flip_every_row_to_proved(cache / "results.sqlite3") >= 1
    again = check(doc, cache)
    assert again.exit_code == 1 and again.results[0].verdict is Verdict.WRONG
    assert again.cached == 0  # the edited row was not used


def test_a_planted_cache_with_its_own_secret_is_useless(tmp_path, monkeypatch):
    """A pull request commits a cache made on the attacker's machine (another secret)."""
    doc = tmp_path / "d.yaml"
    doc.write_text(WRONG)
    planted = tmp_path / "checkout" / ".derivcheck_cache"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "attacker"))
    check(doc, planted)
    flip_every_row_to_proved(planted / "results.sqlite3")
    # The rows are signed with the attacker's secret (a valid MAC for the flipped text is not even needed).
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "ci"))
    report = check(doc, planted)
    assert report.exit_code == 1 and report.cached == 0


def test_the_secret_lives_outside_the_cache_with_mode_0600(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    cache.close()
    secret = cache_secret_path(tmp_path / "cache")
    assert secret.is_file() and not secret.resolve().is_relative_to((tmp_path / "cache").resolve())
    assert secret.stat().st_mode & 0o777 == 0o600


def test_a_secret_others_can_read_makes_the_cache_unusable(tmp_path):
    ResultCache(tmp_path / "cache").close()
    os.chmod(cache_secret_path(tmp_path / "cache"), 0o644)
    with pytest.raises(CacheUnusable, match="not private"):
        ResultCache(tmp_path / "cache")


def test_every_statement_is_bounded(tmp_path):
    cache = ResultCache(tmp_path / "cache")
    with pytest.raises(sqlite3.OperationalError, match="interrupt"):
        cache._run(RECURSIVE)
    cache.close()


@pytest.mark.slow  # a subprocess
@pytest.mark.parametrize(
    "schema",
    [
        # A view named like the table, answering every key with a recursive query.
        "CREATE VIEW results AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
        "SELECT CAST(x AS TEXT) AS key, 'x' AS outcome, 'y' AS mac FROM c",
        # The right table, plus a trigger that runs a recursive query on every insert.
        SCHEMA + "; CREATE TRIGGER t AFTER INSERT ON results BEGIN SELECT count(*) FROM "
        "(WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c); END",
        # An extra table.
        SCHEMA + "; CREATE TABLE other (a)",
    ],
    ids=["recursive-view", "trigger", "extra-table"],
)
def test_a_planted_database_with_a_view_or_trigger_is_refused_quickly(tmp_path, schema):
    folder = tmp_path / "cache"
    folder.mkdir()
    db = sqlite3.connect(folder / "results.sqlite3")
    db.executescript(schema)
    db.close()
    doc = tmp_path / "d.yaml"
    doc.write_text(RIGHT)
    proc = subprocess.run(
        [sys.executable, "-m", "derivcheck", "verify", "--jobs", "1", "--cache-dir", str(folder), str(doc)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "cfg")},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if "cannot use the result cache" in line]
    assert len(warnings) == 1 and "views or triggers" in warnings[0]
    assert "Traceback" not in proc.stderr


def unusable_paths(tmp_path: Path) -> dict[str, Path]:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    folder = tmp_path / "db-is-a-folder"
    (folder / "results.sqlite3").mkdir(parents=True)
    fifo = tmp_path / "db-is-a-fifo"
    fifo.mkdir()
    os.mkfifo(fifo / "results.sqlite3")
    link = tmp_path / "db-is-a-link"
    link.mkdir()
    (link / "results.sqlite3").symlink_to("/dev/zero")
    return {
        "a file": a_file, "/dev/null": Path("/dev/null"), "inside a file": a_file / "cache",
        "database is a folder": folder, "database is a FIFO": fifo, "database is a link": link,
    }


@pytest.mark.parametrize(
    "case", ["a file", "/dev/null", "inside a file", "database is a folder", "database is a FIFO", "database is a link"]
)
def test_an_unusable_cache_is_one_warning_and_the_run_goes_on(tmp_path, case):
    path = unusable_paths(tmp_path)[case]
    doc = tmp_path / "d.yaml"
    doc.write_text(WRONG)
    report = check(doc, path)
    assert report.exit_code == 1 and report.results[0].verdict is Verdict.WRONG
    assert len(report.warnings) == 1 and report.warnings[0].startswith("cannot use the result cache")
    assert "\n" not in report.warnings[0]


def test_a_damaged_database_file_is_replaced(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    (folder / "results.sqlite3").write_bytes(b"garbage" * 100)
    doc = tmp_path / "d.yaml"
    doc.write_text(RIGHT)
    (warning,) = check(doc, folder).warnings  # proven damaged (not a database): replaced, and said once
    assert "was damaged (file is not a database); it was rebuilt" in warning
    again = check(doc, folder)
    assert again.warnings == () and again.cached == 1
