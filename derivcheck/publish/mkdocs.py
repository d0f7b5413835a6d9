"""The MkDocs plugin: every derivation of every page checked at build time, marked in the page.

``plugins: [derivcheck]`` in ``mkdocs.yml``. Before the pages are built, the
plugin loads every Markdown page, checks all their derivations in one run
(the worker pool, the result cache) and logs a summary; with ``strict: true``
a step or number that does not pass, or a derivation that cannot be read,
fails the build. Each page's Markdown is then given back as the author wrote
it: a LaTeX derivation keeps its text, with a coloured mark after each
checked step (the evidence in a tooltip and, for anything but a proof, in a
numbered note below the display); a fenced ``derivation`` block is typeset.
With ``badge: true`` a one-line summary of the page's verdicts goes under its
first heading. Pages without a derivation are left untouched.

Notebook pages (mkdocs-jupyter, or any plugin that makes ``.ipynb`` files
documentation pages and reads the notebook file when it renders the page)
get the same marks: such a plugin never hands the page's Markdown to
``on_page_markdown``, so while the page is built its source file is a marked
copy of the notebook (each markdown cell that holds a derivation marked as a
Markdown page is, the badge in the first markdown cell), and the original
path is given back once the page is rendered.

Options (all optional): ``strict`` (false), ``marks`` (true), ``badge``
(true), ``math`` (``brackets``: what pymdownx.arithmatex reads; or
``dollars``), ``tooltips`` (true), ``jobs``, ``timeout``, ``cache_dir``,
``cache`` (true).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from mkdocs.config import config_options as option
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority

from derivcheck.config import CheckConfig
from derivcheck.load import LoadedFile, load_file
from derivcheck.load.markdown import documents_from_markdown
from derivcheck.render.views import PageOptions, file_view
from derivcheck.render.write_markdown import escape_markdown, marked_cell, post
from derivcheck.results import Report, Result

log = logging.getLogger("mkdocs.plugins.derivcheck")

MARKDOWN_SUFFIXES = (".md", ".markdown")
NOTEBOOK_SUFFIXES = (".ipynb",)
BADGE_COLORS = {"passed": ("#1d7a3a", "#e6f4ea"), "failed": ("#b3261e", "#fce8e6")}


class DerivcheckConfig(Config):
    """The plugin's options in ``mkdocs.yml``."""

    strict = option.Type(bool, default=False)
    marks = option.Type(bool, default=True)
    badge = option.Type(bool, default=True)
    math = option.Choice(("brackets", "dollars"), default="brackets")
    tooltips = option.Type(bool, default=True)
    jobs = option.Optional(option.Type(int))
    timeout = option.Optional(option.Type((int, float)))
    cache = option.Type(bool, default=True)
    cache_dir = option.Optional(option.Type(str))


class DerivcheckPlugin(BasePlugin[DerivcheckConfig]):
    """Checks the derivations of every page and marks them (see the module's docstring)."""

    def __init__(self) -> None:
        self.check_config = CheckConfig()
        self.reports: dict[str, Report] = {}
        self.notebooks: dict[str, LoadedFile] = {}  # checked notebook pages, by their path
        self.marked_dir: Path | None = None  # this build's marked copies of notebooks
        self.swapped: dict[str, str] = {}  # a notebook page's src_uri -> its own path, while it is built

    def on_config(self, config: Any) -> Any:
        """Build the run's configuration: the plugin's options over ``[tool.derivcheck]`` and the environment."""
        from derivcheck.settings import SettingsError, build_config, read_project_settings

        options = {
            "jobs": self.config.jobs,
            "timeout": self.config.timeout,
            "strict": self.config.strict,
            "cache-dir": self.config.cache_dir,
            "no-cache": not self.config.cache,
        }
        try:
            self.check_config = build_config(options, read_project_settings())
        except SettingsError as exc:
            raise PluginError(f"derivcheck: {exc}") from None
        return config

    @event_priority(-50)  # after a plugin that makes notebooks pages (mkdocs-jupyter wraps them in on_files)
    def on_files(self, files: Any, *, config: Any) -> Any:
        """Check every derivation of every Markdown or notebook page in one run; fail the build under ``strict``."""
        from derivcheck.api import verify_loaded

        self._clean_marked()
        sources = [
            f.abs_src_path for f in files
            if f.abs_src_path
            and f.src_uri.lower().endswith(MARKDOWN_SUFFIXES + NOTEBOOK_SUFFIXES)
            and f.is_documentation_page()
        ]
        loaded = [load_file(path, self.check_config.max_file_bytes) for path in sorted(sources)]
        loaded = [item for item in loaded if item.items]
        self.notebooks = {item.path: item for item in loaded if item.kind == "notebook"}
        if not loaded:
            log.info("derivcheck: no page holds a derivation")
            self.reports = {}
            return files
        report = verify_loaded(loaded, self.check_config)
        self.reports = {item.path: _only(report, item.path) for item in loaded}
        for warning in report.warnings:
            log.warning(f"derivcheck: {warning}")
        counts = report.counts()
        log.info(
            f"derivcheck: {len(loaded)} page(s), {counts['steps']} steps, {counts['numbers']} numbers: "
            f"{counts['proved']} proved, {counts['wrong']} wrong, {counts['unknown']} unknown, "
            f"{counts['errors']} unreadable; {counts['failed']} not passing"
        )
        failing = [r for r in report.results if not r.passes]
        for result in failing:
            # A step shown wrong is published with its mark; a derivation that cannot be read is a broken page.
            level = logging.ERROR if self.config.strict else logging.WARNING if result.is_error else logging.INFO
            log.log(level, f"derivcheck: {_where(result, config)}: {_message(result)}")
        if failing and self.config.strict:
            raise PluginError(
                f"derivcheck: {len(failing)} derivation step(s), number(s) or block(s) do not pass (strict: true)"
            )
        return files

    @event_priority(50)  # before a notebook plugin reads the notebook (mkdocs-jupyter's on_pre_page)
    def on_pre_page(self, page: Any, *, config: Any, files: Any) -> Any:
        """A checked notebook page: its source file becomes a marked copy of the notebook until it is rendered."""
        path = page.file.abs_src_path
        if path not in self.notebooks or path not in self.reports:
            return page
        if _executed_by_plugin(config, path):
            log.warning(
                f"derivcheck: {_relative(path, config)}: the notebook is executed by mkdocs-jupyter, so its page "
                "is published without marks (a marked copy would run in another folder); it is checked all the same"
            )
            return page
        marked = self._marked_notebook(path)
        if marked is None:
            return page
        if self.marked_dir is None:
            self.marked_dir = Path(tempfile.mkdtemp(prefix="derivcheck-mkdocs-"))
        copy = self.marked_dir / page.file.src_uri  # same name and folders: the notebook plugin's patterns match
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_text(marked, encoding="utf-8")
        self.swapped[page.file.src_uri] = path
        page.file.abs_src_path = str(copy)
        return page

    @event_priority(-50)  # after every plugin has rendered the page
    def on_page_content(self, html: str, *, page: Any, config: Any, files: Any) -> str:
        """Give a notebook page its own source path back (for plugins that copy or link the notebook)."""
        original = self.swapped.pop(page.file.src_uri, None)
        if original is not None:
            page.file.abs_src_path = original
        return html

    def on_post_build(self, *, config: Any) -> None:
        """Remove the marked copies of notebooks."""
        self._clean_marked()

    def on_build_error(self, *, error: Exception) -> None:
        """Remove the marked copies of notebooks."""
        self._clean_marked()

    def _clean_marked(self) -> None:
        if self.marked_dir is not None:
            shutil.rmtree(self.marked_dir, ignore_errors=True)
        self.marked_dir = None
        self.swapped = {}

    def _marked_notebook(self, path: str) -> str | None:
        """The notebook's JSON with each markdown cell that holds a derivation marked; None if unreadable."""
        from derivcheck.errors import FormatError
        from derivcheck.load.documents import read_text_file

        try:
            text = read_text_file(Path(path), self.check_config.max_file_bytes)
            data = json.loads(text)
        except (FormatError, ValueError, RecursionError):
            return None
        view = file_view(self.notebooks[path], self.reports[path], text)
        cells = data.get("cells") if isinstance(data, dict) else None
        if not isinstance(cells, list) or len(cells) != len(view.cells):
            return None
        options = PageOptions(
            math="dollars", reader=True, source_links=False,  # dollars: the math a notebook's Markdown reads
            marks=self.config.marks, tooltips=self.config.tooltips, prose_math=False,
        )
        marked = {number for number, _, _ in view.cells if any(p.cell == number for p in view.parts)}
        badge = self.config.badge
        for number, kind, source in view.cells:
            if kind != "markdown" or not (number in marked or badge):
                continue
            text = marked_cell(view, number, source, options) if number in marked else source
            if badge:
                text = with_badge(text, view.summary(), all(r.passes for r in self.reports[path].results))
                badge = False
            cells[number - 1]["source"] = text
        return json.dumps(data, ensure_ascii=False)

    def on_page_markdown(self, markdown: str, *, page: Any, config: Any, files: Any) -> str:
        """The page as written, its derivations marked (and a badge under its first heading)."""
        path = page.file.abs_src_path
        if path not in self.reports or path in self.notebooks:
            return markdown
        loaded = LoadedFile(path, tuple(documents_from_markdown(markdown, path)), "markdown")
        if not loaded.items:
            return markdown
        report = _shifted(self.reports[path], _lines_above(page, markdown))
        if report is None:  # another plugin changed the page: check it as it is now (the cache helps)
            from derivcheck.api import verify_loaded

            report = verify_loaded([loaded], self.check_config)
        view = file_view(loaded, report, markdown)
        options = PageOptions(
            math=self.config.math, reader=True, source_links=False,
            marks=self.config.marks, tooltips=self.config.tooltips, prose_math=False,  # the page as written
        )
        text = post(view, options)
        if self.config.badge:
            passed = all(r.passes for r in report.results)
            text = with_badge(text, view.summary(), passed)
        return text


def with_badge(text: str, summary: str, passed: bool) -> str:
    """``text`` with a one-line badge of the page's verdicts under its first heading (else at the top)."""
    ink, paper = BADGE_COLORS["passed" if passed else "failed"]
    badge = (
        f'<span class="derivcheck-badge derivcheck-{"passed" if passed else "failed"}" '
        f'style="font-size:.75em;padding:.15em .6em;border-radius:.8em;color:{ink};background:{paper}">'
        f"{'✓' if passed else '✗'} derivcheck: {escape_markdown(summary)}</span>"
    )
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    at = first + 1 if lines and lines[first].startswith("# ") else 0
    return "\n".join(lines[:at] + ["", badge, ""] + lines[at:])


def _only(report: Report, path: str) -> Report:
    return replace(report, results=tuple(r for r in report.results if r.file == path), files=(path,))


def _lines_above(page: Any, markdown: str) -> int | None:
    """How many lines MkDocs took off the top of the page (its front matter); None when the page's
    Markdown is not the end of its file (another plugin changed it)."""
    try:
        source = page.file.content_string
    except (OSError, UnicodeDecodeError, AttributeError):
        return None
    if not source.endswith(markdown):
        return None
    return source[: len(source) - len(markdown)].count("\n")


def _shifted(report: Report, offset: int | None) -> Report | None:
    """The report with its lines counted from the page's Markdown (``offset`` lines above it), or None."""
    if offset is None:
        return None
    if offset == 0:
        return report

    def shift(line: int | None) -> int | None:
        return line - offset if line is not None else None

    results = tuple(
        replace(r, line=shift(r.line), previous_line=shift(r.previous_line), slip_line=shift(r.slip_line))
        for r in report.results
    )
    return replace(report, results=results)


def _where(result: Result, config: Any) -> str:
    relative = _relative(result.file, config)
    return f"{relative}:{result.line}" if result.line else relative


def _relative(path: str, config: Any) -> str:
    return os.path.relpath(path, config["docs_dir"]) if "docs_dir" in config else path


def _executed_by_plugin(config: Any, path: str) -> bool:
    """Whether mkdocs-jupyter runs this notebook when it builds its page (``execute``, less ``execute_ignore``):
    it runs the notebook in the folder of the file it reads, where a marked copy's neighbours are missing."""
    from pathlib import PurePath

    plugins: Any = config.get("plugins") if hasattr(config, "get") else None
    for plugin in plugins.values() if hasattr(plugins, "values") else ():
        if not type(plugin).__module__.startswith("mkdocs_jupyter"):
            continue
        options = getattr(plugin, "config", {})
        ignored = any(PurePath(path).match(pattern) for pattern in options.get("execute_ignore") or ())
        if options.get("execute") and not ignored:
            return True
    return False


def _message(result: Result) -> str:
    from derivcheck.report.fields import result_message

    return result_message(result)
