"""The JSON Schema: valid draft 2020-12, accepts every library file, rejects unknown keys and words."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from derivcheck.authoring.schema import derivation_schema
from derivcheck.cli import app
from derivcheck.load.documents import (
    CASE_KEYS,
    NUMBER_KEYS,
    STABILITY_KEYS,
    STEP_KEYS,
    TOP_KEYS,
    documents_from_text,
)
from derivcheck.load.markdown import derivation_blocks
from derivcheck.model import LoadError
from derivcheck.parse.symbols import WORDS

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "derivations"
LIBRARY_FILES = sorted(p for p in LIBRARY.rglob("*") if p.suffix in (".yaml", ".yml"))
# Markdown files that hold derivation blocks (derivations/README.md holds none and is not a derivation).
POSTS = sorted(
    p for p in [*LIBRARY.rglob("*.md"), *(ROOT / "examples").rglob("*.md")]
    if derivation_blocks(p.read_text(encoding="utf-8"))
)
EXAMPLES = sorted((ROOT / "tests").rglob("format_example.yaml")) + sorted(
    (ROOT / "tests" / "report" / "fixtures").glob("*.yaml")
)


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = derivation_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def yaml_documents(path: Path) -> list:
    """Every derivation document of a file: YAML documents, or the derivation blocks of Markdown."""
    text = path.read_text(encoding="utf-8")
    texts = [b.text for b in derivation_blocks(text)] if path.suffix == ".md" else [text]
    return [doc for t in texts for doc in yaml.safe_load_all(t) if doc is not None]


def errors(validator, doc) -> list[str]:
    return [e.message for e in validator.iter_errors(doc)]


def test_the_schema_is_draft_2020_12():
    schema = derivation_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_the_library_is_not_empty():
    assert len(LIBRARY_FILES) >= 10
    assert POSTS, "examples/ has a Markdown post with derivation blocks"


@pytest.mark.parametrize("path", LIBRARY_FILES + POSTS + EXAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_library_file_validates(validator, path):
    documents = yaml_documents(path)
    assert documents, f"{path} holds no derivation to validate"
    for doc in documents:
        assert errors(validator, doc) == []


def test_the_keys_are_the_loaders():
    schema = derivation_schema()
    defs = schema["$defs"]
    assert list(schema["properties"]) == list(TOP_KEYS)
    assert list(defs["step"]["anyOf"][1]["properties"]) == list(STEP_KEYS)
    assert list(defs["case"]["properties"]) == list(CASE_KEYS)
    assert list(defs["number"]["properties"]) == list(NUMBER_KEYS)
    assert list(defs["stability"]["properties"]) == list(STABILITY_KEYS)
    for properties in (
        schema["properties"],
        defs["case"]["properties"],
        defs["number"]["properties"],
        defs["stability"]["properties"],
        defs["step"]["anyOf"][1]["properties"],
    ):
        assert all(prop.get("description") and len(prop) > 1 for prop in properties.values())


BASE = {"title": "t", "symbols": {"x": "real"}, "steps": ["x + x", "2*x"]}


def variant(**changes) -> dict:
    doc = json.loads(json.dumps(BASE))
    for key, value in changes.items():
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    return doc


REJECTED = {
    "unknown top-level key": variant(stpes=["x", "x"]),
    "unknown step key": variant(steps=["x", {"expr": "x", "because": "same"}]),
    "step mapping without expr": variant(steps=["x", {"by": "same"}]),
    "unknown case key": variant(cases=[{"when": "x > 0", "steps": ["x", "x"], "note": "n"}]),
    "case without when": variant(cases=[{"steps": ["x", "x"]}]),
    "unknown number key": variant(numbers=[{"expr": "x", "at": {"x": 1}, "is": 1, "within": 0.1}]),
    "number without is": variant(numbers=[{"expr": "x", "at": {"x": 1}}]),
    "missing title": variant(title=None),
    "missing symbols": variant(symbols=None),
    "nothing to check": variant(steps=None),
    "a chain of one step": variant(steps=["x"]),
    "steps not a list": variant(steps="x"),
    "unknown symbol word": variant(symbols={"x": "reals"}),
    "index without a range": variant(symbols={"i": "index"}),
    "bad symbol name": variant(symbols={"2x": "real"}),
    "function head without parentheses": variant(functions={"sigma": "1/(1 + exp(-x))"}),
    "boolean expression": variant(steps=[True, "x"]),
    "at not a mapping": variant(numbers=[{"expr": "x", "at": [1], "is": 1}]),
    "unknown relation": variant(steps=["x", {"expr": "x", "rel": "<<"}]),
    "unknown stability key": variant(stability=[{"expr": "x", "over": {"x": [0, 1]}, "stable": True, "tol": 1}]),
    "stability without stable": variant(stability=[{"expr": "x", "over": {"x": [0, 1]}}]),
    "stability range of one number": variant(stability=[{"expr": "x", "over": {"x": [0]}, "stable": True}]),
    "stable not a boolean": variant(stability=[{"expr": "x", "over": {"x": [0, 1]}, "stable": "maybe"}]),
}
ACCEPTED = {
    "several symbols at once": variant(symbols={"x": "real", "i, j": "index 1..n", "n": "positive integer"}),
    "index with a negative bound": variant(symbols={"x": "real", "k": "index -2..N", "N": "integer"}),
    "vector": variant(symbols={"x": "real", "z": "real vector"}),
    "words with a comma": variant(symbols={"x": "positive, nonzero"}),
    "no word": variant(symbols={"x": None}),
    "empty symbols": variant(symbols={}, steps=["1 + 1", 2]),
    "unknown function": variant(functions={"f(t)": None, "g(a, b)": "a*b", "c()": "1"}),
    "step mapping": variant(steps=["x + x", {"expr": "2*x", "by": "collect", "wrong": "no"}]),
    "assume as one condition": variant(assume="x > 0"),
    "cases only": variant(steps=None, cases=[{"when": ["x > 0", "x < 1"], "steps": ["x", "x"]}]),
    "inequality steps": variant(steps=["0", {"expr": "x**2", "rel": "<="}, {"expr": "x**2 + 1", "rel": "<"}]),
    "stability only": variant(
        steps=None,
        stability=[{"expr": "x", "over": {"x": [-1, 1]}, "at": None, "stable": True, "rtol": "1e-9"}],
    ),
    "numbers with lists": variant(
        steps=None, numbers=[{"expr": "x", "at": {"x": [1, "1/2"]}, "is": [1, 0.5], "tol": 0.01}]
    ),
}


@pytest.mark.parametrize("doc", REJECTED.values(), ids=REJECTED.keys())
def test_the_schema_rejects(validator, doc):
    assert errors(validator, doc)


@pytest.mark.parametrize("doc", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_the_schema_accepts(validator, doc):
    assert errors(validator, doc) == []


@pytest.mark.parametrize("word", [w for w in WORDS if w != "index LO..HI"])
def test_every_symbol_word_is_accepted(validator, word):
    assert errors(validator, variant(symbols={"x": word})) == []


KEY_CASES = {k: v for k, v in REJECTED.items() if "key" in k or k.startswith(("missing", "nothing", "a chain"))}


@pytest.mark.parametrize("doc", KEY_CASES.values(), ids=KEY_CASES.keys())
def test_the_loader_agrees_on_keys(doc):
    (item,) = documents_from_text(yaml.safe_dump(doc), "f.yaml")
    assert isinstance(item, LoadError)


@pytest.mark.parametrize("doc", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_the_loader_reads_what_the_schema_accepts(doc):
    (item,) = documents_from_text(yaml.safe_dump(doc), "f.yaml")
    assert not isinstance(item, LoadError), item


def test_schema_command_prints_the_schema():
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == derivation_schema()
