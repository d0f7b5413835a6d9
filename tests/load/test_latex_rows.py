"""Every row of a LaTeX display has one number; a 'wrong:' marker names exactly the row it refutes."""

import pytest

from derivcheck.api import verify_loaded
from derivcheck.config import CheckConfig
from derivcheck.load import LoadedFile
from derivcheck.load.markdown import documents_from_markdown
from derivcheck.model import Document, LoadError

FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)


def post(display: str, wrong: str = "") -> str:
    return (
        "<!-- derivcheck\ntitle: t\nsymbols:\n  x: real\n" + wrong + "-->\n$$\n" + display + "\n$$\n"
    )


SPLIT = (
    "|x| = \\begin{cases} x & x \\geq 0 \\\\ {CASE2} & x < 0 \\end{cases} \\\\\n"
    "(x + 1)^2 = {LATER}"
)


def display(case2: str = "-x", later: str = "x^2 + 2x + 1") -> str:
    return SPLIT.replace("{CASE2}", case2).replace("{LATER}", later)


def results(text: str) -> list:
    loaded = LoadedFile("post.md", tuple(documents_from_markdown(text, "post.md")), "markdown")
    return [r for r in verify_loaded([loaded], FAST, files=["post.md"]).results if r.kind == "step"]


def test_the_rows_after_a_case_split_count_on_from_its_last_case():
    (doc,) = documents_from_markdown(post(display()), "post.md")
    assert isinstance(doc, Document)
    assert [c.label for c in doc.chains] == ["row 1, case 1", "row 2, case 2", "row 3"]


def test_a_marker_on_the_row_after_the_split_marks_only_that_row():
    found = results(post(display(later="x^2 + 2x + 2"), "wrong:\n  3: off by one\n"))
    assert [(r.verdict.value, r.erratum, r.passes) for r in found] == [
        ("proved", None, True),
        ("proved", None, True),
        ("wrong", "off by one", True),
    ]


def test_a_marker_on_a_case_never_reaches_a_later_row():
    # case 2 is false and marked; the row after it is false too and is not marked: it must fail
    found = results(post(display(case2="x", later="x^2 + 2x + 2"), "wrong:\n  2: sign slip\n"))
    assert [(r.verdict.value, r.erratum, r.passes) for r in found] == [
        ("proved", None, True),
        ("wrong", "sign slip", True),
        ("wrong", None, False),
    ]


def test_a_marker_past_the_last_row_counts_cases_as_rows():
    (item,) = documents_from_markdown(post(display(), "wrong:\n  4: nothing there\n"), "post.md")
    assert isinstance(item, LoadError)
    assert "names row 4" in item.message and "(3 rows" in item.message


@pytest.mark.parametrize("key", ["1.1"])
def test_the_expression_a_split_starts_from_cannot_be_marked(key):
    (item,) = documents_from_markdown(post(display(), f"wrong:\n  {key}: no\n"), "post.md")
    assert isinstance(item, LoadError) and "cannot be marked" in item.message


def test_markers_on_one_row_with_and_without_a_part_are_reported_not_crashed():
    (item,) = documents_from_markdown(post(display(), "wrong:\n  7: a\n  7.2: b\n"), "post.md")
    assert isinstance(item, LoadError) and "names row 7" in item.message
