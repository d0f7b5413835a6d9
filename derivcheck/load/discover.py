"""Finding the derivation files under the paths given, safely.

A folder is walked iteratively (any depth), in sorted order. Hidden files and
folders (a name starting with ``.``) are left out. Only regular files are
read: a FIFO, a device or a socket is never opened. A symbolic link is
followed only to a regular file inside the tree that was given (the folder
searched; for a file named directly, the working directory), so a link
cannot make derivcheck read, or quote in a message, a file outside it; every
link not followed is reported as skipped with the reason. A folder that
cannot be searched is an error, not a silent gap.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from derivcheck.model import LoadError
from derivcheck.printable import display_path

YAML_SUFFIXES = (".yaml", ".yml")
MARKDOWN_SUFFIXES = (".md", ".markdown")
NOTEBOOK_SUFFIXES = (".ipynb",)  # markdown cells only (derivcheck.load.notebook)
SUFFIXES = YAML_SUFFIXES + MARKDOWN_SUFFIXES + NOTEBOOK_SUFFIXES


@dataclass
class Discovery:
    """The files to check (paths, or LoadError for a path that cannot be used), and what was skipped."""

    entries: list[str | LoadError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def files(self) -> list[str]:
        return [e for e in self.entries if isinstance(e, str)]


def find_files(paths: list[str]) -> Discovery:
    """Return the files under ``paths``: files as given, folders searched (sorted within each folder)."""
    found = Discovery()
    for raw in paths:
        _add_path(raw, found)
    return found


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _add_path(raw: str, found: Discovery) -> None:
    try:
        link = os.lstat(raw)
    except FileNotFoundError:
        found.entries.append(LoadError(raw, None, "no such file or directory"))
        return
    except OSError as exc:
        found.entries.append(LoadError(raw, None, f"cannot read this path: {exc.strerror or exc}"))
        return
    if stat.S_ISLNK(link.st_mode):
        reason = _link_problem(raw, os.path.realpath(os.getcwd()), "the working directory", folders=True)
        if reason is not None:
            found.entries.append(LoadError(raw, None, reason))
            return
    info = os.stat(raw)
    if stat.S_ISDIR(info.st_mode):
        _walk(raw, found)
    elif stat.S_ISREG(info.st_mode):
        found.entries.append(raw)
    else:
        found.entries.append(
            LoadError(raw, None, f"{_kind_of(info.st_mode)}, not a file or folder; name derivation files or folders")
        )


def _link_problem(path: str, root: str, root_name: str, folders: bool = False) -> str | None:
    """Why the symbolic link ``path`` is not followed, or None when it leads to a usable place in ``root``."""
    target = os.path.realpath(path)
    try:
        info = os.stat(path)
    except OSError:
        return "a symbolic link to nothing (dangling); not followed"
    if not _inside(target, root):
        return f"a symbolic link to a place outside {root_name}; not followed"
    if stat.S_ISDIR(info.st_mode) and not folders:
        return "a symbolic link to a folder; not followed"
    if not stat.S_ISREG(info.st_mode) and not stat.S_ISDIR(info.st_mode):
        return f"a symbolic link to {_kind_of(info.st_mode)}; not followed"
    return None


def _walk(top: str, found: Discovery) -> None:
    """Search ``top`` and every folder below it without recursion; add what is found to ``found``."""
    root = os.path.realpath(top)
    files: list[str] = []
    stack = [str(Path(top))]  # as pathlib writes it: "./a" is "a", as discovery always named files
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            found.entries.append(LoadError(folder, None, f"cannot search this folder: {exc.strerror or exc}"))
            continue
        below = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            wanted = os.path.splitext(entry.name)[1].lower() in SUFFIXES
            path = str(Path(folder, entry.name))
            try:
                if entry.is_symlink():
                    if not wanted and not entry.is_dir():
                        continue
                    reason = _link_problem(path, root, display_path(top))
                    if reason is None:
                        files.append(path)
                    else:
                        found.skipped.append(f"{display_path(path)}: {reason}")
                elif entry.is_dir(follow_symlinks=False):
                    below.append(path)
                elif wanted:
                    mode = entry.stat(follow_symlinks=False).st_mode
                    if stat.S_ISREG(mode):
                        files.append(path)
                    else:
                        found.skipped.append(f"{display_path(path)}: {_kind_of(mode)}; not read")
            except OSError as exc:
                found.entries.append(LoadError(path, None, f"cannot read this path: {exc.strerror or exc}"))
        stack.extend(reversed(below))
    ordered: list[str] = sorted(files, key=lambda p: Path(p).parts)
    found.entries.extend(ordered)
