"""A result cache on disk (SQLite): never changes a verdict, only skips recomputing it.

The key hashes derivcheck's and SymPy's versions, the options that change
verdicts, and the full SymPy form of the task (both sides after every
definition is expanded, the conditions, the declarations), so any edit that
can change a check's answer changes its key.

The cache folder is untrusted: a pull request can commit one. So every row
carries an HMAC-SHA256 of its key and outcome under a secret that belongs to
this cache and lives outside it (``cache_secret_path``: the user's config
folder, created with mode 0600); a row whose MAC does not match is ignored, so
a planted or edited row cannot supply a verdict. A database file is opened
read-only first and used only if its schema is exactly the one derivcheck
creates (no view, trigger or other table); every statement runs under a
bound on SQLite's work (a progress handler). A cache that cannot be used for
any reason is reported in one line (``CacheUnusable``) and the run goes on
without it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import stat
from pathlib import Path

from derivcheck.bounds import CACHE_PROGRESS_CALLS, CACHE_PROGRESS_STEP
from derivcheck.check.outcome import Outcome, Verdict

_DUMMY = re.compile(r"dummy_index=\d+")
_GITIGNORE = "# Created by derivcheck automatically.\n*\n"


@functools.lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """A hash of the checking and parsing code, so that a changed engine never reuses old verdicts."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for folder in ("check", "parse", "load"):
        for source in sorted((root / folder).rglob("*.py")):
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


SCHEMA = "CREATE TABLE results (key TEXT PRIMARY KEY, outcome TEXT NOT NULL, mac TEXT NOT NULL)"
_EXPECTED_SCHEMA = [("index", "sqlite_autoindex_results_1", None), ("table", "results", SCHEMA)]
_OLD_SCHEMA = [
    ("index", "sqlite_autoindex_results_1", None),
    ("table", "results", "CREATE TABLE results (key TEXT PRIMARY KEY, outcome TEXT)"),
]
DATABASE = "results.sqlite3"
# SQLite calls the progress handler every CACHE_PROGRESS_STEP virtual-machine
# instructions; a statement is interrupted after CACHE_PROGRESS_CALLS calls (about
# ten million instructions; a lookup by key needs about a hundred).
_SECRET_BYTES = 32


class CacheUnusable(Exception):
    """The cache cannot be used; the message says why in one line."""


def cache_secret_path(directory: Path) -> Path:
    """Where the secret of the cache in ``directory`` lives: the user's config folder, one file per cache."""
    import platformdirs

    name = hashlib.sha256(str(Path(directory).resolve()).encode()).hexdigest()[:32]
    return Path(platformdirs.user_config_dir("derivcheck")) / "cache-keys" / f"{name}.key"


def read_or_create_secret(path: Path) -> bytes:
    """Return the cache secret in ``path``, creating it (mode 0600) if missing; CacheUnusable if unsafe."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise CacheUnusable(f"cannot create {path.parent}: {exc.strerror or exc}") from None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        return _read_secret(path)
    except OSError as exc:
        raise CacheUnusable(f"cannot create the cache secret {path}: {exc.strerror or exc}") from None
    secret = secrets.token_hex(_SECRET_BYTES).encode()
    with os.fdopen(fd, "wb") as handle:
        handle.write(secret)
    return secret


def _read_secret(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise CacheUnusable(f"cannot read the cache secret {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise CacheUnusable(f"the cache secret {path} is not a regular file")
        if hasattr(os, "geteuid") and (info.st_uid != os.geteuid() or info.st_mode & 0o077):
            raise CacheUnusable(f"the cache secret {path} is not private to this user (mode 0600); remove it")
        secret = handle.read(4 * _SECRET_BYTES)
    if len(secret) != 2 * _SECRET_BYTES:
        raise CacheUnusable(f"the cache secret {path} is damaged; remove it")
    return secret


class ResultCache:
    """Authenticated outcomes by key in ``DIR/results.sqlite3``; a damaged database is replaced.

    Raises CacheUnusable when the folder or the database cannot be used safely.
    """

    def __init__(self, directory: Path, secret_path: Path | None = None):
        self.directory = Path(directory)
        self.path = self.directory / DATABASE
        self._calls_left = 0
        self._prepare_directory()
        self.secret = read_or_create_secret(secret_path or cache_secret_path(self.directory))
        self.rejected = 0
        self.db = self._open()

    def _prepare_directory(self) -> None:
        if self.directory.exists() and not self.directory.is_dir():
            raise CacheUnusable(f"{self.directory} is not a folder")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheUnusable(f"cannot create {self.directory}: {exc.strerror or exc}") from None
        ignore = self.directory / ".gitignore"
        try:
            if not ignore.exists() and not ignore.is_symlink():
                ignore.write_text(_GITIGNORE)
        except OSError:
            pass  # only a convenience
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise CacheUnusable(f"cannot read {self.path}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(info.st_mode):
            raise CacheUnusable(f"{self.path} is not a regular file")

    def _bounded(self, db: sqlite3.Connection) -> sqlite3.Connection:
        def progress() -> int:
            self._calls_left -= 1
            return 1 if self._calls_left < 0 else 0

        db.set_progress_handler(progress, CACHE_PROGRESS_STEP)
        return db

    def _run(self, sql: str, args=()) -> list:
        self._calls_left = CACHE_PROGRESS_CALLS
        return self.db.execute(sql, args).fetchall()

    def _schema_of_existing(self) -> list | None:
        """The schema of the existing database, read without writing; None if there is no file."""
        if not self.path.exists():
            return None
        uri = "file:" + str(self.path.resolve()) + "?mode=ro"
        db = self._bounded(sqlite3.connect(uri, uri=True, timeout=2))
        try:
            db.execute("PRAGMA trusted_schema = OFF")
            self._calls_left = CACHE_PROGRESS_CALLS
            return sorted(db.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
        finally:
            db.close()

    def _open(self) -> sqlite3.Connection:
        try:
            schema = self._schema_of_existing()
        except sqlite3.DatabaseError as exc:
            if "interrupted" in str(exc):
                raise CacheUnusable(f"{self.path} takes too long to read") from None
            schema = _OLD_SCHEMA  # not a database, or a damaged one: replace it
        if schema is not None and schema != _EXPECTED_SCHEMA:
            if schema != _OLD_SCHEMA:
                raise CacheUnusable(
                    f"{self.path} has tables, views or triggers that derivcheck does not create; "
                    "remove it or choose another --cache-dir"
                )
            try:
                self.path.unlink()
            except OSError as exc:
                raise CacheUnusable(f"cannot replace {self.path}: {exc.strerror or exc}") from None
        try:
            db = self._bounded(sqlite3.connect(self.path, timeout=2))
            self.db = db
            db.execute("PRAGMA trusted_schema = OFF")
            self._run(SCHEMA.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
            db.commit()
            return db
        except sqlite3.Error as exc:
            raise CacheUnusable(f"cannot use {self.path}: {exc}") from None

    def _mac(self, key: str, outcome: str) -> str:
        return hmac.new(self.secret, f"{key}\x1f{outcome}".encode(), hashlib.sha256).hexdigest()

    def get(self, key: str) -> Outcome | None:
        """The stored outcome of ``key`` if its MAC is right; None otherwise."""
        try:
            rows = self._run("SELECT outcome, mac FROM results WHERE key = ?", (key,))
        except sqlite3.Error:
            return None
        if len(rows) != 1 or not all(isinstance(v, str) for v in rows[0]):
            return None
        text, mac = rows[0]
        if not hmac.compare_digest(mac, self._mac(key, text)):
            self.rejected += 1
            return None
        return outcome_from_json(text)

    def put_many(self, items: list[tuple[str, Outcome]]) -> None:
        """Store outcomes with their MACs (errors are ignored: the cache is only a speed-up)."""
        if not items:
            return
        rows = []
        for key, outcome in items:
            text = outcome_to_json(outcome)
            rows.append((key, text, self._mac(key, text)))
        try:
            self._calls_left = CACHE_PROGRESS_CALLS * max(1, len(rows) // 100)
            with self.db:
                self.db.executemany("INSERT OR REPLACE INTO results (key, outcome, mac) VALUES (?, ?, ?)", rows)
        except sqlite3.Error:
            pass

    def close(self) -> None:
        self.db.close()
