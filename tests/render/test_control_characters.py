"""Control characters from a file never reach a rendered page raw: ESC, BEL, C1 and bidirectional
overrides are shown as escapes (``\\x1b``) in Markdown, HTML and LaTeX pages."""

import json
import re

import pytest

from derivcheck.config import CheckConfig
from derivcheck.render import render_paths

FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)
# Any C0 control but tab and newline, DEL, C1, line separators, bidirectional marks and overrides.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

YAML = (
    'title: "Loss \\e[31mred\\e[0m \\u202eevil"\n'
    'source: "a book \\e[2J"\n'
    "symbols:\n  x: real\n"
    "steps:\n  - x + x\n  - expr: 2*x\n    by: \"doubling \\e[1m\\a\"\n"
    "  - expr: 3*x\n    by: \"\\x9b slip\"\n"
)
POST = "# A \x1b[31mpost\x1b[0m\n\nProse with \x1b]0;title\x07 and \u202e.\n\n```derivation\n" + (
    'title: "inner \x1b[5m"\nsymbols:\n  x: real\nsteps:\n  - x + x\n  - 2*x\n```\n'
)


@pytest.fixture()
def inputs(tmp_path):
    (tmp_path / "loss.yaml").write_text(YAML, encoding="utf-8")
    (tmp_path / "post.md").write_text(POST, encoding="utf-8")
    cell = {"cell_type": "markdown", "metadata": {}, "source": ["# Cell \x1b[31mred\x1b[0m\n"]}
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("to", ["markdown", "html", "latex"])
def test_no_control_character_reaches_a_page(inputs, to):
    paths = [str(inputs / "loss.yaml"), str(inputs / "post.md")] + ([str(inputs / "nb.ipynb")] if to != "latex" else [])
    text = render_paths(paths, to, config=FAST).text
    assert not RAW.search(text), repr(RAW.search(text))
    # shown, not dropped: the reader sees that the title held an escape
    assert "x1b" in text and "u202e" in text
    assert "Loss" in text and "doubling" in text and "slip" in text


def test_titles_show_the_escape_in_each_format(inputs):
    path = [str(inputs / "loss.yaml")]
    assert "# Loss \\\\x1b\\[31mred" in render_paths(path, "markdown", config=FAST, check=False).text
    assert "<h1>Loss \\x1b[31mred\\x1b[0m \\u202eevil</h1>" in render_paths(path, "html", config=FAST, check=False).text
    assert "Loss \\textbackslash{}x1b[31mred" in render_paths(path, "latex", config=FAST, check=False).text
