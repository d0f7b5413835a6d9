"""Settings: command-line options over environment variables over ``[tool.derivcheck]`` over defaults.

pyproject.toml belongs to the checkout, which in CI is the pull request's, so
its values are untrusted: a configuration file can lower the limits but not
turn them off or raise them past safe bounds (``Bound.config_high``), and its
``jobs`` is capped at the CPU count. Only the command line and the
environment (``DERIVCHECK_TIMEOUT``, ``DERIVCHECK_JOBS``,
``DERIVCHECK_MEMORY_LIMIT``, ``DERIVCHECK_MAX_FILE_SIZE``) can go further.
Every numeric value, wherever it comes from, must be a finite number in its
range, or the run stops with a message naming the option (exit 2).
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from derivcheck.bounds import MAX_SIZE_LIMIT
from derivcheck.config import CheckConfig

DEFAULT_PATHS = ("derivations",)
KNOWN_KEYS = ("paths", "strict", "timeout", "jobs", "cache-dir", "samples", "max-size", "memory-limit", "max-file-size")


@dataclass(frozen=True)
class ProjectSettings:
    """What pyproject.toml says (None where it says nothing)."""

    paths: tuple[str, ...] | None = None
    strict: bool | None = None
    timeout: float | None = None
    jobs: int | None = None
    cache_dir: str | None = None
    samples: int | None = None
    max_size: int | None = None
    memory_limit: int | None = None
    max_file_size: int | None = None
    source: str | None = None


class SettingsError(Exception):
    """pyproject.toml has a [tool.derivcheck] table that cannot be used."""


def read_project_settings(start: Path | None = None) -> ProjectSettings:
    """Return ``[tool.derivcheck]`` from the pyproject.toml in ``start`` (default: the working directory)."""
    path = (start or Path.cwd()) / "pyproject.toml"
    if not path.is_file():
        return ProjectSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read: {exc}") from None
    table = data.get("tool", {}).get("derivcheck")
    if table is None:
        return ProjectSettings()
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: [tool.derivcheck] must be a table")
    for key in table:
        if key not in KNOWN_KEYS:
            raise SettingsError(
                f"{path}: unknown key '{key}' in [tool.derivcheck]; allowed: {', '.join(KNOWN_KEYS)}"
            )
    paths = table.get("paths")
    if paths is not None and (not isinstance(paths, list) or not all(isinstance(p, str) for p in paths)):
        raise SettingsError(f"{path}: [tool.derivcheck] paths must be a list of strings")
    expected: dict[str, type | tuple[type, ...]] = {
        "strict": bool, "timeout": (int, float), "jobs": int, "cache-dir": str,
        "samples": int, "max-size": int, "memory-limit": int, "max-file-size": int,
    }
    for key, kind in expected.items():
        if key in table and (not isinstance(table[key], kind) or isinstance(table[key], bool) and kind is not bool):
            raise SettingsError(f"{path}: [tool.derivcheck] {key} has the wrong type")
    return ProjectSettings(
        paths=tuple(paths) if paths is not None else None,
        strict=table.get("strict"),
        timeout=float(table["timeout"]) if "timeout" in table else None,
        jobs=table.get("jobs"),
        cache_dir=table.get("cache-dir"),
        samples=table.get("samples"),
        max_size=table.get("max-size"),
        memory_limit=table.get("memory-limit"),
        max_file_size=table.get("max-file-size"),
        source=str(path),
    )


def default_paths(settings: ProjectSettings) -> list[str]:
    """The paths to check when none are given: the configured ones (a missing one is then an error),
    else derivations/."""
    if settings.paths:
        return list(settings.paths)
    return list(DEFAULT_PATHS)


def default_cache_dir() -> Path:
    """The default result cache: the user's cache folder, outside any working tree."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("derivcheck")) / "results"


def cache_directory(option: str | None, no_cache: bool, settings: ProjectSettings) -> Path | None:
    """Where the cache lives: --cache-dir, then DERIVCHECK_CACHE_DIR, then pyproject, then the user cache folder."""
    if no_cache:
        return None
    chosen = option or os.environ.get("DERIVCHECK_CACHE_DIR") or settings.cache_dir
    return Path(chosen) if chosen else default_cache_dir()


@dataclass(frozen=True)
class Bound:
    """The accepted values of one numeric setting.

    ``low``..``high`` is what the command line and the environment may set
    (``off``: a value that turns the limit off, allowed there only);
    ``config_high`` is the most a configuration file may set.
    """

    key: str
    field: str
    kind: type
    low: float
    high: float
    config_high: float
    unit: str = ""
    env: str | None = None
    off: float | None = None

    @property
    def option(self) -> str:
        return "--" + self.key

    def describe(self, high: float) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"from {_show(self.low)} to {_show(high)}{unit}"


def _show(value: float) -> str:
    """A number as a person writes it: whole numbers without exponent."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return str(value) if isinstance(value, int) else f"{value:g}"


BOUNDS = (
    Bound("timeout", "timeout", float, 0.01, 86_400, 60, "s", "DERIVCHECK_TIMEOUT"),
    Bound("jobs", "jobs", int, 1, 1024, 1024, "", "DERIVCHECK_JOBS"),
    Bound("samples", "samples", int, 1, 10_000, 10_000),
    Bound("max-size", "max_size", int, 1, MAX_SIZE_LIMIT, MAX_SIZE_LIMIT),
    Bound("memory-limit", "memory_limit_mb", int, 64, 1_048_576, 4096, "MiB", "DERIVCHECK_MEMORY_LIMIT", off=0),
    Bound("max-file-size", "max_file_bytes", int, 1, 2**31, 10_000_000, "bytes", "DERIVCHECK_MAX_FILE_SIZE"),
)


def _number(text: str, kind: type[int] | type[float]) -> float:
    """Read an environment variable's value as ``kind``; ValueError if it is not one."""
    return kind(text.strip())


def _checked(bound: Bound, value: object, source: str, trusted: bool) -> float:
    """Return ``value`` if it is allowed from ``source``; SettingsError naming ``source`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingsError(f"{source} must be a number")
    if bound.kind is int and isinstance(value, float):
        if not value.is_integer():
            raise SettingsError(f"{source} must be a whole number, not {_show(value)}")
        value = int(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise SettingsError(f"{source} must be a finite number ({bound.describe(bound.high)}), not {value}")
    if bound.off is not None and value == bound.off:
        if trusted:
            return bound.kind(value)
        raise SettingsError(
            f"{source} = {_show(value)} would turn the limit off, which only {bound.option} or "
            f"{bound.env} may do"
        )
    high = bound.high if trusted else bound.config_high
    if not bound.low <= value <= high:
        off = f", or {_show(bound.off)} for no limit" if trusted and bound.off is not None else ""
        allowed = bound.describe(high) + off
        more = ""
        if not trusted and value > high and bound.high > high:
            more = f"; a configuration file may set at most {_show(high)}, {bound.option}" + (
                f" or {bound.env}" if bound.env else ""
            ) + " can set more"
        raise SettingsError(f"{source} must be {allowed}, not {_show(value)}{more}")
    return bound.kind(value)


def build_config(
    options: dict,
    settings: ProjectSettings,
    environ: Mapping[str, str] | None = None,
    cpu_count: int | None = None,
) -> CheckConfig:
    """The run's CheckConfig from command-line ``options`` (keys as in pyproject, None when not given),
    the environment and the project settings; SettingsError with a one-line message when a value is not allowed.

    ``options`` may also hold ``strict``, ``cache-dir`` and ``no-cache``.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    cpus = max(1, cpu_count or os.cpu_count() or 1)
    where = f"{settings.source or 'pyproject.toml'}: [tool.derivcheck]"
    changes: dict = {}
    for bound in BOUNDS:
        option = options.get(bound.key)
        if option is not None:
            changes[bound.field] = _checked(bound, option, bound.option, trusted=True)
            continue
        if bound.env and env.get(bound.env, "").strip():
            text = env[bound.env]
            try:
                value = _number(text, bound.kind)
            except ValueError:
                raise SettingsError(f"{bound.env} must be a number, not '{text}'") from None
            changes[bound.field] = _checked(bound, value, bound.env, trusted=True)
            continue
        configured = getattr(settings, bound.key.replace("-", "_"))
        if configured is not None:
            value = _checked(bound, configured, f"{where} {bound.key}", trusted=False)
            changes[bound.field] = min(value, cpus) if bound.key == "jobs" else value
    base = CheckConfig()
    strict = options.get("strict")
    if strict is None:
        strict = settings.strict if settings.strict is not None else base.strict
    changes["strict"] = strict
    changes["cache_dir"] = cache_directory(options.get("cache-dir"), bool(options.get("no-cache")), settings)
    return base.with_(**changes)
