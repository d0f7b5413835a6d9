"""Property tests: whatever the text, the loader and the parser fail only with derivcheck's errors.

Random expression texts, random syntax trees of the expression grammar and
beyond it, random YAML documents built from the format's keys (and damaged
copies of them): loading never raises (errors are LoadError values),
parsing raises nothing but FormatError (or CheckTimeout from the time limit
the CLI also puts around parsing), and the whole CLI exits 0, 1 or 2.

The budget comes from the hypothesis profile (tests/conftest.py): small by
default, ``--hypothesis-profile=long`` for a longer search.
"""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import event, given, settings, strategies as st
from typer.testing import CliRunner

from derivcheck.check.limits import time_limit
from derivcheck.cli import app
from derivcheck.errors import CheckTimeout, FormatError
from derivcheck.load.documents import (
    CASE_KEYS,
    NUMBER_KEYS,
    STEP_KEYS,
    TOP_KEYS,
    documents_from_text,
    read_text_file,
)
from derivcheck.model import Document, FunctionDecl, LoadError, SymbolDecl, Text
from derivcheck.parse.document import parse_document
from derivcheck.parse.expressions import (
    Scope,
    define_function,
    parse_conditions,
    parse_expression,
)
from derivcheck.parse.symbols import read_symbol

PARSE_SECONDS = 10
# The CLI test runs a whole verification per example: a fifth of the budget.
CLI_EXAMPLES = max(5, settings.default.max_examples // 5)

# -- vocabulary -----------------------------------------------------------------------------

DECLARED = ["x", "y", "n", "i"]
VECTORS = ["z"]
OTHER_NAMES = [
    "w", "k", "E", "pi", "I", "S", "N", "exec", "eval", "Symbol", "os", "__import__",
    "__class__", "__builtins__", "sigma", "g", "True", "None", "lambda", "oo", "nan",
]
UNARY = ["exp", "log", "sqrt", "abs", "sign", "sin", "cos", "tan", "sinh", "cosh", "tanh"]
CALLABLE = UNARY + ["log", "max", "min", "diff", "Sum", "Product", "sigma", "g", "eval", "getattr"]
NUMBERS = [
    "0", "1", "2", "3", "10", "0.5", "1.25", "1e3", "2.5e-3", "1e308", "1e999999999",
    "9" * 40, "9" * 5000, "0x1f", "1_000", "1j", "0.1e-999999", "07", "1.",
]
BINARY = ["+", "-", "*", "/", "**", "^", "%", "//", "@", "|", "&", "<<"]
RELATIONS = ["==", "!=", "<", "<=", ">", ">=", " is ", " in ", " not in "]
TOKENS = (
    DECLARED + VECTORS + OTHER_NAMES + CALLABLE + NUMBERS + BINARY + RELATIONS
    + ["(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "=", ":=", "*", "**", "'s'", 'f"{x}"',
       '"""', "\\", "\n", "\t", " ", "#", "lambda:", "for", "if", "else", "and", "or", "not",
       "await", "yield", "...", "\x00", "é", "①", "ｘ"]
)


def _scope() -> Scope:
    symbols = {
        "x": read_symbol(SymbolDecl("x", "real", 1)),
        "y": read_symbol(SymbolDecl("y", "positive", 1)),
        "n": read_symbol(SymbolDecl("n", "positive integer", 1)),
        "i": read_symbol(SymbolDecl("i", "index 1..n", 1)),
        "z": read_symbol(SymbolDecl("z", "real vector", 1)),
    }
    functions = {
        "sigma": FunctionDecl("sigma", ("t",), Text("1/(1 + exp(-t))", 1), 1),
        "g": FunctionDecl("g", ("a", "b"), None, 1),
    }
    scope = Scope(symbols, functions)
    for decl in functions.values():
        define_function(scope, decl)
    return scope


def _only_format_errors(action) -> None:
    """Run ``action``; anything raised other than FormatError (or the time limit) fails the test."""
    try:
        with time_limit(PARSE_SECONDS):
            action()
        event("parsed")
    except FormatError as exc:
        event(f"FormatError: {exc.message[:40]}")
    except CheckTimeout:
        event("time limit")


# -- strategies -----------------------------------------------------------------------------

names = st.sampled_from(DECLARED + OTHER_NAMES)
numbers = st.one_of(st.sampled_from(NUMBERS), st.integers(-10**6, 10**6).map(str))


def _grammar(depth: int) -> st.SearchStrategy[str]:
    """Expressions of the grammar and beyond it, as source text, nested up to ``depth`` levels."""
    leaf = st.one_of(names, numbers, st.sampled_from(["z[1]", "z[i]", "z[k]"]))
    tree = leaf
    for _ in range(depth):
        e = tree
        unary = st.tuples(st.sampled_from(["-", "+", "~", "not "]), e).map(lambda t: f"{t[0]}({t[1]})")
        binary = st.tuples(e, st.sampled_from(BINARY), e).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})")
        call = st.tuples(
            st.sampled_from(CALLABLE),
            st.lists(e, max_size=4),
            st.sampled_from(["", "", "", ", *x", ", base=2", ", **y"]),
        ).map(lambda t: f"{t[0]}({', '.join(t[1])}{t[2] if t[1] else ''})")
        sums = st.tuples(st.sampled_from(["Sum", "Product"]), e, st.sampled_from(["k", "i", "x", "1"]), e, e).map(
            lambda t: f"{t[0]}({t[1]}, ({t[2]}, {t[3]}, {t[4]}))"
        )
        diff = st.tuples(e, st.sampled_from(["x", "y", "z[1]", "z[i]", "2", "k"]), numbers).map(
            lambda t: f"diff({t[0]}, {t[1]}, {t[2]})"
        )
        # Python syntax outside the grammar: every one must be refused, never run.
        beyond = st.tuples(
            st.sampled_from([
                "({0}).__class__", "({0}).__globals__", "({0})[{1}]", "z[{0}]", "E[{0}]", "(lambda: {0})()",
                "[v for v in ({0},)]", "{{{0}: 1}}", "{{{0}}}", "({0}, {1})", "f'{{{0}}}'", "(w := {0})",
                "({0} if x else {1})", "({0} and {1})", "__import__('os').system('{0}')", "({0}) < ({1})",
                "({0}) in ({1})", "({0}) is ({1})", "{0}; {1}", "'{0}'",
            ]),
            e,
            e,
        ).map(lambda t: t[0].format(t[1], t[2]))
        tree = st.one_of(leaf, unary, binary, call, sums, diff, beyond)
    return tree


syntax_trees = _grammar(4)
token_soup = st.lists(st.sampled_from(TOKENS), max_size=30).map(" ".join)
any_text = st.text(max_size=200)
expression_texts = st.one_of(syntax_trees, token_soup, any_text)

# A grammar of the allowed expressions only, for documents that mostly load and check.
valid_leaves = st.sampled_from(["x", "y", "n", "1", "2", "0.5", "pi", "E", "z[1]", "z[i]"])
valid_expressions = st.recursive(
    valid_leaves,
    lambda e: st.one_of(
        st.tuples(e, st.sampled_from(["+", "-", "*", "/", "**"]), e).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        st.tuples(st.sampled_from(UNARY + ["sigma"]), e).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(e, e).map(lambda t: f"max({t[0]}, {t[1]})"),
        e.map(lambda s: f"Sum({s}, (k, 1, n))"),
    ),
    max_leaves=6,
)
exprs = st.one_of(*[valid_expressions] * 8, expression_texts)
conditions = st.one_of(
    st.tuples(exprs, st.sampled_from(RELATIONS[:6] * 3 + RELATIONS[6:]), exprs).map(
        lambda t: f"{t[0]} {t[1].strip()} {t[2]}"
    ),
    exprs.map(lambda s: f"{s} in {{0, 1}}"),
    st.sampled_from(["x > 0", "0 < y < 1", "n >= 2", "x in {0, 1}"]),
)

junk = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20)),
    lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(st.text(max_size=8), c, max_size=3)),
    max_leaves=8,
)


words = st.sampled_from(
    ["real", "positive", "integer", "complex", "nonzero", "real vector", "index 1..n", "index 0..3",
     "", "index", "vector complex", "positive negative", "index 1..__import__", "banana"]
)
symbol_names = st.sampled_from(
    ["x", "y", "n", "i", "z", "k", "w", "x, y", "exec", "I", "S", "__class__", "lambda", "1a", "a.b"]
)
STANDARD_FUNCTIONS = {"sigma(t)": "1/(1 + exp(-t))", "g(a, b)": None}
STANDARD_SYMBOLS = {"x": "real", "y": "positive", "n": "positive integer", "i": "index 1..n", "z": "real vector"}
step_items = st.one_of(
    exprs,
    st.fixed_dictionaries(
        {"expr": exprs}, optional={"by": st.text(max_size=20), "wrong": st.text(min_size=1, max_size=20)}
    ),
)
steps = st.lists(step_items, min_size=2, max_size=4)
number_claims = st.fixed_dictionaries(
    {"expr": exprs, "is": st.one_of(numbers, st.lists(numbers, min_size=1, max_size=3))},
    optional={
        "at": st.dictionaries(
            st.sampled_from(["x", "y", "z", "n", "q"]),
            st.one_of(numbers, exprs, st.lists(numbers, min_size=1, max_size=3)),
            max_size=3,
        ),
        "tol": numbers,
    },
)
documents = st.fixed_dictionaries(
    {
        "steps": steps,
        "title": st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20).filter(str.strip),
        "symbols": st.one_of(st.just(STANDARD_SYMBOLS).map(dict), st.dictionaries(symbol_names, words, max_size=4)),
    },
    optional={
        "source": st.text(max_size=20),
        "functions": st.one_of(*[st.just(STANDARD_FUNCTIONS).map(dict)] * 3, st.dictionaries(
            st.sampled_from(
                [
                    "sigma(t)", "h(a, b)", "f()", "g(t)", "q(t)", "r(u, v)", "s(t)", "exp(t)", "__import__(t)",
                    "f(t, t)", "f(t",
                ]
            ),
            st.one_of(st.none(), exprs),
            max_size=3,
        )),
        "assume": st.one_of(conditions, st.lists(conditions, max_size=3)),
        "cases": st.lists(st.fixed_dictionaries({"when": conditions, "steps": steps}), max_size=2),
        "numbers": st.lists(number_claims, max_size=2),
    },
)
# Documents that load: standard declarations, expressions of the grammar only.
clean_documents = st.fixed_dictionaries(
    {
        "title": st.just("random"),
        "symbols": st.just(STANDARD_SYMBOLS).map(dict),
        "functions": st.just(STANDARD_FUNCTIONS).map(dict),
        "steps": st.lists(valid_expressions, min_size=2, max_size=3),
    },
    optional={
        "assume": st.lists(st.sampled_from(["x > 0", "0 < y < 1", "n >= 2", "x in {0, 1}", "x != 1"]), max_size=2),
        "numbers": st.lists(
            st.fixed_dictionaries({"expr": valid_expressions, "at": st.just({"x": 1, "y": 2, "n": 3}), "is": numbers}),
            max_size=1,
        ),
    },
)
all_keys = st.sampled_from(TOP_KEYS + STEP_KEYS + CASE_KEYS + NUMBER_KEYS)
free_documents = st.dictionaries(st.one_of(all_keys, st.text(max_size=8)), junk, max_size=6)


@st.composite
def damaged_documents(draw) -> dict:
    """A document of the format, with (sometimes) one value anywhere in it replaced by junk."""
    doc = draw(documents)
    if draw(st.integers(0, 3)):
        return doc
    containers = [doc]
    for value in _walk(doc):
        if isinstance(value, (dict, list)) and value:
            containers.append(value)
    target = draw(st.sampled_from(containers))
    if isinstance(target, dict):
        key = draw(st.sampled_from(sorted(target, key=str)))
        if draw(st.integers(0, 3)) == 0:
            target[draw(st.one_of(all_keys, st.text(max_size=8)))] = draw(junk)
        else:
            target[key] = draw(junk)
    else:
        target[draw(st.integers(0, len(target) - 1))] = draw(junk)
    return doc


def _walk(value):
    if isinstance(value, dict):
        for item in value.values():
            yield item
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield item
            yield from _walk(item)


def _dump(docs: list) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False, allow_unicode=True)


@st.composite
def yaml_texts(draw) -> str:
    docs = draw(st.lists(st.one_of(*[damaged_documents()] * 4, free_documents), min_size=1, max_size=3))
    text = _dump(docs)
    # Damage the text at a few places (often none): the loader must still never raise.
    for _ in range(draw(st.sampled_from([0] * 6 + [1, 2, 3]))):
        if not text:
            break
        at = draw(st.integers(0, len(text)))
        noise = ["", "&a ", "*a", "!!python/name:os.system ", "- ", ": ", "\n  ", "---\n", "{", "? ", "!x ", "<<: "]
        text = text[:at] + draw(st.sampled_from(noise)) + text[at + draw(st.integers(0, 3)):]
    return text


# -- properties -----------------------------------------------------------------------------

SCOPE = _scope()


@given(expression_texts)
def test_expression_texts_fail_only_with_format_errors(text):
    _only_format_errors(lambda: parse_expression(Text(text, 1), SCOPE))


@given(syntax_trees)
def test_syntax_trees_fail_only_with_format_errors(text):
    _only_format_errors(lambda: parse_expression(Text(text, 1), SCOPE))


@given(conditions)
def test_conditions_fail_only_with_format_errors(text):
    _only_format_errors(lambda: parse_conditions(Text(text, 1), SCOPE))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["f", "g2", "h"]),
            st.sampled_from(["t", "a, b", ""]),
            st.one_of(st.none(), exprs, st.sampled_from(["f(t)", "g2(t, t)", "h()", "f(f(t))"])),
        ),
        max_size=4,
    )
)
def test_function_definitions_fail_only_with_format_errors(defs):
    functions = {}
    for name, params, body in defs:
        params_tuple = tuple(p.strip() for p in params.split(",")) if params else ()
        functions[name] = FunctionDecl(name, params_tuple, Text(body, 2) if body else None, 2)
    scope = Scope(dict(SCOPE.symbols), functions)

    def define_all():
        for decl in functions.values():
            define_function(scope, decl)
        parse_expression(Text("f(x) + h() + g2(x, y)", 3), scope)

    _only_format_errors(define_all)


def _load_and_parse(text: str) -> None:
    items = documents_from_text(text, "p.yaml")  # never raises: errors are values
    assert items and all(isinstance(item, (Document, LoadError)) for item in items)
    for item in items:
        if isinstance(item, Document):
            _only_format_errors(lambda document=item: parse_document(document))
            event("a document loaded")
        else:
            event(f"load error: {item.message[:50]}")


@given(yaml_texts())
def test_yaml_documents_load_and_parse_with_format_errors_only(text):
    _load_and_parse(text)


@given(st.text(max_size=300))
def test_any_text_loads_with_format_errors_only(text):
    _load_and_parse(text)


@given(st.binary(max_size=300))
def test_any_bytes_read_with_format_errors_only(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "f.yaml"
    path.write_bytes(data)
    try:
        text = read_text_file(path, 10_000)
    except FormatError:
        return
    _load_and_parse(text)


@pytest.mark.slow  # runs the whole CLI for every example
@settings(max_examples=CLI_EXAMPLES)
@given(
    st.lists(st.one_of(clean_documents.map(lambda d: _dump([d])), yaml_texts()), min_size=1, max_size=2),
    st.sampled_from(["json", "text"]),
)
def test_cli_exits_0_1_or_2_without_a_traceback(tmp_path_factory, texts, output):
    folder = tmp_path_factory.mktemp("cli")
    for number, text in enumerate(texts):
        (folder / f"d{number}.yaml").write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["verify", "--no-cache", "--jobs", "1", "--timeout", "1", "--format", output, str(folder)],
        catch_exceptions=True,
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1, 2), result.output
    event(f"exit {result.exit_code}")
    assert "Traceback" not in result.output
    if output == "json":
        report = json.loads(result.output)
        assert report["exit_code"] == result.exit_code
        for item in report["results"]:
            event(f"result: {item['verdict'] or item['kind']}")
        assert {r["file"] for r in report["results"]} <= {str(folder / f"d{n}.yaml") for n in range(len(texts))}
