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

The cache keeps its data: a database another process holds locked is waited
for (``MAX_CACHE_WAIT_SECONDS``), then left alone for the rest of the run;
only a database SQLite reports damaged (SQLITE_CORRUPT, SQLITE_NOTADB) is
replaced, and that is said once. It stays bounded: each write removes rows
unused for ``MAX_CACHE_IDLE_DAYS`` and rows of another derivcheck or SymPy
version, then the least recently used rows past ``MAX_CACHE_BYTES``.
``cache_info`` and ``clear_cache`` are ``derivcheck cache info|clear``.
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
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from derivcheck.bounds import (
    CACHE_PROGRESS_CALLS,
    CACHE_PROGRESS_STEP,
    MAX_CACHE_BYTES,
    MAX_CACHE_IDLE_DAYS,
    MAX_CACHE_ROW_BYTES,
    MAX_CACHE_WAIT_SECONDS,
    MAX_KEY_NODES,
)
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


class KeyTooLarge(Exception):
    """The task is too large to key; it is checked without the cache."""


def task_key(task: Any, config_key: str) -> str | None:
    """Return the cache key of a task under a configuration; None when the task is too large to key.

    The key is a structural hash of the parsed trees: each distinct
    subexpression is hashed once from its kind, its own data and its
    children's hashes, so that computing it never evaluates or prints an
    expression and costs time linear in the number of distinct
    subexpressions (at most MAX_KEY_NODES).
    """
    import sympy

    from derivcheck.version import __version__

    parts = [__version__, engine_fingerprint(), sympy.__version__, config_key, type(task).__name__]
    hasher = _TreeHasher()
    try:
        for field in dataclasses.fields(task):
            parts.append(_canonical(getattr(task, field.name), hasher))
    except KeyTooLarge:
        return None
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _canonical(value: Any, hasher: _TreeHasher) -> str:
    import sympy

    if isinstance(value, sympy.Basic):
        return hasher.digest(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "(" + ",".join(_canonical(getattr(value, f.name), hasher) for f in dataclasses.fields(value)) + ")"
    if isinstance(value, (tuple, list)):
        return "[" + ",".join(_canonical(v, hasher) for v in value) + "]"
    if isinstance(value, (set, frozenset)):
        return "{" + ",".join(sorted(_canonical(v, hasher) for v in value)) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_canonical(k, hasher)}:{_canonical(v, hasher)}" for k, v in value.items()) + "}"
    return repr(value)


class _TreeHasher:
    """Structural hashes of SymPy trees, each distinct subexpression hashed once (shared across calls)."""

    def __init__(self) -> None:
        self.done: dict[Any, str] = {}

    def digest(self, expr: Any) -> str:
        """The hash of ``expr``; KeyTooLarge past MAX_KEY_NODES distinct subexpressions."""
        # Keyed by kind and node: SymPy calls 2.0 and 2 equal, the key must not.
        done = self.done
        stack: list[tuple[Any, bool]] = [(expr, False)]
        while stack:
            node, ready = stack.pop()
            slot = (type(node), node)
            if slot in done:
                continue
            if ready:
                children = "".join(done[(type(arg), arg)] for arg in node.args)
                done[slot] = hashlib.sha256(f"{_own_data(node)}\x1e{children}".encode()).hexdigest()[:32]
                if len(done) > MAX_KEY_NODES:
                    raise KeyTooLarge()
            else:
                stack.append((node, True))
                stack.extend((arg, False) for arg in node.args if (type(arg), arg) not in done)
        return done[(type(expr), expr)]


def _own_data(node: Any) -> str:
    """What distinguishes a node from others with the same children: its kind and its own data."""
    import sympy
    from sympy.core.function import AppliedUndef

    kind = type(node).__name__
    if isinstance(node, sympy.Rational):
        return f"Q:{int(node.p):x}/{int(node.q):x}"
    if isinstance(node, sympy.Float):
        return f"F:{node._mpf_!r}:{node._prec}"
    if isinstance(node, sympy.Symbol):  # Dummy too: its number differs between processes, so it is left out
        words = ",".join(f"{k}={v}" for k, v in sorted(node.assumptions0.items()))
        return f"{kind}:{node.name}:{words}"
    if isinstance(node, AppliedUndef):
        words = ",".join(f"{k}={v}" for k, v in sorted(getattr(node.func, "_kwargs", {}).items()))
        return f"undef:{kind}:{words}"
    if not node.args and not isinstance(node, (sympy.Expr, sympy.Tuple)):
        return f"{kind}:{_DUMMY.sub('', sympy.srepr(node))}"  # a small atom (a string, a Boolean)
    return kind


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


SCHEMA = (
    "CREATE TABLE results (key TEXT PRIMARY KEY, outcome TEXT NOT NULL, mac TEXT NOT NULL, "
    "used INTEGER NOT NULL, version TEXT NOT NULL)"
)
_EXPECTED_SCHEMA = [("index", "sqlite_autoindex_results_1", None), ("table", "results", SCHEMA)]
# Layouts older derivcheck versions created: replaced (their rows are keyed by an older version anyway).
_OLD_SCHEMAS = [
    [("index", "sqlite_autoindex_results_1", None), ("table", "results", sql)]
    for sql in (
        "CREATE TABLE results (key TEXT PRIMARY KEY, outcome TEXT)",
        "CREATE TABLE results (key TEXT PRIMARY KEY, outcome TEXT NOT NULL, mac TEXT NOT NULL)",
    )
]
DATABASE = "results.sqlite3"
# Files SQLite keeps next to a database: replaced together with it (a hot
# journal left next to a new database would be rolled back into it).
_COMPANIONS = ("-journal", "-wal", "-shm")
# SQLite calls the progress handler every CACHE_PROGRESS_STEP virtual-machine
# instructions; a statement is interrupted after CACHE_PROGRESS_CALLS calls (about
# ten million instructions; a lookup by key needs about a hundred).
_SECRET_BYTES = 32
_DAY = 86_400
# SQLite's primary result codes: what a failure means for the cache.
_BUSY_CODES = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED: another process holds the database
_DAMAGED_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB: the file is proven damaged
_INTERRUPTED_CODE = 9  # SQLITE_INTERRUPT: the progress handler stopped a statement
_READONLY_CODE = 8  # SQLITE_READONLY: e.g. a hot journal a read-only connection cannot roll back


class CacheUnusable(Exception):
    """The cache cannot be used; the message says why in one line."""


def failure_kind(exc: sqlite3.Error) -> str:
    """What an SQLite error means here: ``busy``, ``damaged``, ``interrupted``, ``read-only`` or ``other``.

    Only ``damaged`` (SQLITE_CORRUPT, SQLITE_NOTADB) ever lets derivcheck replace
    a database; a lock (``database is locked``) is never taken for damage.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:
        return "other"
    primary = code & 0xFF
    if primary in _BUSY_CODES:
        return "busy"
    if primary in _DAMAGED_CODES:
        return "damaged"
    if primary == _INTERRUPTED_CODE:
        return "interrupted"
    if primary == _READONLY_CODE:
        return "read-only"
    return "other"


def cache_version() -> str:
    """The derivcheck code and SymPy version that key this run's rows (rows of another are pruned)."""
    import sympy

    from derivcheck.version import __version__

    return f"derivcheck {__version__}+{engine_fingerprint()}, sympy {sympy.__version__}"


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
    """Authenticated outcomes by key in ``DIR/results.sqlite3``, bounded in age and size.

    Raises CacheUnusable when the folder or the database cannot be used safely.
    A database another process holds locked is waited for (``wait_seconds``),
    then left alone: this run goes on without it and says so (``warn``). Only a
    database SQLite reports damaged (corrupt, or not a database) is replaced,
    with a warning. ``clock`` gives the time (seconds since the epoch) for the
    rows' last use; ``max_bytes`` and ``idle_days`` bound what is kept.
    """

    def __init__(
        self,
        directory: Path,
        secret_path: Path | None = None,
        *,
        warn: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
        wait_seconds: float | None = None,
        max_bytes: int = MAX_CACHE_BYTES,
        idle_days: int = MAX_CACHE_IDLE_DAYS,
    ) -> None:
        self.directory = Path(directory)
        self.path = self.directory / DATABASE
        self._work = _WorkBound()
        self._warn = warn
        self._clock = clock
        self.wait_seconds = MAX_CACHE_WAIT_SECONDS if wait_seconds is None else wait_seconds
        self.max_bytes = max_bytes
        self.idle_days = idle_days
        self.version = cache_version()
        self._hits: list[str] = []
        self.skipped = False  # locked by another process: not used for the rest of this run
        self._prepare_directory()
        self.secret = read_or_create_secret(secret_path or cache_secret_path(self.directory))
        self.rejected = 0
        self.db = self._open()

    def _say(self, message: str) -> None:
        if self._warn is not None:
            self._warn(message)

    def _today(self) -> int:
        return int(self._clock() // _DAY)

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
        _check_regular(self.path)

    def _run(self, sql: str, args: Sequence[object] = (), budget: int = 1) -> list:
        """Run one statement under ``budget`` times the usual bound on SQLite's work."""
        self._work.allow(budget)
        return self.db.execute(sql, args).fetchall()

    def _schema_of_existing(self) -> list | None:
        """The schema of the existing database, read without writing; None if there is no file.

        A writer that was killed mid-write leaves a hot journal, which only a
        connection that may write can roll back: then the schema is read that
        way (rolling back runs no SQL of the file's; the schema is still
        checked before any use).
        """
        if not self.path.exists():
            return None
        try:
            return self._read_schema(_connect_read_only(self.path, self.wait_seconds))
        except sqlite3.OperationalError as exc:
            if failure_kind(exc) != "read-only" or not os.path.lexists(f"{self.path}-journal"):
                raise
        _check_regular(Path(f"{self.path}-journal"))
        db = sqlite3.connect(self.path, timeout=self.wait_seconds)
        db.execute("PRAGMA trusted_schema = OFF")
        return self._read_schema(db)

    def _read_schema(self, db: sqlite3.Connection) -> list:
        db = self._work.bounded(db)
        try:
            self._work.allow(1)
            return sorted(db.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
        finally:
            db.close()

    def _locked(self) -> str:
        return f"{self.path} stayed locked by another process for {self.wait_seconds:g} s"

    def _open(self) -> sqlite3.Connection:
        try:
            schema = self._schema_of_existing()
        except sqlite3.DatabaseError as exc:
            kind = failure_kind(exc)
            if kind == "interrupted":
                raise CacheUnusable(f"{self.path} takes too long to read") from None
            if kind == "busy":
                raise CacheUnusable(self._locked()) from None
            if kind != "damaged":
                raise CacheUnusable(f"cannot read {self.path}: {exc}") from None
            self._replace(f"the result cache {self.path} was damaged ({exc}); it was rebuilt")
            schema = None
        if schema in _OLD_SCHEMAS:
            self._remove_files()  # an older derivcheck's layout: its rows could never be used
        elif schema not in (None, [], _EXPECTED_SCHEMA):  # [] is a database another run is creating
            raise CacheUnusable(
                f"{self.path} has tables, views or triggers that derivcheck does not create; "
                "remove it or choose another --cache-dir"
            )
        return self._connect()

    def _connect(self) -> sqlite3.Connection:
        """Open the database for writing and create the table if it is missing."""
        try:
            db = self._work.bounded(sqlite3.connect(self.path, timeout=self.wait_seconds))
            self.db = db
            db.execute("PRAGMA trusted_schema = OFF")
            self._run(SCHEMA.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS"))
            db.commit()
            return db
        except sqlite3.Error as exc:
            if failure_kind(exc) == "busy":
                raise CacheUnusable(self._locked()) from None
            raise CacheUnusable(f"cannot use {self.path}: {exc}") from None

    def _remove_files(self) -> None:
        for suffix in ("", *_COMPANIONS):
            try:
                os.unlink(f"{self.path}{suffix}")
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise CacheUnusable(f"cannot replace {self.path}: {exc.strerror or exc}") from None

    def _replace(self, message: str) -> None:
        """Replace a database proven damaged by an empty one, and say so once."""
        self._remove_files()
        self._say(message)

    def _repair(self, exc: sqlite3.Error, saving: bool = False) -> bool:
        """After a statement failed: rebuild a damaged database, stop using a locked one.

        Returns True when the cache can be used again (rebuilt, empty).
        """
        kind = failure_kind(exc)
        if kind == "busy":
            self.skipped = True
            then = "these results were not saved" if saving else "this run goes on without the result cache"
            self._say(f"{self._locked()}; {then}")
            return False
        if kind != "damaged":
            return False
        self.db.close()
        try:
            self._replace(f"the result cache {self.path} was damaged ({exc}); it was rebuilt")
            self.db = self._connect()
        except CacheUnusable as problem:
            self.skipped = True
            self._say(f"cannot use the result cache: {problem}; checking without it")
            return False
        return True

    def _mac(self, key: str, outcome: str) -> str:
        return hmac.new(self.secret, f"{key}\x1f{outcome}".encode(), hashlib.sha256).hexdigest()

    def get(self, key: str) -> Outcome | None:
        """The stored outcome of ``key`` if its MAC is right; None otherwise."""
        if self.skipped:
            return None
        try:
            rows = self._run("SELECT outcome, mac FROM results WHERE key = ?", (key,))
        except sqlite3.Error as exc:
            self._repair(exc)
            return None
        if len(rows) != 1 or not all(isinstance(v, str) for v in rows[0]):
            return None
        text, mac = rows[0]
        if not hmac.compare_digest(mac, self._mac(key, text)):
            self.rejected += 1
            return None
        outcome = outcome_from_json(text)
        if outcome is not None:
            self._hits.append(key)
        return outcome

    def put_many(self, items: list[tuple[str, Outcome]]) -> None:
        """Store outcomes with their MACs, mark the rows used this run, and prune (see ``prune``).

        Errors are ignored (the cache is only a speed-up), except that a
        damaged database is rebuilt and written again, and a locked one is
        reported.
        """
        if self.skipped or not (items or self._hits):
            return
        today = self._today()
        rows = []
        for key, outcome in items:
            text = outcome_to_json(outcome)
            if len(text) <= MAX_CACHE_ROW_BYTES:
                rows.append((key, text, self._mac(key, text), today, self.version))
        for _attempt in range(2):
            try:
                self._write(rows, today)
                return
            except sqlite3.Error as exc:
                if not self._repair(exc, saving=True):
                    return
                self._hits = []  # the rebuilt database holds none of them

    def _write(self, rows: list[tuple[str, str, str, int, str]], today: int) -> None:
        budget = 1 + len(rows) // 100
        with self.db:
            self._work.allow(budget + len(self._hits) // 100)
            self.db.executemany(
                "UPDATE results SET used = ? WHERE key = ? AND used < ?", [(today, k, today) for k in self._hits]
            )
            self._work.allow(budget)
            self.db.executemany(
                "INSERT OR REPLACE INTO results (key, outcome, mac, used, version) VALUES (?, ?, ?, ?, ?)", rows
            )
        self._hits = []
        try:  # its own transaction: a prune that fails loses no row just written
            with self.db:
                self.prune(today)
        except sqlite3.Error as exc:
            if failure_kind(exc) == "damaged":
                self._repair(exc)

    def prune(self, today: int) -> None:
        """Remove rows unused for ``idle_days`` or keyed by another version, then, while the rows take
        more than ``max_bytes``, the least recently used ones (down to 3/4 of it)."""
        rows = self._run("SELECT count(*) FROM results", budget=10)[0][0]
        self._run(
            "DELETE FROM results WHERE used < ? OR version != ?", (today - self.idle_days, self.version),
            budget=10 + rows // 1000,
        )
        for _round in range(8):
            if self._stored_bytes() <= self.max_bytes:
                return
            rows = self._run("SELECT count(*) FROM results", budget=10)[0][0]
            if rows == 0:
                return
            self._run(
                "DELETE FROM results WHERE rowid IN (SELECT rowid FROM results ORDER BY used, rowid LIMIT ?)",
                (max(1, rows // 4),), budget=10 + rows // 1000,
            )
            if self._stored_bytes() <= self.max_bytes * 3 // 4:
                return

    def _stored_bytes(self) -> int:
        """Bytes of the database's pages in use (free pages, reused by later writes, not counted)."""
        pages = self._run("PRAGMA page_count")[0][0] - self._run("PRAGMA freelist_count")[0][0]
        return int(pages * self._run("PRAGMA page_size")[0][0])

    def close(self) -> None:
        self.db.close()


def _check_regular(path: Path) -> None:
    """CacheUnusable unless ``path`` is missing or a regular file (never a link, FIFO or folder)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CacheUnusable(f"cannot read {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise CacheUnusable(f"{path} is not a regular file")


def _connect_read_only(path: Path, wait_seconds: float) -> sqlite3.Connection:
    db = sqlite3.connect("file:" + quote(str(path.resolve())) + "?mode=ro", uri=True, timeout=wait_seconds)
    db.execute("PRAGMA trusted_schema = OFF")
    return db


@dataclasses.dataclass(frozen=True)
class CacheInfo:
    """What ``derivcheck cache info`` shows: where the cache is, how many rows, how many bytes.

    ``problem`` says why the rows could not be counted (then ``rows`` is None).
    """

    directory: Path
    database: Path
    secret: Path
    exists: bool
    rows: int | None
    size: int
    other_versions: int | None = None
    oldest_use_days: int | None = None
    problem: str | None = None


def cache_info(directory: Path, clock: Callable[[], float] = time.time) -> CacheInfo:
    """Describe the cache in ``directory`` without changing it (read-only, bounded, nothing created)."""
    directory = Path(directory)
    database = directory / DATABASE
    base = CacheInfo(directory, database, cache_secret_path(directory), False, 0, 0)
    try:
        _check_regular(database)
        if not database.exists():
            return base
        size = sum(os.lstat(f"{database}{suffix}").st_size for suffix in ("", *_COMPANIONS)
                   if os.path.lexists(f"{database}{suffix}"))
    except (CacheUnusable, OSError) as exc:
        return dataclasses.replace(base, rows=None, problem=str(exc))
    found = dataclasses.replace(base, exists=True, size=size)
    work = _WorkBound()
    try:
        db = work.bounded(_connect_read_only(database, MAX_CACHE_WAIT_SECONDS))
        try:
            work.allow(1)
            schema = sorted(db.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
            if schema != _EXPECTED_SCHEMA:
                why = "an older derivcheck's layout" if schema in _OLD_SCHEMAS else "not a derivcheck cache"
                return dataclasses.replace(found, rows=None, problem=f"{why}; the next run replaces or refuses it")
            work.allow(10)
            rows, oldest, others = db.execute(
                "SELECT count(*), min(used), count(*) - count(CASE WHEN version = ? THEN 1 END) FROM results",
                (cache_version(),),
            ).fetchone()
        finally:
            db.close()
    except sqlite3.Error as exc:
        return dataclasses.replace(found, rows=None, problem=f"cannot read it: {exc}")
    age = None if oldest is None else max(0, int(clock() // _DAY) - int(oldest))
    return dataclasses.replace(found, rows=rows, other_versions=others, oldest_use_days=age)


def describe_cache(info: CacheInfo) -> str:
    """``derivcheck cache info``'s text: location, rows and size, one fact a line."""
    lines = [f"location: {info.database}", f"secret: {info.secret}"]
    if not info.exists and info.problem is None:
        return "\n".join([*lines, "rows: 0 (no cache yet)", "size: 0 bytes"])
    lines.append(f"rows: {info.rows}" if info.rows is not None else f"rows: unknown ({info.problem})")
    if info.other_versions:
        lines[-1] += f" ({info.other_versions} from another derivcheck or SymPy version, pruned on the next write)"
    lines.append(f"size: {info.size} bytes (rows are kept under {MAX_CACHE_BYTES // 2**20} MiB)")
    if info.oldest_use_days is not None:
        lines.append(
            f"least recently used row: {info.oldest_use_days} days ago "
            f"(rows unused for {MAX_CACHE_IDLE_DAYS} days are pruned)"
        )
    return "\n".join(lines)


def clear_cache(directory: Path) -> CacheInfo:
    """Remove the cache database in ``directory`` (and SQLite's files next to it); return what it was.

    Only regular files are removed (a link is refused); the secret stays.
    """
    info = cache_info(directory)
    _check_regular(info.database)
    for suffix in ("", *_COMPANIONS):
        target = f"{info.database}{suffix}"
        if os.path.lexists(target):
            _check_regular(Path(target))
            try:
                os.unlink(target)
            except OSError as exc:
                raise CacheUnusable(f"cannot remove {target}: {exc.strerror or exc}") from None
    return info


class _WorkBound:
    """A progress handler that interrupts an SQLite statement past its allowance of work."""

    def __init__(self) -> None:
        self.calls_left = 0

    def allow(self, budget: int) -> None:
        """Let the next statement run ``budget`` times the usual bound (about ten million instructions)."""
        self.calls_left = CACHE_PROGRESS_CALLS * budget

    def bounded(self, db: sqlite3.Connection) -> sqlite3.Connection:
        def progress() -> int:
            self.calls_left -= 1
            return 1 if self.calls_left < 0 else 0

        db.set_progress_handler(progress, CACHE_PROGRESS_STEP)
        return db
