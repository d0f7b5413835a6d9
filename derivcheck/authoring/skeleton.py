"""``derivcheck new``: a commented skeleton derivation that verifies as written and shows every key."""

from __future__ import annotations

import json
from pathlib import Path
from string import Template

SUFFIXES = (".yaml", ".yml")

SKELETON = Template(
    """\
# A derivation for derivcheck: the gradient of binary cross-entropy with
# logits, a softmax sum and a case split, with numbers to check. Check it with
#   derivcheck verify --strict $name
# then replace it with your own (the format: docs/format.md). For completion
# and checks in an editor, write the schema once with
#   derivcheck schema > derivcheck.schema.json
# and put this line first (the path relative to this file):
#   # yaml-language-server: $$schema=derivcheck.schema.json

# Required: one line naming the derivation.
title: $title
# Optional: where it comes from (document, section, equation numbers).
source: "the document, its section and equation numbers"

# Required: every name used in an expression that is not built in or a
# function ('symbols: {}' when there is none). Words: real, complex, positive,
# negative, nonnegative, nonpositive, nonzero, integer, vector (an indexed
# family used as w[k]), index LO..HI (an integer, e.g. 'j, k: index 1..C'),
# support LO..HI (the range of integrals over a real variable, e.g. 'x: real,
# support -oo..oo'). No word means real. A size named in an index range (C) is
# a positive integer.
symbols:
  z: real
  y: real
  x: real
  a: positive
  w: real vector
  j, k: index 1..C

# Optional: definitions 'name(params): body'. A null body declares an
# unknown function, e.g. 'f(t): null'. Built in: exp, log, sqrt, abs, sign,
# max, min, sin, cos, tan, sinh, cosh, tanh, erf, floor, ..., Sum, Product, diff.
functions:
  sigma(t): 1/(1 + exp(-t))
  bce(t): -(y*log(sigma(t)) + (1 - y)*log(1 - sigma(t)))
  softmax(i): exp(w[i])/Sum(exp(w[j]), (j, 1, C))

# Optional: named quantities. A row that writes the name means its expression;
# diff(J, q[k]) in a defined quantity holds the others in place, diff(J, w[k])
# goes through every definition (the chain rule).
define:
  q[k]: softmax(k)
  J: -log(q[1])

# Optional: quantities with no formula and what they depend on. diff through
# them gives their unknown partial derivatives (diff(G, w[1]) is the unknown
# dG/dw[1]), so a chain rule through them is checked as written.
depends:
  G: w

# Optional: conditions that hold everywhere (==, !=, <, <=, >, >=,
# chains such as 0 < p < 1, 'name in {0, 1}'); a list means all of them.
assume:
  - a <= 10

# A chain: each step must equal the one before it. A step is an expression,
# or a mapping with 'expr' (or 'latex', the expression in LaTeX math) and
# optionally 'by' (your reason, shown in
# reports, never checked; quote it when it holds ': ') and 'wrong' (see the
# second case below). A sum over a symbolic size is proved in general where
# possible, else for every size up to a bound ('proved for sizes').
steps:
  - Sum(softmax(k), (k, 1, C))
  - expr: Sum(exp(w[k]), (k, 1, C))/Sum(exp(w[j]), (j, 1, C))
    by: the denominator does not depend on k
  - 1

# Optional: more chains, each checked with its 'when' added to 'assume'.
cases:
  - when: y in {0, 1}
    steps:
      - diff(bce(z), z)
      # 'latex' instead of 'expr': the same step in LaTeX math.
      - latex: '-\\left(y (1 - \\sigma(z)) - (1 - y) \\sigma(z)\\right)'
        by: "chain rule: sigma' = sigma*(1 - sigma)"
      - sigma(z) - y
  - when: x >= 0
    steps:
      - abs(x) + a
      # 'wrong' keeps a known erratum of the source: the step passes only if
      # derivcheck refutes it, and the next step is checked against the last
      # step not marked wrong.
      - expr: a - x
        wrong: "|x| = -x holds only for x <= 0"
      - x + a
      # 'rel' relates the step before to this one: == (the default), <=, <,
      # ">=" or ">" (quote these two in YAML); one chain goes one way only.
      - expr: x
        rel: ">"
        by: a > 0
  - when: x > 0
    steps:
      - diff(x**2 - 2*x, x)
      - 2*x - 2
      # With 'solve: last' (below) a trailing 0 sets up an equation to solve.
      - 0

# Optional: numeric claims. 'tol' is the allowed absolute difference; by
# default one unit in the last decimal place written in 'is'. A list in
# 'at' gives one value per element of 'is'; a vector takes a list.
numbers:
  - expr: sigma(z)*(1 - sigma(z))
    at: {z: 0}
    is: 0.25
  - expr: sigma(z)
    at: {z: [-1, 0, 2]}
    is: [0.2689, 0.5, 0.8808]
  - expr: softmax(3)
    at: {w: [1, 2, 3], C: 3}
    is: 0.6652
    tol: 0.0001

# Optional: float64 stability claims. The expression is evaluated as written,
# operation by operation in float64, at points across the ranges of 'over'
# (the other symbols at the values of 'at') against a 50-digit reference:
# stable means finite everywhere with relative error <= rtol (default 1e-6).
# (Over [-1000, 1000] this claim fails: below x = -709.78 exp(-x) overflows.)
stability:
  - expr: sigma(x)
    over: {x: [-700, 700]}
    at: {a: 1}
    stable: true
    rtol: 1e-6

# Optional: 'solve: last' makes a chain's trailing step 0 an equation to solve
# (reported, not checked as an identity).
solve: last
# Optional, with 'solve': values where the expression before the 0 must be
# exactly 0, checked like numbers (a list of mappings for several).
solutions: {x: 1}
"""
)


def skeleton_text(title: str, name: str = "derivation.yaml") -> str:
    """Return the skeleton derivation with ``title`` as its title (quoted for YAML), for file ``name``."""
    one_line = " ".join(title.split())
    if not one_line:
        raise ValueError("the title is empty")
    # A JSON string is a valid YAML double-quoted scalar: every character is kept as text.
    return SKELETON.substitute(
        title=json.dumps(one_line, ensure_ascii=False), name=" ".join(name.split()) or "derivation.yaml"
    )


def default_title(path: Path) -> str:
    """Return a title made from a file name: ``my_loss.yaml`` gives ``my loss``."""
    return " ".join(path.stem.replace("_", " ").replace("-", " ").split()) or "a derivation"


def write_skeleton(path: Path, title: str) -> None:
    """Create ``path`` holding the skeleton; never overwrites.

    FileExistsError when the file exists, FileNotFoundError when its folder
    does not, ValueError for a name not ending in .yaml or .yml or an empty title.
    """
    if path.suffix.lower() not in SUFFIXES:
        raise ValueError(f"{path}: a derivation file name ends in .yaml or .yml")
    text = skeleton_text(title, path.name)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path.parent}: no such directory (create it first)")
    with path.open("x", encoding="utf-8", newline="\n") as out:
        out.write(text)
