"""The MkDocs plugin: a real ``mkdocs build`` of a small Material site with pymdownx.arithmatex.

The end-to-end tests run ``mkdocs build`` in a subprocess (slow). The browser
test also needs Chromium and a local MathJax 3 (``npm install mathjax@3``; its
``es5`` folder found at $DERIVCHECK_MATHJAX or ``node_modules/mathjax/es5``),
and is skipped without them: the page is typeset offline, no CDN.
"""

from __future__ import annotations

import html
import importlib.metadata
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from derivcheck.publish.mkdocs import _shifted, with_badge
from derivcheck.results import Report, Result

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(__file__).parent / "site"
PLUGIN = "derivcheck.publish.mkdocs:DerivcheckPlugin"


def test_the_plugin_is_registered_as_an_mkdocs_entry_point():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert data["project"]["entry-points"]["mkdocs.plugins"] == {"derivcheck": PLUGIN}


def test_the_badge_goes_under_the_first_heading_or_on_top():
    text = with_badge("# Title\n\nProse.\n", "2 steps: 2 proved", True)
    lines = text.split("\n")
    assert lines[0] == "# Title" and "derivcheck-passed" in lines[2] and "✓ derivcheck: 2 steps: 2 proved" in lines[2]
    text = with_badge("Prose first.\n", "1 step: 1 wrong", False)
    assert text.split("\n")[1].startswith('<span class="derivcheck-badge derivcheck-failed"')


def test_results_are_shifted_to_the_lines_of_the_page_without_front_matter():
    result = Result("p.md", 20, "step", None, False, previous_line=19, slip_line=20)
    report = Report((result,), ("p.md",))
    (moved,) = _shifted(report, 4).results
    assert (moved.line, moved.previous_line, moved.slip_line) == (16, 15, 16)
    assert _shifted(report, None) is None and _shifted(report, 0) is report


def _plugin_path(tmp_path: Path) -> str:
    """PYTHONPATH for mkdocs: this tree, and an entry point for it when the installed derivcheck has none."""
    paths = [str(ROOT)]
    found = [e for e in importlib.metadata.entry_points(group="mkdocs.plugins") if e.name == "derivcheck"]
    if not any(e.value == PLUGIN for e in found):
        info = tmp_path / "entry" / "derivcheck_plugin_here-0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: derivcheck-plugin-here\nVersion: 0\n")
        (info / "entry_points.txt").write_text(f"[mkdocs.plugins]\nderivcheck = {PLUGIN}\n")
        paths.append(str(info.parent))
    return os.pathsep.join(paths)


def build(
    tmp_path: Path,
    plugin_options: str = "",
    extra: str = "",
    jobs: int = 1,
    before_copy: Callable[[Path], object] | None = None,
    jupyter: bool = False,
) -> tuple[subprocess.CompletedProcess, Path]:
    """``mkdocs build --strict`` of the test site with these plugin options; ``jobs`` > 1 uses the worker pool.

    ``before_copy`` may add pages to the docs folder; ``jupyter`` adds mkdocs-jupyter (include_source on).
    """
    site = tmp_path / "site-src"
    shutil.copytree(SITE, site)
    if before_copy is not None:
        before_copy(site / "docs")
    config = (site / "mkdocs.yml").read_text().replace("      jobs: 1\n", f"      jobs: {jobs}\n" + plugin_options)
    if jupyter:
        config = config.replace("plugins:\n", "plugins:\n  - mkdocs-jupyter:\n      include_source: true\n")
    (site / "mkdocs.yml").write_text(config + extra)
    env = dict(os.environ, PYTHONPATH=_plugin_path(tmp_path), NO_MKDOCS_2_WARNING="1",
               DERIVCHECK_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(site / "mkdocs.yml"), "-d", str(site / "out")],
        capture_output=True, text=True, timeout=300, env=env, cwd=site,
    )
    return proc, site / "out"


def marks_in(math: str) -> list[str]:
    """Every mark the plugin put in ``math``: ``\\quad \\texttip{…}{…}``, braces matched."""
    found = []
    start = math.find("\\quad \\texttip{")
    while start >= 0:
        position, groups, depth = start + len("\\quad \\texttip"), 0, 0
        while groups < 2:
            char = math[position]
            depth += {"{": 1, "}": -1}.get(char, 0)
            groups += char == "}" and depth == 0
            position += 1
        found.append(math[start:position])
        start = math.find("\\quad \\texttip{", position)
    return found


def display_math(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<div class="arithmatex">(.*?)</div>', page, re.S)]


@pytest.mark.slow
def test_mkdocs_build_marks_each_row_and_keeps_the_authors_latex(tmp_path):
    proc, out = build(tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "derivcheck: 1 page(s), 4 steps, 0 numbers: 3 proved, 1 wrong" in proc.stderr
    page = (out / "sigmoid.html").read_text()
    source = (SITE / "docs" / "sigmoid.md").read_text()
    latex = source[source.index("\\begin{aligned}") : source.index("\\end{aligned}")]
    (shown, block) = display_math(page)
    marks = marks_in(shown)
    assert len(marks) == 3
    unmarked = shown
    for mark in marks:
        unmarked = unmarked.replace(mark, "", 1)
    assert latex in unmarked  # the author's display, character for character, once the marks are taken out
    # the front matter shifts no mark: the cross is on the third row, after the slip, with its note number
    rows = shown.split("\\\\\n")
    assert "\\checkmark" in rows[0] and "\\checkmark" in rows[1]
    assert re.search(r"1 \+ \\sigma\(x\)\\right\)\\quad \\texttip\{\\color\{red\}\{\\text\{✗\}\}\^\{\\text\{\[1\]\}\}\}"
                     r"\{wrong: at x = 0: the step before is 0\.25, this step 0\.75\}", rows[2])
    assert "[1]</strong> ✗ <strong>wrong</strong>" in page and "line 20" not in page
    assert "derivcheck-badge derivcheck-failed" in page and "4 steps: 3 proved, 1 wrong" in page
    assert "\\begin{aligned}" in block and "(2) ✓" in block  # the fenced block, typeset
    index = (out / "index.html").read_text()
    assert "derivcheck" not in index.split("md-content")[1].split("</article>")[0]


@pytest.mark.slow
def test_strict_fails_the_build_on_a_wrong_step(tmp_path):
    proc, _ = build(tmp_path, "      strict: true\n", jobs=2)
    assert proc.returncode == 1
    assert "sigmoid.md:20: step is wrong" in proc.stderr and "do not pass (strict: true)" in proc.stderr


@pytest.mark.slow
def test_marks_false_publishes_the_math_as_written(tmp_path):
    proc, out = build(tmp_path, "      marks: false\n      badge: false\n")
    assert proc.returncode == 0, proc.stderr
    page = (out / "sigmoid.html").read_text()
    source = (SITE / "docs" / "sigmoid.md").read_text()
    latex = source[source.index("\\begin{aligned}") : source.index("\\end{aligned}")]
    assert latex in display_math(page)[0] and "derivcheck-badge" not in page and "\\texttip" not in page


def _mathjax() -> Path | None:
    for place in (os.environ.get("DERIVCHECK_MATHJAX"), ROOT / "node_modules" / "mathjax" / "es5"):
        if place and (Path(place) / "tex-chtml.js").is_file():
            return Path(place)
    return None


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
    "--hide-scrollbars", "--virtual-time-budget=20000",
]


@pytest.mark.slow
@pytest.mark.skipif(_chromium() is None, reason="chromium is not installed")
@pytest.mark.skipif(_mathjax() is None, reason="no local MathJax 3 (npm install mathjax@3, or set DERIVCHECK_MATHJAX)")
def test_the_built_page_typesets_in_chromium_with_local_mathjax(tmp_path):
    mathjax = _mathjax()
    assert mathjax is not None
    proc, out = build(tmp_path, extra="  - mathjax/tex-chtml.js\n")
    assert proc.returncode == 0, proc.stderr
    shutil.copytree(mathjax, out / "mathjax")
    page = out / "sigmoid.html"
    browser = _chromium()
    assert browser is not None
    profile = tmp_path / "profile"
    dom = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=180,
    ).stdout
    assert dom.count("<mjx-container") == 5, "MathJax did not typeset every formula of the page"
    assert "<mjx-merror" not in dom, "MathJax could not read the marked LaTeX"
    assert dom.count("<mjx-maction") == 3  # each mark carries its evidence as a tooltip
    png = Path(os.environ.get("DERIVCHECK_SCREENSHOT", tmp_path / "sigmoid.png"))
    png.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--window-size=1200,1100",
         f"--screenshot={png}", page.as_uri()],
        capture_output=True, text=True, timeout=180, check=True,
    )
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1200, 1100)
    assert len(data) > 30_000  # a blank page compresses to a few kilobytes


def test_the_recipe_page_documents_every_option():
    from derivcheck.publish.mkdocs import DerivcheckConfig

    page = (ROOT / "docs" / "mkdocs.md").read_text()
    snippets = [yaml_block for yaml_block in re.findall(r"^```yaml\n(.*?)^```$", page, flags=re.S | re.M)]
    import yaml

    configs = [yaml.safe_load(s) for s in snippets]
    options = [p["derivcheck"] for c in configs for p in c.get("plugins", []) if isinstance(p, dict)]
    documented = set(options[0]) | {"cache_dir"}  # cache_dir is named in the comment of `cache`
    assert documented == {name for name, _ in DerivcheckConfig._schema}
    assert "cache_dir" in page and "derivcheck[mkdocs]" in page and "not\n`pip install derivcheck`" in page


@pytest.mark.slow
def test_rendered_pages_pass_mkdocs_strict_without_links_outside_docs(tmp_path):
    """``render -o docs/…`` links each page to its source outside docs/, which ``mkdocs build --strict``
    refuses; ``--no-source-links`` or ``--source-url`` make pages it accepts."""
    from derivcheck.config import CheckConfig
    from derivcheck.render import render_paths
    from derivcheck.render.views import PageOptions

    site = tmp_path / "project"
    (site / "derivations").mkdir(parents=True)
    (site / "derivations" / "square.yaml").write_text(
        "title: a square\nsymbols: {x: real}\nsteps:\n  - (x + 1)**2\n  - x**2 + 2*x + 1\n"
    )
    (site / "docs").mkdir()
    (site / "docs" / "index.md").write_text("# Home\n")
    (site / "mkdocs.yml").write_text(
        "site_name: s\nmarkdown_extensions:\n  - pymdownx.arithmatex:\n      generic: true\n"
    )

    def strict_build(options: PageOptions) -> subprocess.CompletedProcess:
        render_paths([str(site / "derivations")], "markdown", str(site / "docs" / "derivations"),
                     CheckConfig(jobs=1, cache_dir=None), options=options)
        return subprocess.run(
            [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(site / "mkdocs.yml"),
             "-d", str(tmp_path / "out")],
            capture_output=True, text=True, timeout=300, env=dict(os.environ, NO_MKDOCS_2_WARNING="1"),
        )

    linked = strict_build(PageOptions(math="brackets"))
    assert linked.returncode == 1 and "square.yaml" in linked.stderr
    assert strict_build(PageOptions(math="brackets", source_links=False)).returncode == 0
    url = PageOptions(math="brackets", source_url="https://example.org/blob/main/{path}")
    assert strict_build(url).returncode == 0
    page = (tmp_path / "out" / "derivations" / "square" / "index.html").read_text()
    assert "https://example.org/blob/main/" in page and "\\begin{aligned}" in html.unescape(page)


def _plugin(tmp_path: Path, **options: object):
    from derivcheck.publish.mkdocs import DerivcheckPlugin

    plugin = DerivcheckPlugin()
    plugin.load_config({"jobs": 1, "cache_dir": str(tmp_path / "cache"), **options})
    plugin.on_config({})
    return plugin


class _File:
    def __init__(self, path: Path, docs: Path) -> None:
        self.abs_src_path = str(path)
        self.src_uri = path.relative_to(docs).as_posix()

    def is_documentation_page(self) -> bool:
        return True

    @property
    def content_string(self) -> str:
        return Path(self.abs_src_path).read_text()


@pytest.mark.slow
def test_a_page_changed_by_another_plugin_is_checked_as_it_is_then(tmp_path):
    from types import SimpleNamespace

    docs = tmp_path / "docs"
    docs.mkdir()
    page_path = docs / "sigmoid.md"
    page_path.write_text((SITE / "docs" / "sigmoid.md").read_text())
    (docs / "prose.md").write_text("# Prose\n")
    plugin = _plugin(tmp_path)
    files = [_File(page_path, docs), _File(docs / "prose.md", docs)]
    plugin.on_files(files, config={"docs_dir": str(docs)})
    assert list(plugin.reports) == [str(page_path)]
    source = page_path.read_text()
    markdown = source[source.index("# The sigmoid") :]
    page = SimpleNamespace(file=files[0])
    as_written = plugin.on_page_markdown(markdown, page=page, config={}, files=files)
    # another plugin added two lines on top: the page is checked again, the marks land on the same rows
    changed = plugin.on_page_markdown("Added.\n\n" + markdown, page=page, config={}, files=files)
    for text in (as_written, changed):
        assert text.count("\\checkmark") == 2 and text.count("\\texttip{\\color{red}") == 1
        assert "1 + \\sigma(x)\\right)\\quad \\texttip{\\color{red}" in text
    assert changed.split("\n")[1].startswith('<span class="derivcheck-badge')  # no heading first: the badge on top
    assert changed.split("\n")[3] == "Added." and "4 steps: 3 proved, 1 wrong" in changed
    prose = SimpleNamespace(file=files[1])
    assert plugin.on_page_markdown("# Prose\n", page=prose, config={}, files=files) == "# Prose\n"


@pytest.mark.slow
def test_strict_raises_a_plugin_error_in_process(tmp_path):
    from mkdocs.exceptions import PluginError

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "sigmoid.md").write_text((SITE / "docs" / "sigmoid.md").read_text())
    plugin = _plugin(tmp_path, strict=True)
    with pytest.raises(PluginError, match="do not pass"):
        plugin.on_files([_File(docs / "sigmoid.md", docs)], config={"docs_dir": str(docs)})


NOTEBOOK_DERIVATION = [
    "The derivative:\n", "\n", "<!-- derivcheck\n", "title: softplus derivative\n", "symbols:\n", "  x: real\n",
    "-->\n", "$$\n", "\\begin{aligned}\n",
    "\\frac{d}{dx}\\log(1 + e^{x}) &= \\frac{e^{x}}{1 + e^{x}} && \\text{(chain rule)} \\\\\n",
    "&= \\frac{1}{1 + e^{-x}} \\\\\n",
    "&= \\frac{1}{1 - e^{-x}} && \\text{(a slip)}\n",
    "\\end{aligned}\n", "$$\n",
]


def _write_notebook(path: Path) -> None:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Softplus in a notebook\n", "\n", "Prose.\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": ["x = 1\n"]},
        {"cell_type": "markdown", "metadata": {}, "source": NOTEBOOK_DERIVATION},
    ]
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook = {"cells": cells, "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


@pytest.mark.slow
def test_a_notebook_page_is_read_from_a_marked_copy_while_it_is_built(tmp_path):
    from types import SimpleNamespace

    docs = tmp_path / "docs"
    (docs / "nb").mkdir(parents=True)
    path = docs / "nb" / "softplus.ipynb"
    _write_notebook(path)
    written = path.read_text()
    plugin = _plugin(tmp_path)
    files = [_File(path, docs)]
    plugin.on_files(files, config={"docs_dir": str(docs)})
    page = SimpleNamespace(file=files[0])
    plugin.on_pre_page(page, config={}, files=files)
    copy = Path(page.file.abs_src_path)
    assert copy != path and copy.name == "softplus.ipynb" and copy.parent.name == "nb"  # the plugin's patterns match
    cells = [json.loads(copy.read_text())["cells"][i]["source"] for i in range(3)]
    assert "derivcheck-badge derivcheck-failed" in cells[0] and "3 steps: 2 proved, 1 wrong" in cells[0]
    assert cells[1] == ["x = 1\n"]  # code cells as they were
    assert cells[2].count("\\checkmark") == 2
    assert "\\frac{1}{1 - e^{-x}}\\quad \\texttip{\\color{red}{\\text{✗}}^{\\text{[1]}}}" in cells[2]
    assert "**\\[1\\]** ✗ **wrong**" in cells[2] and "at $x = 1$" in cells[2]  # the note, math in dollars
    # the Markdown handed to on_page_markdown (the JSON) is left alone; the page gets its own path back
    assert plugin.on_page_markdown(written, page=page, config={}, files=files) == written
    plugin.on_page_content("<p></p>", page=page, config={}, files=files)
    assert page.file.abs_src_path == str(path) and path.read_text() == written
    plugin.on_post_build(config={})
    assert not copy.exists()


@pytest.mark.slow
def test_mkdocs_jupyter_notebook_pages_are_marked(tmp_path):
    pytest.importorskip("mkdocs_jupyter")
    _write_notebook(tmp_path / "softplus.ipynb")
    site = tmp_path / "site-src"
    proc, out = build(
        tmp_path, before_copy=lambda docs: shutil.copy(tmp_path / "softplus.ipynb", docs), jupyter=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "derivcheck: 2 page(s), 7 steps" in proc.stderr and "softplus.ipynb:12: cell 3, line 12" in proc.stderr
    page = html.unescape((out / "softplus.html").read_text())
    assert page.count("\\texttip{\\color{green}{\\checkmark}}{proved}") == 2
    assert "\\frac{1}{1 - e^{-x}}\\quad \\texttip{\\color{red}{\\text{✗}}^{\\text{[1]}}}{wrong: at x = 1" in page
    assert "derivcheck-badge derivcheck-failed" in page and "3 steps: 2 proved, 1 wrong" in page
    assert "[1]</strong> ✗ <strong>wrong</strong>" in page
    # include_source publishes the notebook as written, not the marked copy
    assert (out / "softplus.ipynb").read_text() == (site / "docs" / "softplus.ipynb").read_text()
    assert "\\checkmark" not in (out / "softplus.ipynb").read_text()


@pytest.mark.slow
def test_a_notebook_mkdocs_jupyter_executes_is_left_unmarked_with_a_warning(tmp_path, caplog):
    from types import SimpleNamespace

    jupyter = pytest.importorskip("mkdocs_jupyter.plugin")
    docs = tmp_path / "docs"
    docs.mkdir()
    path = docs / "softplus.ipynb"
    _write_notebook(path)
    plugin = _plugin(tmp_path)
    files = [_File(path, docs)]
    plugin.on_files(files, config={"docs_dir": str(docs)})
    for execute, ignore, swapped in ((True, [], False), (True, ["*/softplus.ipynb"], True), (False, [], True)):
        runner = jupyter.Plugin()
        runner.load_config({"execute": execute, "execute_ignore": ignore})
        page = SimpleNamespace(file=_File(path, docs))
        config = {"docs_dir": str(docs), "plugins": {"mkdocs-jupyter": runner}}
        with caplog.at_level("WARNING", logger="mkdocs.plugins.derivcheck"):
            plugin.on_pre_page(page, config=config, files=files)
        assert (page.file.abs_src_path != str(path)) is swapped
        plugin.on_page_content("", page=page, config=config, files=files)
    assert "softplus.ipynb: the notebook is executed by mkdocs-jupyter" in caplog.text
    plugin.on_post_build(config={})
