"""Loading: the document model keeps lines; every malformed shape is a clear LoadError."""

import pytest

from derivcheck.load.documents import documents_from_text
from derivcheck.model import Document, LoadError, NumberValue, Text

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


def test_number_claims_hold_plain_values_with_their_lines():
    text = "title: t\nsymbols: {x: real, z: real vector}\nnumbers:\n  - expr: x\n    at: {x: 0.5, z: [1, 2]}\n"
    text += "    is:\n      - 0.5\n    tol: 1e-3\n"
    (doc,) = documents_from_text(text, "f.yaml")
    (claim,) = doc.numbers
    assert claim.at == (
        ("x", NumberValue((Text("0.5", 5),), False, 5)),
        ("z", NumberValue((Text("1", 5), Text("2", 5)), True, 5)),
    )
    assert claim.claimed == NumberValue((Text("0.5", 7),), True, 7)
    assert claim.tol == NumberValue((Text("1e-3", 8),), False, 8)


@pytest.mark.parametrize("value, line", [("{a: 1}", 5), ("[[1]]", 5), ("null", 5), ("[1, {a: 1}]", 5)])
def test_a_number_value_that_is_not_a_number_is_a_load_error(value, line):
    text = f"title: t\nsymbols: {{x: real}}\nnumbers:\n  - expr: x\n    is: {value}\n"
    (error,) = documents_from_text(text, "f.yaml")
    assert isinstance(error, LoadError) and error.line == line
    assert error.message == "'is' must be a number or a list of numbers"
