"""Derivations in Markdown: every result and error points at its line in the post."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from derivcheck.api import verify_paths
from derivcheck.config import CheckConfig
from derivcheck.errors import FormatError
from derivcheck.load import load_file
from derivcheck.load.markdown import derivation_blocks, documents_from_markdown
from derivcheck.model import Document, LoadError

FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)

BLOCK = """\
```derivation
title: {title}
symbols:
  x: real
steps:
  - x + x
  - expr: 2*x
    by: collect
  - {last}
```
"""

PROSE = "Some prose about derivations, with `code` and *emphasis*.\n\n"


def block(title="t", last="x*2"):
    return BLOCK.format(title=title, last=last)


def line_of(text: str, needle: str, start: int = 1) -> int:
    """1-based line of the first line at or after ``start`` that contains ``needle``."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= start and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def write(tmp_path: Path, text: str, name: str = "post.md") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def results(path: str):
    return verify_paths([path], FAST).results


def test_lines_of_several_blocks_are_lines_of_the_file(tmp_path):
    text = "# Post\n\n" + PROSE + block("first") + "\n" + PROSE * 3 + block("second", "3*x") + PROSE
    path = write(tmp_path, text)
    found = [(r.title, r.line, r.verdict.value) for r in results(path)]
    first_block = line_of(text, "title: first")
    second_block = line_of(text, "title: second")
    assert found == [
        ("first", line_of(text, "- expr: 2*x", first_block), "proved"),
        ("first", line_of(text, "- x*2", first_block), "proved"),
        ("second", line_of(text, "- expr: 2*x", second_block), "proved"),
        ("second", line_of(text, "- 3*x", second_block), "wrong"),
    ]


def test_block_after_long_prose_and_other_code_blocks(tmp_path):
    other_blocks = (
        "```python\nprint('```derivation')\n```\n\n"
        "```yaml\ntitle: not checked\nsteps: [x, y]\n```\n\n"
        "    ```derivation\n    indented code, not a fence\n    ```\n\n"
    )
    text = PROSE * 150 + other_blocks + PROSE * 50 + block("late", "3*x")
    path = write(tmp_path, text)
    (first, second) = results(path)
    assert first.line == line_of(text, "- expr: 2*x") > 400
    assert second.line == line_of(text, "- 3*x") and second.verdict.value == "wrong"
    assert second.previous_line == first.line


def test_block_inside_a_list_item_keeps_its_lines(tmp_path):
    indented = "".join("   " + line if line.strip() else line for line in block("listed", "3*x").splitlines(True))
    text = PROSE + "1. A step list:\n\n" + indented + "\n2. next item\n"
    path = write(tmp_path, text)
    wrong = results(path)[-1]
    assert wrong.line == line_of(text, "- 3*x") and wrong.verdict.value == "wrong"


def test_tilde_fence_with_more_info_words_is_a_derivation_block():
    text = PROSE + "~~~derivation  {.checked}\ntitle: t\nsymbols: {x: }\nsteps: [x, x]\n~~~\n"
    (only,) = derivation_blocks(text)
    assert only.first_line == 4 and only.fence_line == 3 and only.end_line == 7


def test_unterminated_fence_is_an_error_at_its_line(tmp_path):
    text = PROSE + block("closed") + "\n" + PROSE * 4 + "```derivation\ntitle: open\nsymbols: {}\n"
    path = write(tmp_path, text)
    found = results(path)
    error = found[-1]
    assert error.is_error
    assert error.line == line_of(text, "title: open") - 1
    assert "never closed" in error.message
    assert [r.verdict.value for r in found[:-1]] == ["proved", "proved"]  # the closed block is still checked
    with pytest.raises(FormatError) as caught:
        derivation_blocks(text)
    assert caught.value.line == error.line


@pytest.mark.slow
def test_markdown_without_blocks_is_fine_beside_a_derivation(tmp_path):
    notes = write(tmp_path, "# Notes\n\nNothing to check here.\n\n```python\nx = 1\n```\n")
    post = write(tmp_path, block("checked"), "post2.md")
    report = verify_paths([notes, post], FAST)
    assert report.exit_code == 0 and not any(r.is_error for r in report.results)
    assert report.empty_files == (notes,)
    proc = subprocess.run(
        [sys.executable, "-m", "derivcheck", "verify", "--no-cache", "--jobs", "1", notes, post],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0
    (line,) = [line for line in proc.stdout.splitlines() if "without derivations" in line]
    assert line.startswith("1 file without derivations (nothing to check): ") and line.endswith(".md")


def test_a_run_whose_only_post_has_no_blocks_checks_nothing_and_is_not_a_pass(tmp_path):
    path = write(tmp_path, "# Notes\n\nNothing to check here.\n")
    report = verify_paths([path], FAST)
    assert report.exit_code == 2
    (error,) = report.results
    assert "nothing to check" in error.message and "none of the 1 file(s) read holds a derivation" in error.message


def test_a_byte_order_mark_is_read_like_no_mark(tmp_path):
    text = block("with a mark")
    plain = verify_paths([write(tmp_path, text, "plain.md")], FAST)
    marked_path = tmp_path / "marked.md"
    marked_path.write_bytes(text.encode("utf-8-sig"))
    marked = verify_paths([str(marked_path)], FAST)
    assert marked.exit_code == plain.exit_code == 0
    assert [(r.line, r.verdict) for r in marked.results] == [(r.line, r.verdict) for r in plain.results]
    assert marked.results and marked.empty_files == ()


def test_empty_block_is_an_error_at_its_fence():
    text = PROSE + "```derivation\n```\n"
    (error,) = documents_from_markdown(text, "post.md")
    assert isinstance(error, LoadError) and error.line == 3 and "empty" in error.message


def test_yaml_and_format_errors_inside_a_block_carry_file_lines():
    text = PROSE * 5 + "```derivation\ntitle: t\nsymbols: {x: }\nsteps:\n  - x\n  - [x\n```\n" + PROSE + (
        "```derivation\ntitle: u\nsymbols: {x: }\nstep:\n  - x\n```\n"
    )
    syntax, unknown_key = documents_from_markdown(text, "post.md")
    assert isinstance(syntax, LoadError) and isinstance(unknown_key, LoadError)
    assert line_of(text, "- [x") <= syntax.line <= line_of(text, "- [x") + 1
    assert unknown_key.line == line_of(text, "step:", line_of(text, "title: u"))
    assert "unknown top-level key 'step'" in unknown_key.message


def test_parse_error_in_a_block_points_at_the_post_line(tmp_path):
    text = PROSE * 7 + block("bad", "foo(x)")
    path = write(tmp_path, text)
    (error,) = results(path)
    assert error.is_error and error.line == line_of(text, "- foo(x)")


def test_directory_holds_markdown_next_to_yaml(tmp_path):
    write(tmp_path, PROSE + block("post"), "post.md")
    write(tmp_path, "title: yaml\nsymbols: {x: }\nsteps: [x + x, 2*x]\n", "plain.yaml")
    report = verify_paths([str(tmp_path)], FAST)
    assert sorted({Path(r.file).name for r in report.results}) == ["plain.yaml", "post.md"]
    assert report.exit_code == 0


def test_load_file_reports_kind_and_documents(tmp_path):
    path = write(tmp_path, block("a") + PROSE + block("b"))
    loaded = load_file(path, 1_000_000)
    assert loaded.kind == "markdown"
    assert [d.title for d in loaded.items if isinstance(d, Document)] == ["a", "b"]


@pytest.mark.slow
def test_cli_json_lines_for_markdown(tmp_path):
    text = PROSE * 3 + block("cli", "3*x")
    path = write(tmp_path, text)
    proc = subprocess.run(
        [sys.executable, "-m", "derivcheck", "verify", "--no-cache", "--jobs", "1", "--format", "json", path],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    assert [(r["line"], r["verdict"]) for r in data["results"]] == [
        (line_of(text, "- expr: 2*x"), "proved"),
        (line_of(text, "- 3*x"), "wrong"),
    ]


@pytest.mark.slow
def test_example_post_verifies_strictly():
    root = Path(__file__).resolve().parents[2]
    report = verify_paths([str(root / "examples")], FAST.with_(strict=True))
    assert report.exit_code == 0, [(r.line, r.message or r.verdict) for r in report.results if not r.passes]
    assert sum(1 for r in report.results if r.kind == "step") >= 15


@pytest.mark.parametrize("brk", ["\x0c", "\x0b", "\x1c", "\x85", "\u2028", "\u2029"])
def test_a_unicode_line_break_in_prose_is_not_a_line(brk):
    """Form feed, NEL, U+2028…: str.splitlines() breaks there, CommonMark (and GitHub's line numbers) do not."""
    block = "```derivation\ntitle: t\nsymbols: {x: real}\nsteps:\n  - 2*x\n  - x + x\n```\n"
    plain = "# Post\n\nSome prose, more prose.\n\n" + block + "\nmore\n\n" + block
    hostile = plain.replace(", more", brk + "more", 1)
    expected = [(type(d).__name__, d.line, [s.expr.line for c in d.chains for s in c.steps])
                for d in documents_from_markdown(plain, "p.md")]
    got = [(type(d).__name__, d.line, [s.expr.line for c in d.chains for s in c.steps])
           for d in documents_from_markdown(hostile, "p.md")]
    assert got == expected and [kind for kind, _, _ in got] == ["Document", "Document"]
    assert [b.fence_line for b in derivation_blocks(hostile)] == [5, 15]
