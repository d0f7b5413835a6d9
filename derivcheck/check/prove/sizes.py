"""Sizes and indices: which symbols they are, and expressions with them made concrete."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import sympy

from derivcheck.bounds import MAX_WRITTEN_OUT_TERMS as MAX_TERMS
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.check.prove.assume import Relation, truth
from derivcheck.parse.extrema import EXTREMA, write_out_extrema
from derivcheck.parse.symbols import SymbolSpec, bound_value


@dataclass(frozen=True)
class Shape:
    """The size symbols (bounds of sums and index ranges) and index symbols in play."""

    sizes: tuple[sympy.Symbol, ...]
    indices: tuple[tuple[sympy.Symbol, sympy.Expr, sympy.Expr], ...]

    @property
    def empty(self) -> bool:
        return not self.sizes and not self.indices


def shape_of(exprs: list[sympy.Expr], relations: list[Relation], symbols: tuple[SymbolSpec, ...]) -> Shape:
    """Return the sizes and indices the expressions (and their conditions) depend on."""
    free: set = set()
    for expr in exprs:
        free |= expr.free_symbols
    for rel in relations:
        free |= rel.expr.free_symbols
    specs = {spec.obj: spec for spec in symbols if not spec.is_vector}
    sizes: list[sympy.Symbol] = []
    for expr in exprs + [r.expr for r in relations]:
        # max(z) and min(z) over a symbolic range are sized like sums: written out per size.
        for node in expr.atoms(sympy.Sum, sympy.Product, *EXTREMA):
            for _, lo, hi in node.limits:
                for s in (lo.free_symbols | hi.free_symbols):
                    if s not in sizes and s in free:
                        sizes.append(s)
    indices = []
    for obj, spec in specs.items():
        if spec.index_range is None or obj not in free:
            continue
        lo, hi = (_bound(b, specs) for b in spec.index_range)
        indices.append((obj, lo, hi))
        for s in lo.free_symbols | hi.free_symbols:
            if s not in sizes:
                sizes.append(s)
    sizes = [s for s in sizes if s not in {i for i, _, _ in indices}]
    return Shape(tuple(sorted(sizes, key=str)), tuple(sorted(indices, key=lambda t: str(t[0]))))


def _bound(text: str, specs: dict) -> sympy.Expr:
    def size(name: str) -> sympy.Expr:
        for obj in specs:
            if str(obj) == name:
                return obj
        return sympy.Symbol(name, integer=True, positive=True)

    return bound_value(text, size)


def size_range(size: sympy.Symbol, max_size: int, min_size: int | None = None) -> list[int]:
    """The values a size takes when sizes are tried one by one, nearest zero first.

    From the smallest value its declaration allows: 1 for a positive size, 0 for
    a nonnegative one, ``-max_size`` when it may be negative (a plain integer),
    so that empty ranges (a sum 0, a product 1) are tried too. Up to
    ``max_size`` (up to -1 or 0 for a negative or nonpositive size).
    ``min_size``, when given, raises the start.
    """
    if size.is_positive:
        low, high = 1, max_size
    elif size.is_nonnegative:
        low, high = 0, max_size
    elif size.is_negative:
        low, high = -max_size, -1
    elif size.is_nonpositive:
        low, high = -max_size, 0
    else:
        low, high = -max_size, max_size
    if min_size is not None:
        low = max(low, min_size)
    return sorted(range(low, high + 1), key=lambda v: (abs(v), v))  # small counterexamples first


def assignments(
    shape: Shape, relations: list[Relation], max_size: int, min_size: int | None = None
) -> Iterator[dict]:
    """Yield every assignment of sizes (see size_range) and indices in range that the conditions allow."""
    size_ranges = [size_range(size, max_size, min_size) for size in shape.sizes]
    for size_values in itertools.product(*size_ranges):
        sizes = dict(zip(shape.sizes, (sympy.Integer(v) for v in size_values)))
        index_ranges: list[list[sympy.Integer]] = []
        for _symbol, lo, hi in shape.indices:
            lo_v, hi_v = lo.xreplace(sizes), hi.xreplace(sizes)
            if not (lo_v.is_Integer and hi_v.is_Integer):
                break
            index_ranges.append([sympy.Integer(v) for v in range(int(lo_v), int(hi_v) + 1)])
        if len(index_ranges) < len(shape.indices):  # a range that does not resolve to whole numbers
            continue
        for index_values in itertools.product(*index_ranges):
            mapping = dict(sizes)
            mapping.update(zip((s for s, _, _ in shape.indices), index_values))
            if all(truth(r.substitute(mapping)) is not False for r in relations):
                yield mapping


def instantiate(expr: sympy.Expr, mapping: dict) -> sympy.Expr:
    """Return ``expr`` with sizes and indices replaced and finite sums written out.

    A sum with more than MAX_TERMS terms is left as it is.
    """
    expr = write_out_extrema(expr.xreplace(mapping))
    if not expr.has(sympy.Sum, sympy.Product):
        return expr
    return expr.replace(
        lambda n: isinstance(n, (sympy.Sum, sympy.Product)) and _terms(n) <= MAX_TERMS,
        _write_out,
    )


def _write_out(node: sympy.Sum | sympy.Product) -> sympy.Expr:
    """A sum or product with whole-number bounds as the plain Add or Mul of its terms.

    Written out from the outermost limit in: an inner limit whose bounds use
    an outer variable (``Sum(z[k], (k, 1, c), (c, 1, 3))``) has whole-number
    bounds once that variable has its value.
    """
    var, lo, hi = node.limits[-1]
    inner = node.function if len(node.limits) == 1 else node.func(node.function, *node.limits[:-1])
    terms = [_at(inner, var, v) for v in range(int(lo), int(hi) + 1)]
    written = sympy.Add(*terms) if isinstance(node, sympy.Sum) else sympy.Mul(*terms)
    return instantiate(written, {}) if written.has(sympy.Sum, sympy.Product) else written


def _at(expr: sympy.Expr, var: sympy.Symbol, value: int) -> sympy.Expr:
    """``expr`` with the free ``var`` set to ``value`` (an inner sum that binds ``var`` again keeps its own)."""
    if any(var == bound for n in expr.atoms(sympy.Sum, sympy.Product) for bound, _, _ in n.limits):
        return expr.subs(var, sympy.Integer(value))
    return expr.xreplace({var: sympy.Integer(value)})


def _terms(node: sympy.Sum | sympy.Product) -> int:
    """The number of terms of ``node`` written out; above MAX_TERMS when too many or not whole numbers."""
    var, lo, hi = node.limits[-1]
    if not (lo.is_Integer and hi.is_Integer):
        return MAX_TERMS + 1
    length = max(0, int(hi) - int(lo) + 1)
    if len(node.limits) == 1:
        return length
    inner = node.func(node.function, *node.limits[:-1])
    if not any(var in b.free_symbols for _, low, high in node.limits[:-1] for b in (low, high)):
        return length * _terms(inner) if length else 0
    if length > MAX_TERMS:
        return MAX_TERMS + 1
    count = 0
    for v in range(int(lo), int(hi) + 1):  # bounds that depend on var: count each value's terms
        count += _terms(_at(inner, var, v))
        if count > MAX_TERMS:
            break
    return count


def proved_for_sizes(shape: Shape, sizes_seen: set[int], count: int, max_size: int, claim: str = "proved") -> Outcome:
    """The ``proved for sizes`` outcome of ``count`` instances, with the sizes they covered as its bound."""
    bound = max(sizes_seen) if sizes_seen else max_size
    names = ", ".join(str(s) for s in shape.sizes) or "the indices"
    return Outcome(
        Verdict.PROVED_FOR_SIZES,
        "sizes",
        f"{claim} for every {names} from {min(sizes_seen) if sizes_seen else 1} to {bound} ({count} instances)",
        size_bound=bound,
        sizes=tuple(sorted(sizes_seen)),
    )
