"""Rendering: derivations as documents for readers (Markdown, HTML with MathML, LaTeX).

The pipeline is load -> check -> views (``views.collect_files``) -> a writer.
Expressions are typeset from their ``ast`` in the author's form
(``expressions``), as layout boxes that ``latex`` and ``mathml`` write out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from derivcheck.config import CheckConfig
from derivcheck.render import write_html, write_latex, write_markdown
from derivcheck.render.views import FileView, collect_files

WRITERS: dict[str, ModuleType] = {"markdown": write_markdown, "html": write_html, "latex": write_latex}


class RenderError(Exception):
    """The output cannot be written as asked (it would overwrite an input, a path is unusable)."""


@dataclass
class RenderRun:
    """What a render produced: the text for stdout, or the files written; and the inputs not found."""

    text: str | None = None
    written: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    views: list[FileView] = field(default_factory=list)


def render_paths(
    paths: list[str],
    to: str = "markdown",
    out: str | None = None,
    config: CheckConfig | None = None,
    check: bool = True,
    title: str = "Derivations",
) -> RenderRun:
    """Render every derivation file under ``paths``; return what was produced.

    Without ``out`` the rendering is returned as text (one document for all
    inputs). With ``out`` ending in the format's suffix (``.md``, ``.html``,
    ``.tex``) everything goes to that one file; any other ``out`` is a
    directory that receives a page per input, mirroring the folders of the
    inputs, and an index page when there are several.
    """
    writer = WRITERS[to]
    config = config or CheckConfig()
    views, missing = collect_files(list(paths), config, check)
    run = RenderRun(missing=missing, views=views)
    if out is None:
        run.text = writer.combined(views) if views else ""
        return run
    inputs = {os.path.abspath(v.path) for v in views}
    if out.lower().endswith(writer.SUFFIX):
        _refuse_overwrite(out, inputs)
        _write(out, writer.combined(views, title) if len(views) != 1 else writer.page(views[0]))
        run.written.append(out)
        return run
    targets = page_paths(list(paths), [v.path for v in views], out, writer.SUFFIX)
    entries = []
    for view in views:
        target = targets[view.path]
        _refuse_overwrite(target, inputs)
        source = os.path.relpath(os.path.abspath(view.path), os.path.dirname(os.path.abspath(target)))
        _write(target, writer.page(view, source.replace(os.sep, "/")))
        run.written.append(target)
        entries.append((view, os.path.relpath(target, out).replace(os.sep, "/")))
    if len(views) > 1 or any(Path(p).is_dir() for p in paths):
        target = os.path.join(out, "index" + writer.SUFFIX)
        _refuse_overwrite(target, inputs)
        _write(target, writer.index(entries, title))
        run.written.append(target)
    return run


def page_paths(roots: list[str], files: list[str], out: str, suffix: str) -> dict[str, str]:
    """Where each file's page goes under ``out``: its place under the inputs' common folder, new suffix.

    Two inputs that would land on the same page (``a.yaml`` and ``a.md``) keep
    their old suffix in the name (``a.yaml.md``).
    """
    bases = [os.path.abspath(r) if Path(r).is_dir() else os.path.dirname(os.path.abspath(r)) for r in roots]
    base = os.path.commonpath(bases) if bases else os.getcwd()
    relative = {}
    for path in files:
        rel = os.path.relpath(os.path.abspath(path), base)
        if rel.startswith(".."):
            rel = os.path.basename(path)
        relative[path] = rel
    stems = [os.path.splitext(rel)[0] for rel in relative.values()]
    out_paths = {}
    for path, rel in relative.items():
        stem = os.path.splitext(rel)[0]
        name = (rel if stems.count(stem) > 1 else stem) + suffix
        out_paths[path] = os.path.join(out, name)
    return out_paths


def _refuse_overwrite(target: str, inputs: set[str]) -> None:
    if os.path.abspath(target) in inputs:
        raise RenderError(f"refusing to overwrite the input {target}; choose another -o")


def _write(target: str, text: str) -> None:
    try:
        os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
        Path(target).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RenderError(f"cannot write {target}: {exc.strerror or exc}") from None
