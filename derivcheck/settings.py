"""Settings from ``[tool.derivcheck]`` in pyproject.toml; command-line options override them."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PATHS = ("derivations",)
DEFAULT_CACHE_DIR = ".derivcheck_cache"
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
    """The paths to check when none are given: the configured ones that exist, else derivations/."""
    if settings.paths:
        return [p for p in settings.paths if Path(p).exists()] or list(settings.paths)
    return list(DEFAULT_PATHS)


def cache_directory(option: str | None, no_cache: bool, settings: ProjectSettings) -> Path | None:
    """Where the cache lives: --cache-dir, then DERIVCHECK_CACHE_DIR, then pyproject, then the default."""
    if no_cache:
        return None
    chosen = option or os.environ.get("DERIVCHECK_CACHE_DIR") or settings.cache_dir or DEFAULT_CACHE_DIR
    return Path(chosen)
