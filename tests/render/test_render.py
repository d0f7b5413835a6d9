"""Rendering files: every library file in every format, structure of the output, marks, escaping, the CLI."""

import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from derivcheck.config import CheckConfig
from derivcheck.render import WRITERS, RenderError, page_paths, render_paths
from derivcheck.render.views import collect_files

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = sorted(p for p in (ROOT / "derivations").rglob("*") if p.suffix in (".yaml", ".yml"))
FIXTURES = Path(__file__).parent / "fixtures"
FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)


# -- structure checkers --------------------------------------------------------------------------


class MathCounter(HTMLParser):
    """Counts step rows, <math> elements inside them, and anything a page must not hold."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.steps = 0
        self.steps_with_math = 0
        self.maths = 0
        self.forbidden: list[str] = []
        self._row_has_math = False
        self._in_step = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "iframe", "object", "embed", "link", "img"):
            self.forbidden.append(tag)
        for name, value in attrs.items():
            if name.startswith("on") or (value and "javascript:" in value.lower()):
                self.forbidden.append(f"{tag} {name}")
            if name in ("src", "href") and value and re.match(r"(https?:)?//", value) and tag != "a":
                self.forbidden.append(f"{tag} {name}={value}")
        if tag == "tr" and "step" in (attrs.get("class") or "").split():
            self.steps += 1
            self._in_step, self._row_has_math = True, False
        if tag == "math":
            self.maths += 1
            if self._in_step and not self._row_has_math:
                self._row_has_math = True
                self.steps_with_math += 1
        if tag not in ("meta", "br", "hr", "img", "link", "input"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()
        if tag == "tr":
            self._in_step = False


def check_html(text: str) -> MathCounter:
    counter = MathCounter()
    counter.feed(text)
    counter.close()
    assert counter.stack == [], counter.stack
    assert counter.forbidden == [], counter.forbidden
    assert counter.steps == counter.steps_with_math
    return counter


def check_latex(text: str) -> None:
    """Environments nest and close, braces balance (outside escapes), \\left/\\right pair up."""
    assert text.startswith("\\documentclass") and text.rstrip().endswith("\\end{document}")
    body = re.sub(r"\\[{}$&#%_]", "", text)  # escaped characters do not count
    stack = []
    for kind, name in re.findall(r"\\(begin|end)\{([^}]*)\}", body):
        if kind == "begin":
            stack.append(name)
        else:
            assert stack and stack.pop() == name, name
    assert stack == []
    depth = 0
    for char in body:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0
    assert len(re.findall(r"\\left\b", body)) == len(re.findall(r"\\right\b", body))
    assert body.count("$") % 2 == 0


def check_markdown(text: str) -> None:
    assert text.count("\\begin{aligned}") == text.count("\\end{aligned}")
    assert sum(1 for line in text.splitlines() if line == "$$") % 2 == 0


def steps_of(views) -> int:
    return sum(len(c.steps) for v in views for d in v.documents for c in d.chains)


# -- the library ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_library_file_renders_in_every_format(path):
    views, missing = collect_files([str(path)], FAST, check=False)
    assert not missing and len(views) == 1
    (view,) = views
    assert not view.errors, view.errors
    counter = check_html(WRITERS["html"].page(view))
    assert counter.steps == steps_of(views)
    assert counter.steps > 0 or any(d.numbers for d in view.documents)
    check_latex(WRITERS["latex"].page(view))
    markdown = WRITERS["markdown"].page(view)
    check_markdown(markdown)
    chains = sum(len(d.chains) for d in view.documents)
    assert markdown.count("\\begin{aligned}") == chains


# -- verdict marks -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def marks_view():
    (view,), _ = collect_files([str(FIXTURES / "marks.yaml")], FAST)
    return view


def test_marks_of_each_step(marks_view):
    slip, erratum = marks_view.documents
    steps = slip.chains[0].steps
    assert [s.mark and s.mark.tone for s in steps] == [None, "proved", "wrong"]
    assert [s.relation for s in steps] == ["", "=", "≠"]
    assert "at x = " in steps[2].mark.detail and "this step" in steps[2].mark.detail
    main, case = erratum.chains
    assert [s.mark and s.mark.tone for s in main.steps] == [None, "erratum", "proved"]
    assert main.steps[2].against == main.steps[0].line
    assert case.when and case.steps[1].mark.tone == "proved"
    assert erratum.numbers[0].mark.tone == "proved" and erratum.numbers[0].computed == "9"
    assert marks_view.summary() == "5 steps and 1 number: 4 proved, 1 wrong, 1 erratum refuted"


def test_marks_in_every_format(marks_view):
    html = WRITERS["html"].page(marks_view)
    check_html(html)
    assert "✗" in html and "Counterexample:" in html and "Erratum:" in html
    assert "the cross term 2x is missing" in html and "A step that would hold here" in html
    latex = WRITERS["latex"].page(marks_view)
    check_latex(latex)
    assert r"\dcwrong{}" in latex and r"\neq{}&" in latex and "begin{align*}" in latex
    markdown = WRITERS["markdown"].page(marks_view)
    check_markdown(markdown)
    assert "(3) ✗" in markdown and "✗ **wrong**" in markdown and "erratum: the cross term" in markdown
    assert "| ✓ proved | $`x^{2}`$ | $`x = 3`$ | 9 | 9 | 29 |" in markdown


# -- escaping ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_view():
    (view,), _ = collect_files([str(FIXTURES / "hostile.yaml")], FAST)
    return view


def test_hostile_text_is_escaped_in_html(hostile_view):
    html = WRITERS["html"].page(hostile_view)
    check_html(html)  # no <script>, no stray </math>, no external resource
    assert "&lt;/math&gt;&lt;script&gt;" in html
    assert "&lt;img src=http://example.com/x.png&gt;" in html


def test_hostile_text_is_escaped_in_latex(hostile_view):
    latex = WRITERS["latex"].page(hostile_view)
    check_latex(latex)
    assert "\\input{" not in latex and "\\textbackslash{}input\\{/etc/passwd\\}" in latex
    assert "\\end{document}" not in latex[: latex.rindex("\\end{document}")]
    assert "\\end{align*} }{" not in latex


def test_hostile_text_is_escaped_in_markdown(hostile_view):
    markdown = WRITERS["markdown"].page(hostile_view)
    check_markdown(markdown)
    assert "<script>" not in markdown and "\\<script\\>" in markdown
    assert "\\$x\\$" in markdown and "\\| table \\|" in markdown


# -- Markdown posts ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def post_view():
    (view,), _ = collect_files([str(FIXTURES / "post.md")], FAST)
    return view


def test_post_keeps_prose_and_replaces_blocks(post_view):
    assert post_view.title == "A post with derivations"
    markdown = WRITERS["markdown"].page(post_view)
    assert "```derivation" not in markdown and "```python" in markdown
    assert "Prose with *emphasis*" in markdown and "More prose." in markdown
    assert markdown.count("\\begin{aligned}") == 2
    assert "\n  $$\n  \\begin{aligned}\n  & x + x" in markdown  # the list item's block stays indented
    assert "\n  ={}& 2x && \\text{(2) ✓}\n  \\end{aligned}" in markdown
    html = WRITERS["html"].page(post_view)
    counter = check_html(html)
    assert counter.steps == 4
    assert "&lt;span&gt;raw html&lt;/span&gt;" in html and "<em>emphasis</em>" in html
    assert '<a href="http://example.com/img.png">[image: remote image]</a>' in html
    assert "print(&quot;other code blocks" in html
    latex = WRITERS["latex"].page(post_view)
    check_latex(latex)
    assert "\\section*{A post with derivations}" in latex and latex.count("begin{align*}") == 2


def test_post_with_load_error_still_renders(tmp_path):
    post = tmp_path / "broken.md"
    post.write_text("# Broken\n\n```derivation\ntitle: t\nsymbols: {x: }\nsteps: [x, foo(x)]\n```\n\n```derivation\n")
    (view,), _ = collect_files([str(post)], FAST)
    messages = [e.message for e in view.errors]
    assert any("foo" in m for m in messages) and any("never closed" in m for m in messages)
    for name in WRITERS:
        text = WRITERS[name].page(view)
        assert "Not readable" in text


def test_readme_without_blocks_is_skipped_in_a_directory(tmp_path):
    (tmp_path / "README.md").write_text("# Library\n\nNo derivations here.\n")
    (tmp_path / "a.yaml").write_text("title: a\nsymbols: {x: }\nsteps: [x + x, 2*x]\n")
    views, _ = collect_files([str(tmp_path)], FAST, check=False)
    assert [Path(v.path).name for v in views] == ["a.yaml"]
    views, _ = collect_files([str(tmp_path / "README.md")], FAST, check=False)
    assert views[0].summary() == "no derivation blocks (nothing to check)"


# -- files and the command line ------------------------------------------------------------------


def test_page_paths_mirror_folders_and_avoid_clashes(tmp_path):
    (tmp_path / "lib" / "sub").mkdir(parents=True)
    lib = tmp_path / "lib"
    files = [str(lib / "sub" / "a.yaml"), str(lib / "sub" / "a.md"), str(lib / "b.yaml")]
    paths = page_paths([str(tmp_path / "lib")], files, "out", ".md")
    assert paths == {
        files[0]: str(Path("out/sub/a.yaml.md")),
        files[1]: str(Path("out/sub/a.md.md")),
        files[2]: str(Path("out/b.md")),
    }


def test_directory_output_has_pages_and_index(tmp_path):
    out = tmp_path / "site"
    run = render_paths([str(FIXTURES)], "html", str(out), FAST, check=False)
    names = sorted(str(Path(p).relative_to(out)) for p in run.written)
    assert names == ["hostile.html", "index.html", "marks.html", "post.html"]
    index = (out / "index.html").read_text()
    check_html(index)
    assert 'href="marks.html">marks</a>: marks of every kind' in index


def test_refuses_to_overwrite_an_input(tmp_path):
    post = tmp_path / "p.md"
    post.write_text((FIXTURES / "post.md").read_text())
    with pytest.raises(RenderError):
        render_paths([str(post)], "markdown", str(post), FAST, check=False)
    assert post.read_text() == (FIXTURES / "post.md").read_text()


def run_cli(*args):
    proc = subprocess.run(
        [sys.executable, "-m", "derivcheck", "render", *map(str, args)],
        capture_output=True, text=True, timeout=120,
    )
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


@pytest.mark.slow
def test_cli_renders_to_stdout_and_to_a_directory(tmp_path):
    proc = run_cli(FIXTURES / "marks.yaml", "--to", "latex", "--no-cache", "--jobs", "1")
    assert proc.returncode == 0
    check_latex(proc.stdout)
    assert r"\dcwrong{}" in proc.stdout
    proc = run_cli(FIXTURES, "--to", "markdown", "-o", tmp_path / "docs", "--no-check")
    assert proc.returncode == 0
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == ["hostile.md", "index.md", "marks.md", "post.md"]
    index = (tmp_path / "docs" / "index.md").read_text()
    assert "(marks.md)" in index and "(post.md)" in index


@pytest.mark.slow
def test_cli_single_output_file_and_missing_input(tmp_path):
    target = tmp_path / "all.html"
    proc = run_cli(FIXTURES / "marks.yaml", FIXTURES / "post.md", "--to", "html", "-o", target, "--no-check")
    assert proc.returncode == 0
    counter = check_html(target.read_text())
    assert counter.steps == 8 + 4
    proc = run_cli(tmp_path / "missing.yaml", "--no-check")
    assert proc.returncode == 2 and "no such file" in proc.stderr


def test_blocks_opened_on_a_list_marker_or_in_a_blockquote(tmp_path):
    post = tmp_path / "lead.md"
    post.write_text(
        "- ```derivation\n  title: t\n  symbols: {x: }\n  steps: [x + x, 2*x]\n  ```\n- next\n\n"
        "> ```derivation\n> title: q\n> symbols: {x: }\n> steps: [x, x]\n> ```\n"
    )
    (view,), _ = collect_files([str(post)], FAST, check=False)
    markdown = WRITERS["markdown"].page(view)
    assert markdown.startswith("- **t**\n\n  $$\n  \\begin{aligned}\n")
    assert "\n- next\n" in markdown
    assert "\n> **q**\n>\n> $$\n" in markdown and "\n> 2. line 11\n" in markdown
