"""A result cache on disk (SQLite): never changes a verdict, only skips recomputing it.

The key hashes derivcheck's and SymPy's versions, the options that change
verdicts, and the full SymPy form of the task (both sides after every
definition is expanded, the conditions, the declarations), so any edit that
can change a check's answer changes its key.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
import sqlite3
from pathlib import Path

from derivcheck.check.outcome import Outcome, Verdict

_DUMMY = re.compile(r"dummy_index=\d+")
_GITIGNORE = "# Created by derivcheck automatically.\n*\n"


@functools.lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """A hash of the checking and parsing code, so that a changed engine never reuses old verdicts."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder in ("check", "parse", "load"):
        for source in sorted((root / folder).glob("*.py")):
            digest.update(source.read_bytes())
    digest.update((root / "bounds.py").read_bytes())  # the bounds change verdicts too
    return digest.hexdigest()[:16]


def task_key(task, config_key: str) -> str:
    """Return the cache key of a task under a configuration."""
    import sympy

    from derivcheck.version import __version__

    parts = [__version__, engine_fingerprint(), sympy.__version__, config_key, type(task).__name__]
    for field in dataclasses.fields(task):
        parts.append(_canonical(getattr(task, field.name)))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _canonical(value) -> str:
    import sympy

    if isinstance(value, sympy.Basic):
        return _DUMMY.sub("", sympy.srepr(value))
    if dataclasses.is_dataclass(value):
        return "(" + ",".join(_canonical(getattr(value, f.name)) for f in dataclasses.fields(value)) + ")"
    if isinstance(value, (tuple, list)):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_canonical(k)}:{_canonical(v)}" for k, v in value.items()) + "}"
    return repr(value)


def outcome_to_json(outcome: Outcome) -> str:
    return json.dumps(dataclasses.asdict(outcome), sort_keys=True)


def outcome_from_json(text: str) -> Outcome | None:
    """Return the Outcome stored in ``text``; None if the entry is unreadable."""
    try:
        data = json.loads(text)
        data["verdict"] = Verdict(data["verdict"])
        for key in ("values", "sizes", "tried", "value", "claimed", "tol", "failing"):
            if data.get(key) is not None:
                data[key] = tuple(data[key])
        return Outcome(**data)
    except (ValueError, TypeError, KeyError):
        return None


class ResultCache:
    """Outcomes by key in ``DIR/results.sqlite3``; a damaged database is replaced."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        ignore = self.directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text(_GITIGNORE)
        self.path = self.directory / "results.sqlite3"
        self.db = self._open()

    def _open(self) -> sqlite3.Connection | None:
        for attempt in range(2):
            try:
                db = sqlite3.connect(self.path, timeout=10)
                db.execute("CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, outcome TEXT)")
                db.commit()
                return db
            except sqlite3.DatabaseError:
                if attempt == 0:
                    self.path.unlink(missing_ok=True)
        return None

    def get(self, key: str) -> Outcome | None:
        if self.db is None:
            return None
        try:
            row = self.db.execute("SELECT outcome FROM results WHERE key = ?", (key,)).fetchone()
        except sqlite3.DatabaseError:
            return None
        return outcome_from_json(row[0]) if row else None

    def put_many(self, items: list[tuple[str, Outcome]]) -> None:
        if self.db is None or not items:
            return
        try:
            with self.db:
                self.db.executemany(
                    "INSERT OR REPLACE INTO results (key, outcome) VALUES (?, ?)",
                    [(key, outcome_to_json(o)) for key, o in items],
                )
        except sqlite3.DatabaseError:
            pass

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
