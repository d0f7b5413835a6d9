"""Rendering LaTeX sources: a post's LaTeX derivations are typeset in place, with their marks."""


from derivcheck.config import CheckConfig
from derivcheck.render import render_paths

FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)

POST = """\
# A post

Before.

<!-- derivcheck
title: doubling
symbols:
  x: real
-->
$$ x + x = 2x = 3x $$

After.
"""


def test_latex_derivation_is_kept_as_written_with_marks(tmp_path):
    post = tmp_path / "post.md"
    post.write_text(POST, encoding="utf-8")
    text = render_paths([str(post)], "markdown", config=FAST).text
    before, after = text.index("Before."), text.index("After.")
    body = text[before:after]
    # the author's comment and display stay; both steps sit on one line and each keeps its own verdict
    assert "<!-- derivcheck\ntitle: doubling" in body
    assert "$$ x + x = 2x\\quad \\color{green}{\\checkmark} = 3x\\quad \\color{red}{\\text{✗}}^{\\text{[1]}} $$" in body
    assert "**\\[1\\]** ✗ **wrong**, line 10" in body


def test_every_format_renders_a_latex_source(tmp_path):
    post = tmp_path / "post.md"
    post.write_text(POST, encoding="utf-8")
    html = render_paths([str(post)], "html", config=FAST, check=False).text
    assert "doubling" in html and "derivcheck" not in html.split("doubling")[0][-200:]
    latex = render_paths([str(post)], "latex", config=FAST, check=False).text
    assert "Before.\n\n\n$$ x + x = 2x = 3x $$\nAfter." in latex  # the author's display, kept
    assert "derivcheck" not in latex.split("\\begin{document}")[1]
