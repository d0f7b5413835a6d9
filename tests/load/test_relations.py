"""The loader reads ``rel:`` on steps and refuses chains that go both ways, with the line and what is allowed."""

import pytest

from derivcheck.load.documents import documents_from_text
from derivcheck.model import Document, LoadError
from tests.helpers import derivation, verify_text


def load_one(text):
    (item,) = documents_from_text(text, "f.yaml")
    return item


def test_rel_is_read_and_defaults_to_equality():
    doc = load_one(derivation(["0", {"expr": "x**2", "rel": "<="}, "x*x", {"expr": "x*x + 1", "rel": "<"}]))
    assert isinstance(doc, Document)
    assert [s.rel for s in doc.chains[0].steps] == ["==", "<=", "==", "<"]


@pytest.mark.parametrize("written, read", [("==", "=="), ("=", "=="), ("≤", "<="), (">=", ">="), (">", ">")])
def test_relation_spellings(written, read):
    doc = load_one(derivation(["x", {"expr": "x", "rel": written}]))
    assert doc.chains[0].steps[1].rel == read


def test_mixing_directions_is_a_format_error_with_the_line_and_what_is_allowed():
    text = derivation(["0", {"expr": "x**2", "rel": "<="}, {"expr": "x**2 + 1", "rel": ">"}])
    error = load_one(text)
    assert isinstance(error, LoadError)
    assert error.line == text.splitlines().index("- expr: x**2 + 1") + 1
    assert "goes the other way" in error.message and "<=, < and ==" in error.message
    assert verify_text(text).exit_code == 2


def test_mixing_directions_in_a_case_is_refused_too():
    steps = ["x", {"expr": "x", "rel": ">="}, {"expr": "x", "rel": "<"}]
    text = derivation(None, cases=[{"when": "x > 0", "steps": steps}])
    error = load_one(text)
    assert isinstance(error, LoadError) and ">=, > and ==" in error.message


def test_an_unknown_relation_says_which_are_allowed():
    error = load_one(derivation(["x", {"expr": "x", "rel": "=<<"}]))
    assert isinstance(error, LoadError)
    assert "'rel' must be one of ==, <=, <, >=, >" in error.message and error.line


def test_the_first_step_carries_no_relation():
    error = load_one(derivation([{"expr": "x", "rel": "<"}, "x"]))
    assert isinstance(error, LoadError) and "first step" in error.message


def test_an_unquoted_greater_than_is_a_yaml_block_scalar_and_refused_clearly():
    # In YAML, 'rel: >' starts a folded block; the loader must not crash on it.
    text = "title: t\nsymbols: {x: real}\nsteps:\n  - x\n  - expr: x\n    rel: >\n"
    item = load_one(text)
    assert isinstance(item, LoadError)
