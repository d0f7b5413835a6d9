"""A JSON Schema (draft 2020-12) of the derivation format, built from the loader's own constants.

The keys come from ``derivcheck.load.documents`` and the symbol words from
``derivcheck.parse.symbols``, so the schema cannot drift from what the loader
accepts. It describes a YAML document after loading (``yaml.safe_load``), as
editors see it through ``# yaml-language-server: $schema=…``.
"""

from __future__ import annotations

import re
from typing import Any

from derivcheck.builtins import BUILTINS, CONSTANTS
from derivcheck.load.documents import (
    CASE_KEYS,
    NUMBER_KEYS,
    RELATIONS,
    STABILITY_KEYS,
    STEP_KEYS,
    TOP_KEYS,
)
from derivcheck.parse.symbols import WORDS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_DEPENDENCY_PATTERN = rf"^\s*{_NAME}\s*(?:\[\s*{_NAME}(?:\s*,\s*{_NAME})*\s*\])?\s*$"
_BOUND = rf"(?:-?[0-9]+|{_NAME})"
_INDEX_WORD = "index LO..HI"

# What each key means, shown by editors on hover (docs/format.md's wording).
_TOP_HELP = {
    "title": "One line naming the derivation.",
    "source": "Where it comes from (document, section, equation numbers).",
    "symbols": "Every name used in an expression that is not built in or a function: "
    "'name: words' ({} when there is none).",
    "functions": "Definitions 'name(params): body'; a null body declares an unknown function.",
    "depends": "Quantities of no written formula and what they depend on: 'L: y', 'L: [y, x]', 'p[k]: z', "
    "'L: y[i, j]' (indices with ranges, to sum over when the chain rule goes through y): diff through them "
    "gives their unknown partial derivatives (∂L/∂y), so the chain rule is checked as written.",
    "define": "Named quantities 'L: expression', 'p[k]: expression' or 'y[a, b]: expression' (element by "
    "element): rows that "
    "write the name mean the expression; diff in a defined quantity holds the others in place (partial), "
    "diff in any other variable goes through every definition (total: the chain rule).",
    "assume": "Conditions that hold everywhere in this derivation (a list means all of them).",
    "solve": "'last': a chain's trailing step 0 sets up an equation to solve, not an identity (a note says so).",
    "solutions": "With 'solve: last': values such as {w: -1} (or a list of them) at which the expression "
    "before the 0 is checked to be exactly 0.",
    "steps": "A chain: each expression equals the one before it.",
    "cases": "More chains, each under the extra conditions of 'when'.",
    "numbers": "Numeric claims: an expression at given values has a stated value.",
    "stability": "Float64 stability claims: the expression, evaluated as written in float64 over "
    "ranges, is (or is not) accurate to rtol everywhere sampled.",
}
_STEP_HELP = {
    "expr": "The expression of the step.",
    "latex": "The expression of the step in LaTeX math, instead of 'expr' (read by the conventions of "
    "docs/format.md, section 'LaTeX sources'; the report shows it as written).",
    "by": "Free text: the reason the author gives; shown in reports, never checked.",
    "wrong": "Free text: this step is known to be wrong (an erratum); it passes only if refuted.",
    "rel": "How the step before relates to this one: == (default), <=, <, >=, > "
    "(quote '>' and '>=' in YAML). One chain goes one way.",
}
_STABILITY_HELP = {
    "expr": "The expression, evaluated as written operation by operation in float64.",
    "over": "Ranges of symbols, e.g. {x: [-1000, 1000]}: both ends, zero, log-spaced magnitudes "
    "and random points are checked.",
    "at": "Values of the other symbols, e.g. {y: 0.5}.",
    "stable": "The claim: true (finite with relative error <= rtol everywhere) or false.",
    "rtol": "Allowed relative error against the exact value; default 1e-6.",
}
_CASE_HELP = {
    "when": "The condition (or a list of conditions) of this case.",
    "steps": "A chain checked under 'assume' and 'when'.",
}
_NUMBER_HELP = {
    "expr": "The expression to evaluate.",
    "at": "Values of the symbols: a number, an expression, or a list (element by element).",
    "is": "The claimed value, or a list of values when 'at' gives lists.",
    "tol": "Allowed absolute difference; default one unit in the last decimal place of 'is'.",
}


def symbol_words_pattern() -> str:
    """Return a regular expression for the words of a symbol: any of WORDS, with their ``LO..HI`` ranges."""
    plain = [re.escape(word) for word in WORDS if word != _INDEX_WORD and " " not in word]
    index = rf"index\s+{_BOUND}\s*\.\.\s*{_BOUND}"
    point = rf"-?(?:oo|[0-9]+(?:\.[0-9]+)?|{_NAME})"
    support = rf"support\s+{point}\s*\.\.\s*{point}"
    size = r"(?:\d+|[A-Za-z_][A-Za-z0-9_]*)"
    shaped = [rf"vector\s+{size}", rf"matrix\s+{size}\s+{size}"]
    word = "(?:" + "|".join(shaped + plain + [index, support]) + ")"
    return rf"^[\s,]*(?:{word}(?:[\s,]+|$))*$"


def symbol_names_pattern() -> str:
    """Return a regular expression for a symbols key: one name or several separated by commas."""
    return rf"^\s*{_NAME}(?:\s*,\s*{_NAME})*\s*$"


def builtins_description() -> str:
    """The built-in functions and constants, one phrase each, from the registry (derivcheck/builtins.py)."""
    functions = "; ".join(f"{b.name}: {b.meaning}" for b in BUILTINS)
    return f"Built-in functions: {functions}. Constants: {', '.join(CONSTANTS)}."


def function_head_pattern() -> str:
    """Return a regular expression for a functions key, ``name(params)``."""
    return rf"^\s*{_NAME}\s*\(\s*(?:{_NAME}(?:\s*,\s*{_NAME})*)?\s*\)\s*$"


def defined_name_pattern() -> str:
    """Return a regular expression for a define key, ``L``, ``p[k]`` or ``y[a, b]``."""
    return rf"^\s*{_NAME}\s*(?:\[\s*{_NAME}(?:\s*,\s*{_NAME})*\s*\])?\s*$"


def _fixed_keys(keys: tuple[str, ...], properties: dict[str, Any], help_text: dict[str, str]) -> dict:
    """Return the properties for exactly ``keys``, the loader's; a key new to the loader is allowed as anything."""
    out = {}
    for key in keys:
        schema = dict(properties.get(key, {}))
        if key in help_text:
            schema["description"] = help_text[key]
        out[key] = schema
    return out


def derivation_schema() -> dict:
    """Return the JSON Schema (draft 2020-12) of one derivation document."""
    expression = {"$ref": "#/$defs/expression"}
    text = {"$ref": "#/$defs/text"}
    conditions = {"$ref": "#/$defs/conditions"}
    chain = {"$ref": "#/$defs/chain"}
    top = {
        "title": text,
        "source": text,
        "symbols": {"$ref": "#/$defs/symbols"},
        "functions": {"$ref": "#/$defs/functions"},
        "define": {"$ref": "#/$defs/define"},
        "depends": {"$ref": "#/$defs/depends"},
        "assume": conditions,
        "solve": {"enum": ["last"]},
        "solutions": {
            "anyOf": [
                {"type": "object", "additionalProperties": {"type": ["number", "string"]}},
                {"type": "array", "items": {"type": "object", "additionalProperties": {"type": ["number", "string"]}}},
            ]
        },
        "steps": chain,
        "cases": {"type": "array", "items": {"$ref": "#/$defs/case"}},
        "numbers": {"type": "array", "items": {"$ref": "#/$defs/number"}},
        "stability": {"type": "array", "items": {"$ref": "#/$defs/stability"}},
    }
    step = {
        "expr": expression,
        "latex": {"type": "string", "minLength": 1},
        "by": text,
        "wrong": text,
        "rel": {"enum": list(RELATIONS) + ["=", "≤", "≥"]},
    }
    stability = {
        "expr": expression,
        "over": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "array",
                "items": {"$ref": "#/$defs/scalar"},
                "minItems": 2,
                "maxItems": 2,
            },
        },
        "at": {"type": ["object", "null"], "additionalProperties": {"$ref": "#/$defs/scalar"}},
        "stable": {"type": "boolean"},
        "rtol": {"type": ["number", "string"]},
    }
    case = {"when": conditions, "steps": chain}
    number = {
        "expr": expression,
        "at": {
            "type": ["object", "null"],
            "additionalProperties": {"$ref": "#/$defs/value"},
        },
        "is": {"$ref": "#/$defs/value"},
        "tol": {"type": ["number", "string"]},
    }
    return {
        "$schema": DIALECT,
        "title": "derivcheck derivation",
        "description": "A mathematical derivation checked step by step by derivcheck "
        "(format version 1, specified in docs/format.md of the derivcheck repository). "
        "Words for symbols: " + ", ".join(WORDS) + ".",
        "type": "object",
        "properties": _fixed_keys(TOP_KEYS, top, _TOP_HELP),
        "required": ["title", "symbols"],
        "anyOf": [
            {"required": ["steps"]},
            {"required": ["cases"]},
            {"required": ["numbers"]},
            {"required": ["stability"]},
        ],
        "additionalProperties": False,
        "$defs": {
            "expression": {
                "description": "An expression in Python operator syntax (^ is also power). "
                "Sums: Sum(f, (k, lo, hi)), bounds inclusive, empty range 0; "
                "KroneckerDelta(i, j); max(z) / min(z) over the elements of a vector z. "
                + builtins_description(),
                "type": ["string", "number"],
            },
            "text": {"description": "Free text.", "type": ["string", "number"]},
            "condition": {
                "description": "A relation: ==, !=, <, <=, >, >=, chains such as 0 < p < 1, "
                "or 'name in {0, 1}'; ending in 'for every c' (c an index) it holds for every "
                "element, e.g. 'y[c] in {0, 1} for every c'.",
                "type": "string",
                "minLength": 1,
            },
            "conditions": {
                "anyOf": [
                    {"$ref": "#/$defs/condition"},
                    {"type": "array", "items": {"$ref": "#/$defs/condition"}},
                    {"type": "null"},
                ]
            },
            "symbols": {
                "type": ["object", "null"],
                "propertyNames": {"pattern": symbol_names_pattern()},
                "additionalProperties": {
                    "description": "Words: " + ", ".join(WORDS) + " (none means real).",
                    "anyOf": [
                        {"type": "string", "pattern": symbol_words_pattern()},
                        {"type": "null"},
                    ],
                },
            },
            "functions": {
                "type": ["object", "null"],
                "propertyNames": {"pattern": function_head_pattern()},
                "additionalProperties": {
                    "description": "The body, an expression of the parameters; null for an unknown function.",
                    "type": ["string", "number", "null"],
                },
            },
            "define": {
                "type": ["object", "null"],
                "propertyNames": {"pattern": defined_name_pattern()},
                "additionalProperties": {
                    "description": "The expression the name stands for (of the index, for 'p[k]').",
                    "type": ["string", "number"],
                },
            },
            "depends": {
                "type": ["object", "null"],
                "propertyNames": {"pattern": rf"^\s*{_NAME}\s*(?:\[\s*{_NAME}\s*\])?\s*$"},
                "additionalProperties": {
                    "description": "What the quantity depends on: a name, y[i, j], or a list of them.",
                    "anyOf": [
                        {"type": "string", "pattern": _DEPENDENCY_PATTERN},
                        {"type": "array", "items": {"type": "string", "pattern": _DEPENDENCY_PATTERN}},
                    ],
                },
            },
            "step": {
                "anyOf": [
                    expression,
                    {
                        "type": "object",
                        "properties": _fixed_keys(STEP_KEYS, step, _STEP_HELP),
                        "oneOf": [{"required": ["expr"]}, {"required": ["latex"]}],
                        "additionalProperties": False,
                    },
                ]
            },
            "chain": {"type": "array", "items": {"$ref": "#/$defs/step"}, "minItems": 2},
            "case": {
                "type": "object",
                "properties": _fixed_keys(CASE_KEYS, case, _CASE_HELP),
                "required": list(CASE_KEYS),
                "additionalProperties": False,
            },
            "number": {
                "type": "object",
                "properties": _fixed_keys(NUMBER_KEYS, number, _NUMBER_HELP),
                "required": ["expr", "is"],
                "additionalProperties": False,
            },
            "stability": {
                "type": "object",
                "properties": _fixed_keys(STABILITY_KEYS, stability, _STABILITY_HELP),
                "required": ["expr", "over", "stable"],
                "additionalProperties": False,
            },
            "scalar": {"type": ["number", "string"]},
            "value": {
                "anyOf": [
                    {"$ref": "#/$defs/scalar"},
                    {"type": "array", "items": {"$ref": "#/$defs/scalar"}},
                ]
            },
        },
    }
