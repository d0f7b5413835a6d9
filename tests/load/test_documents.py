"""Loading: the document model keeps lines; every malformed shape is a clear LoadError."""

import pytest

from derivcheck.load.documents import documents_from_text
from derivcheck.load.model import Document, LoadError

GOOD = """\
title: two documents
symbols:
  x: real
steps:
  - x + x
  - expr: 2*x
    by: collect
---
title: second
symbols: {}
numbers:
  - expr: 1/4
    at: {}
    is: 0.25
"""


def test_several_documents_and_their_lines():
    first, second = documents_from_text(GOOD, "f.yaml")
    assert isinstance(first, Document) and isinstance(second, Document)
    steps = first.chains[0].steps
    assert [s.expr.line for s in steps] == [5, 6]
    assert steps[1].by == "collect"
    assert second.title == "second" and second.numbers[0].line == 12


def error_of(text: str) -> LoadError:
    (item,) = documents_from_text(text, "f.yaml")
    assert isinstance(item, LoadError), item
    return item


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        ("title: t\nsymbols: {}\nstepz:\n  - 1\n  - 1\n", 3, "unknown top-level key 'stepz' (did you mean 'steps'?)"),
        ("symbols: {}\nsteps:\n  - 1\n  - 1\n", 1, "missing required key 'title'"),
        ("title: t\nsymbols: {}\nsteps:\n  - 1\n", 4, "a chain needs at least two"),
        (
            "title: t\nsymbols: {}\nsteps:\n  - expr: 1\n    bye: x\n  - 1\n",
            5,
            "unknown step key 'bye' (did you mean 'by'?)",
        ),
        ("title: t\nsymbols: {}\n", 1, "needs one of 'steps', 'cases', 'numbers'"),
        ("title: t\nsteps:\n  - 1\n  - 1\n", 1, "missing required key 'symbols'"),
        ("title: t\nsymbols: {}\ntitle: u\nsteps: [1, 1]\n", 3, "duplicate key 'title'"),
        ("title: !!python/object/apply:os.system ['true']\nsymbols: {}\nsteps: [1, 1]\n", 1, "Python tags are refused"),
        ("title: t\nsymbols: {}\nsteps:\n  - [1\n", None, "YAML syntax"),
        ("title: t\nsymbols: {}\ncases:\n  - steps: [1, 1]\n", 4, "a case needs 'when'"),
        ("title: t\nsymbols: {}\nnumbers:\n  - expr: 1\n    at: {}\n", 4, "needs 'is'"),
        ("title: t\nsymbols: {}\nfunctions:\n  f x: 1\nsteps: [1, 1]\n", 4, "not a function head"),
        ("title: t\nsymbols:\n  1x: real\nsteps: [1, 1]\n", 3, "not a valid symbol name"),
        (
            "title: t\nsymbols: {}\nsteps:\n  - expr: 1\n    wrong: typo\n  - 1\n",
            4,
            "first step of a chain cannot be marked",
        ),
    ],
)
def test_malformed_documents(text, line, fragment):
    error = error_of(text)
    assert fragment in error.message
    if line is not None:
        assert error.line == line


def test_empty_file_is_an_error():
    assert "empty" in error_of("").message
