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
from derivcheck.render.views import MATH_STYLES, FileView, PageOptions, collect_files

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
    skipped: list[str] = field(default_factory=list)


def render_paths(
    paths: list[str],
    to: str = "markdown",
    out: str | None = None,
    config: CheckConfig | None = None,
    check: bool = True,
    title: str = "Derivations",
    options: PageOptions | None = None,
) -> RenderRun:
    """Render every derivation file under ``paths``; return what was produced.

    Without ``out`` the rendering is returned as text (one document for all
    inputs). With ``out`` ending in the format's suffix (``.md``, ``.html``,
    ``.tex``) everything goes to that one file; any other ``out`` is a
    directory that receives a page per input, mirroring the folders of the
    inputs, and an index page when there are several.

    ``options`` (Markdown pages): the math delimiters, reader mode, source
    links; by default the math style is ``default_math_style(out)``.
    """
    from derivcheck.load import find_files

    writer = WRITERS[to]
    options = options or PageOptions(math=default_math_style(out))
    if options.math not in MATH_STYLES:
        raise RenderError(f"unknown math style '{options.math}'; choose one of {', '.join(MATH_STYLES)}")
    pages = _pages(to, options)
    config = config or CheckConfig()
    views, missing = collect_files(list(paths), config, check)
    run = RenderRun(missing=missing, views=views, skipped=find_files(list(paths)).skipped)
    if out is None:
        run.text = pages.combined(views) if views else ""
        return run
    inputs = {os.path.realpath(v.path) for v in views}
    if out.lower().endswith(writer.SUFFIX):
        _refuse_overwrite(out, inputs)
        single = len(views) == 1
        text = pages.page(views[0], _link(views[0].path, None, options)) if single else pages.combined(views, title)
        _write(out, text, out)
        run.written.append(out)
        return run
    targets = page_paths(list(paths), [v.path for v in views], out, writer.SUFFIX)
    entries = []
    for view in views:
        target = targets[view.path]
        _refuse_overwrite(target, inputs)
        source = os.path.relpath(os.path.abspath(view.path), os.path.dirname(os.path.abspath(target)))
        _write(target, pages.page(view, _link(view.path, source.replace(os.sep, "/"), options)), out)
        run.written.append(target)
        entries.append((view, os.path.relpath(target, out).replace(os.sep, "/")))
    if len(views) > 1 or any(Path(p).is_dir() for p in paths):
        target = os.path.join(out, "index" + writer.SUFFIX)
        _refuse_overwrite(target, inputs)
        _write(target, writer.index(entries, title), out)
        run.written.append(target)
    return run


def default_math_style(out: str | None) -> str:
    """``brackets`` when ``out`` lies in an MkDocs project (a ``mkdocs.yml`` in its folder or above:
    pymdownx.arithmatex reads ``\\(…\\)`` and ``\\[…\\]``), else ``github``."""
    if out is None:
        return "github"
    folder = Path(os.path.abspath(out))
    for place in (folder, *folder.parents):
        if (place / "mkdocs.yml").is_file() or (place / "mkdocs.yaml").is_file():
            return "brackets"
    return "github"


@dataclass(frozen=True)
class _Pages:
    """A writer's ``page`` and ``combined`` with the page options bound (Markdown takes them)."""

    writer: ModuleType
    options: PageOptions

    def page(self, view: FileView, source_href: str | None = None) -> str:
        if self.writer is write_markdown:
            return write_markdown.page(view, source_href, self.options)
        return str(self.writer.page(view, source_href))

    def combined(self, views: list[FileView], title: str = "Derivations") -> str:
        if self.writer is write_markdown:
            return write_markdown.combined(views, title, self.options)
        return str(self.writer.combined(views, title))


def _pages(to: str, options: PageOptions) -> _Pages:
    return _Pages(WRITERS[to], options)


def _link(path: str, relative: str | None, options: PageOptions) -> str | None:
    """Where a page links its input: ``options.source_url`` with ``{path}`` (the input's path relative
    to the working directory) filled in, else the relative path; None with ``source_links=False``."""
    if not options.source_links:
        return None
    if options.source_url:  # the path relative to the working directory (the repository's root)
        relative = os.path.relpath(os.path.abspath(path))
        given = path if relative.startswith("..") else relative
        return options.source_url.replace("{path}", given.replace(os.sep, "/"))
    return relative


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
    """RenderError if ``target`` is (a link to) an input: paths are compared after resolving links."""
    if os.path.realpath(target) in inputs:
        raise RenderError(f"refusing to overwrite the input {target}; choose another -o")


def _symlink_on_the_way(target: str, out: str) -> str | None:
    """The first symbolic link among ``target`` and its folders below ``out`` (and ``out`` for a page), if any."""
    target = os.path.abspath(target)
    top = os.path.abspath(out)
    path = target
    while True:
        if os.path.islink(path):
            return path
        if path == top or os.path.dirname(path) == path or not path.startswith(top):
            return None
        path = os.path.dirname(path)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _write(target: str, text: str, out: str | None = None) -> None:
    """Write ``text`` to ``target`` atomically (a temporary file in the same folder, then a rename).

    Refuses to write through a symbolic link: the page itself, or a folder
    between ``out`` and it (a link there could send the page anywhere).
    """
    import tempfile

    link = _symlink_on_the_way(target, out if out is not None else target)
    if link is not None:
        raise RenderError(f"refusing to write {target}: {link} is a symbolic link")
    folder = os.path.dirname(os.path.abspath(target))
    temporary = None
    try:
        os.makedirs(folder, exist_ok=True)
        link = _symlink_on_the_way(target, out if out is not None else target)
        if link is not None:
            raise RenderError(f"refusing to write {target}: {link} is a symbolic link")
        handle, temporary = tempfile.mkstemp(prefix=".derivcheck-", suffix=".tmp", dir=folder)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        raise RenderError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass
