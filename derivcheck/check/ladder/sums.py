"""General proofs over indexed sums, for every size at once.

A step with sums over a symbolic range (``Sum(f, (c, 1, C))``) is brought to
a normal form by rewrites that are equivalences under the stated conditions:

- one bound-variable name per nesting height (``Sum(y[c]…)`` and
  ``Sum(y[k]…)`` become the same expression);
- linearity: the summand is expanded, factors free of the summation
  variable move out, terms with equal bodies are collected;
- ``Sum(KroneckerDelta(c, t)*g(c), (c, lo, hi))`` collapses to ``g(t)`` when
  ``lo <= t <= hi`` follows from the conditions, else to
  ``Piecewise((g(t), lo <= t <= hi), (0, True))`` (t an integer);
- closed forms (constant, polynomial and geometric summands) only when the
  range length ``hi - lo + 1`` is known to be >= 0, where the format's
  inclusive semantics (empty range = 0) and SymPy's agree.

Then every sum that no longer depends on an enclosing summation variable is
put in one canonical order (``exchange_order``: nested sums whose bounds do
not depend on each other's variable are exchanged, Fubini for finite sums) and
replaced by a fresh symbol carrying what is known of it (positive when its
terms are positive and its range is not empty). Proving the rest for *every*
value of that symbol generalises the claim, so the proof stays sound. Sums in
the conditions go through the same rewrites with the same symbols, so a
condition ``Sum(y[c], (c, 1, C)) == 1`` becomes a substitution.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial

import sympy

from derivcheck.bounds import (
    GENERAL_SUM_PROOF_SHARE,
    LARGE_SIZE_DRAWS,
    LARGE_SIZES,
    MAX_CANCEL_OPS,
    MAX_EXCHANGED_SUMS,
    MAX_EXPAND_TERMS,
    MAX_NEST_FORMS,
    MAX_SUM_ROUNDS as MAX_ROUNDS,
)
from derivcheck.check.limits import OuterTimeout, time_limit
from derivcheck.check.prove.assume import Relation, linear_atom
from derivcheck.check.prove.equality import Proof, prove_equal
from derivcheck.check.prove.sizes import Shape, instantiate
from derivcheck.errors import CheckTimeout
from derivcheck.parse.expressions import Condition
from derivcheck.parse.extrema import EXTREMA
from derivcheck.parse.symbols import SymbolSpec

_WITH_LIMITS = (sympy.Sum, sympy.Product, *EXTREMA)

CONTRADICTORY = "conditions are contradictory"  # prove_equal's method when no scenario is possible

Prover = Callable[[sympy.Expr, sympy.Expr, list[Relation], float], Proof | None]
"""A relation's symbolic prover: ``prove(a, b, relations, budget)``."""


@dataclass
class SumFacts:
    """What is known while rewriting: the conditions, canonical names, abstracted sums."""

    relations: list[Relation]
    names: list[sympy.Dummy] = field(default_factory=list)
    symbols: dict = field(default_factory=dict)  # canonical Sum -> its fresh symbol
    used: list[str] = field(default_factory=list)  # the rewrites that fired

    def name(self, height: int) -> sympy.Dummy:
        """The bound-variable name of a sum with ``height`` sums nested inside it."""
        while len(self.names) <= height:
            self.names.append(sympy.Dummy(f"k{len(self.names)}", integer=True))
        return self.names[height]

    def note(self, what: str) -> None:
        if what not in self.used:
            self.used.append(what)


def has_symbolic_sums(*exprs: sympy.Expr) -> bool:
    """Whether some sum or product has a bound that is not a number."""
    for expr in exprs:
        for node in expr.atoms(*_WITH_LIMITS):
            for _, lo, hi in node.limits:
                if not (lo.is_Integer and hi.is_Integer):
                    return True
    return False


def prove_with_sums(
    a: sympy.Expr, b: sympy.Expr, relations: list[Relation], budget: float, prove: Prover = prove_equal
) -> Proof | None:
    """Prove ``a == b`` (or the relation ``prove`` proves) for every size: normal form of the
    sums, then the sums as symbols.

    Returns None when no general proof is found (the caller may try sizes).
    """
    facts = SumFacts(list(relations))
    ordinary = [r for r in relations if not _has_sums(r.expr)]
    facts.relations = ordinary
    ra = reduce_sums(a, facts)
    rb = reduce_sums(b, facts)
    rels = []
    for relation in relations:
        if _has_sums(relation.expr):
            rels.append(Relation(relation.op, reduce_sums(relation.expr, facts), relation.values))
        else:
            rels.append(relation)
    if _has_sums(ra) or _has_sums(rb):
        return None
    proof = _prove_split_deltas(ra, rb, rels, budget, prove)
    if proof is None:
        return None
    steps = ", ".join(facts.used) or "sums as symbols"
    return Proof(f"sums for every size ({steps}); {proof.method}", proof.cases)


def _prove_leaf(
    a: sympy.Expr, b: sympy.Expr, relations: list[Relation], budget: float, prove: Prover
) -> Proof | None:
    """``prove``, first with every radical ``A**(p/q)`` as a power of one symbol ``r = A**(1/q)``.

    Bounds on indices and sizes alone are left out (they were used for the
    sums; dropping a condition only weakens what is assumed).
    """
    relations = [r for r in relations if not _on_integers_only(r)]
    ga, gb = radicals_as_symbols([a, b])
    if (ga, gb) != (a, b):
        proof = prove(ga, gb, relations, budget)
        if proof is not None:
            return Proof(f"radicals as symbols, {proof.method}", proof.cases)
    return prove(a, b, relations, budget)


def _on_integers_only(relation: Relation) -> bool:
    # Bounds of indices and sizes (1 <= i <= C); equalities such as j == i are kept.
    if relation.op not in ("<", "<=", ">", ">="):
        return False
    symbols = relation.expr.free_symbols
    return bool(symbols) and all(isinstance(s, sympy.Symbol) and s.is_integer for s in symbols)


def radicals_as_symbols(exprs: list[sympy.Expr]) -> list[sympy.Expr]:
    """Replace ``A**(p/q)`` by ``r**p`` and ``A**m`` by ``r**(q*m)`` for a fresh symbol ``r``.

    With ``r = A**(1/q)`` (principal branch) both are exact: ``A**(p/q) ==
    exp(p/q*log(A)) == r**p``. The symbol carries no assumption (it stands
    for a complex number), so proving for every ``r`` proves the original.
    Only bases free of the symbols of other radicals' bases are treated; a
    base that also occurs in other forms is left to the generalisation.
    """
    bases: dict = {}
    for expr in exprs:
        for power in expr.atoms(sympy.Pow):
            if power.exp.is_Rational and not power.exp.is_Integer and power.base.is_Add:
                base = sympy.expand(power.base)
                q = int(power.exp.q)
                bases[base] = q if base not in bases else sympy.ilcm(bases[base], q)
    if not bases:
        return exprs
    symbols = {base: sympy.Dummy("r") for base in sorted(bases, key=sympy.default_sort_key)}

    def rewrite(node: sympy.Expr) -> sympy.Expr:
        if node.is_Add or (node.is_Pow and node.exp.is_Rational and node.base.is_Add):
            base, exponent = (node, sympy.Integer(1)) if node.is_Add else (node.base, node.exp)
            base = sympy.expand(base)
            if base in symbols:
                return symbols[base] ** (exponent * bases[base])
        if not node.args:
            return node
        args = [rewrite(arg) for arg in node.args]
        return node.func(*args) if args != list(node.args) else node

    return [rewrite(expr) for expr in exprs]


def _prove_split_deltas(
    a: sympy.Expr, b: sympy.Expr, relations: list[Relation], budget: float, prove: Prover, depth: int = 0
) -> Proof | None:
    """Prove, splitting on ``i == j`` / ``i != j`` for Kronecker deltas of two indices."""
    deltas = sorted((a - b).atoms(sympy.KroneckerDelta), key=sympy.default_sort_key)
    if not deltas or depth >= 3:
        return _prove_leaf(a, b, relations, budget, prove)
    delta = deltas[0]
    first, second = delta.args
    found = linear_atom(first - second, require_real=False)
    if found is None or found[1] not in (1, -1):
        return _prove_leaf(a, b, relations, budget, prove)
    atom, coeff, rest = found
    value = -rest / coeff
    # Equal: substitute; different: the delta is 0 (proved for all values, a generalisation).
    equal = {atom: value}
    same = _prove_split_deltas(
        a.xreplace(equal), b.xreplace(equal), [r.substitute(equal) for r in relations], budget, prove, depth + 1
    )
    if same is None:
        return None
    zero = {delta: sympy.Integer(0)}
    differ = _prove_split_deltas(
        a.xreplace(zero), b.xreplace(zero), relations + [Relation("!=", first - second)], budget, prove, depth + 1
    )
    if differ is None:
        return None
    equal_text = f"{sympy.sstr(first)} = {sympy.sstr(second)}"
    differ_text = f"{sympy.sstr(first)} != {sympy.sstr(second)}"
    if same.method == CONTRADICTORY:
        return Proof(f"{differ.method}, where {differ_text}", differ.cases)
    if differ.method == CONTRADICTORY:
        return Proof(f"{same.method}, where {equal_text}", same.cases)
    return Proof(
        f"cases {equal_text} ({same.method}) and {differ_text} ({differ.method})",
        same.cases + differ.cases,
    )


def _has_sums(expr: sympy.Expr) -> bool:
    return expr.has(*_WITH_LIMITS)


def reduce_sums(expr: sympy.Expr, facts: SumFacts) -> sympy.Expr:
    """Normalise the sums of ``expr`` and replace the closed ones by symbols, until none is left."""
    for _ in range(MAX_ROUNDS):
        if not _has_sums(expr):
            return expr
        expr = normal_form(expr, facts)
        replaced = abstract_sums(expr, facts)
        if replaced == expr:
            return expr
        expr = replaced
    return expr


# -- normal form ------------------------------------------------------------------------------


def normal_form(expr: sympy.Expr, facts: SumFacts) -> sympy.Expr:
    """Return ``expr`` with every sum rewritten (bottom-up) into its normal form."""
    if not isinstance(expr, sympy.Basic) or not expr.args or not _has_sums(expr):
        return expr
    if isinstance(expr, sympy.Sum):
        return _normal_sum(expr, facts)
    if isinstance(expr, (sympy.Product, *EXTREMA)):
        return _rename_product(expr, facts)
    args = [normal_form(arg, facts) for arg in expr.args]
    return expr.func(*args) if args != list(expr.args) else expr


def _normal_sum(node: sympy.Sum, facts: SumFacts) -> sympy.Expr:
    body = node.function
    # Sum(f, (c, …), (k, …)) is Sum(Sum(f, (c, …)), (k, …)).
    for var, lo, hi in node.limits[:-1]:
        body = sympy.Sum(body, (var, lo, hi))
    var, lo, hi = node.limits[-1]
    body = normal_form(body, facts)
    return one_sum(body, var, lo, hi, facts)


def one_sum(
    body: sympy.Expr, var: sympy.Symbol, lo: sympy.Expr | int, hi: sympy.Expr | int, facts: SumFacts
) -> sympy.Expr:
    """``Sum(body, (var, lo, hi))`` split into terms, deltas collapsed, closed forms taken."""
    lo, hi = (sympy.Integer(v) if isinstance(v, int) else v for v in (lo, hi))
    if var not in body.free_symbols:
        return _count(body, lo, hi, facts, lambda: _closed_or_sum(body, var, lo, hi, facts))
    terms = sympy.Add.make_args(_expand(_one_fraction(_within_range(body, var, lo, hi))))
    grouped: dict[sympy.Expr, sympy.Expr] = {}
    total = sympy.Integer(0)
    for term in terms:
        coeff, dep = term.as_independent(var, as_Add=False)
        if dep == 1:
            one = sympy.Integer(1)
            total += coeff * _count(one, lo, hi, facts, partial(_closed_or_sum, one, var, lo, hi, facts))
            continue
        collapsed = _collapse_delta(dep, var, lo, hi, facts)
        if collapsed is not None:
            total += coeff * collapsed
            continue
        grouped[dep] = grouped.get(dep, sympy.Integer(0)) + coeff
    total += _telescope(grouped, var, lo, hi, facts)
    for dep, coeff in grouped.items():
        total += coeff * _closed_or_sum(dep, var, lo, hi, facts)
    return total


def _within_range(body: sympy.Expr, var: sympy.Symbol, lo: sympy.Expr, hi: sympy.Expr) -> sympy.Expr:
    """``Piecewise((g, lo <= var <= hi), (0, True))`` is ``g`` inside the sum over ``var`` from lo to hi
    (a Kronecker delta of an inner sum collapsed on the outer sum's variable)."""
    inside = {lo - var, var - hi}  # each <= 0

    def at_most_zero(cond: sympy.Basic) -> sympy.Expr | None:
        if isinstance(cond, (sympy.LessThan, sympy.GreaterThan)):
            small, large = (cond.lhs, cond.rhs) if isinstance(cond, sympy.LessThan) else (cond.rhs, cond.lhs)
            return sympy.expand(small - large)
        return None

    def in_range(node: sympy.Basic) -> bool:
        if not (isinstance(node, sympy.Piecewise) and len(node.args) == 2):
            return False
        (_, cond), (other, always) = node.args
        parts = cond.args if isinstance(cond, sympy.And) else (cond,)
        return always == sympy.true and other == 0 and {at_most_zero(p) for p in parts} == inside

    return body.replace(in_range, lambda node: node.args[0].expr) if body.has(sympy.Piecewise) else body


def _one_fraction(term: sympy.Expr) -> sympy.Expr:
    """A summand with its fractions brought over one denominator (``cancel``), so that one quantity
    written two ways (``1/(1 + exp(-s))`` and ``exp(s)/(exp(s) + 1)``) has one normal form;
    unchanged when it has no fraction or is large.

    The sums of a radicand stay as written (each radicand is a symbol while ``cancel`` runs):
    ``cancel`` would pull factors out of it (``sqrt(e + s/n**2)`` to ``sqrt(e*n**2 + s)/n``) in
    the summands only, and the same radical outside the sums would no longer be the same symbol
    for ``radicals_as_symbols`` (a proof that fails slowly before the one without it).
    """
    powers = term.atoms(sympy.Pow)
    if not any(p.exp.is_negative and p.exp.is_Integer and p.base.is_Add for p in powers):
        return term  # no fraction; a radical in a denominator is left to ``radicals_as_symbols``
    if sympy.count_ops(term) > MAX_CANCEL_OPS:
        return term
    radicands = {p.base: sympy.Dummy("radicand") for p in powers if p.base.is_Add and not p.exp.is_Integer}
    try:
        together = sympy.cancel(term.xreplace(radicands))
    except (CheckTimeout, MemoryError):
        raise
    except Exception:  # a polynomial SymPy cannot handle: keep the summand as written
        return term
    return together.xreplace({symbol: base for base, symbol in radicands.items()})


def _telescope(
    grouped: dict[sympy.Expr, sympy.Expr], var: sympy.Symbol, lo: sympy.Expr, hi: sympy.Expr, facts: SumFacts
) -> sympy.Expr:
    """Take out pairs ``k*(g(var + 1) - g(var))``: they sum to ``k*(g(hi + 1) - g(lo))``.

    Only when ``hi - lo + 1 >= 0`` is known (an empty range gives ``g(lo) - g(lo) = 0``).
    Removes the pairs it takes from ``grouped``.
    """
    if len(grouped) < 2 or not _integer_range(lo, hi) or not provably_nonnegative(hi - lo + 1, facts.relations):
        return sympy.Integer(0)
    total = sympy.Integer(0)
    for dep in list(grouped):
        if dep not in grouped:
            continue
        shifted = dep.xreplace({var: var + 1})
        if shifted == dep or shifted not in grouped:
            continue
        k = grouped[dep]
        if sympy.expand(grouped[shifted] + k) != 0:
            continue
        total += k * (dep.xreplace({var: lo}) - dep.xreplace({var: hi + 1}))
        del grouped[dep], grouped[shifted]
        facts.note("telescoping sum")
    return total


def _expand(body: sympy.Expr) -> sympy.Expr:
    # Radicals of sums stay whole ((a + b)**(3/2) is not split into (a + b)*sqrt(a + b)).
    radicals = {
        p: sympy.Dummy("radical")
        for p in body.atoms(sympy.Pow)
        if p.exp.is_Rational and not p.exp.is_Integer and p.base.is_Add
    }
    try:
        expanded = sympy.expand(body.xreplace(radicals)).xreplace({v: k for k, v in radicals.items()})
    except (CheckTimeout, MemoryError):
        raise
    except Exception:
        return body
    if len(sympy.Add.make_args(expanded)) > MAX_EXPAND_TERMS:
        return body
    return expanded


def _count(
    value: sympy.Expr, lo: sympy.Expr, hi: sympy.Expr, facts: SumFacts, otherwise: Callable[[], sympy.Expr]
) -> sympy.Expr:
    """``value`` summed over lo..hi: (hi - lo + 1)*value when the length is known to be >= 0."""
    length = hi - lo + 1
    if value == 0:
        return sympy.Integer(0)
    if _integer_range(lo, hi) and provably_nonnegative(length, facts.relations):
        facts.note("constant terms counted")
        return length * value
    return otherwise()


def _closed_or_sum(dep: sympy.Expr, var: sympy.Symbol, lo: sympy.Expr, hi: sympy.Expr, facts: SumFacts) -> sympy.Expr:
    closed = _closed_form(dep, var, lo, hi, facts)
    if closed is not None:
        return closed
    height = 1 + max((_height(n) for n in dep.atoms(*_WITH_LIMITS)), default=-1)
    name = facts.name(height)
    return sympy.Sum(dep.xreplace({var: name}), (name, lo, hi))


def _height(node: sympy.Expr) -> int:
    """How many bound-variable names ``node`` uses: one per limit, over the highest sum inside it.

    SymPy merges ``Sum(Sum(f, (j, …)), (i, …))`` into one node with two
    limits; counting the node once gave the next sum out the name of ``i``
    and so captured it.
    """
    inner = [n for n in node.function.atoms(*_WITH_LIMITS)]
    return len(node.limits) + max((_height(n) for n in inner), default=-1)


def _closed_form(
    dep: sympy.Expr, var: sympy.Symbol, lo: sympy.Expr, hi: sympy.Expr, facts: SumFacts
) -> sympy.Expr | None:
    """Arithmetic (polynomial) and geometric sums; only where inclusive = SymPy's convention."""
    if any(var in n.free_symbols for n in dep.atoms(sympy.Indexed, sympy.Function, sympy.Sum, sympy.Product)):
        return None
    polynomial = dep.is_polynomial(var) and sympy.degree(dep, var) <= 3
    geometric = (
        isinstance(dep, sympy.Pow)
        and var not in dep.base.free_symbols
        and sympy.degree(dep.exp, var) == 1
        and dep.exp.is_polynomial(var)
    )
    if not (polynomial or geometric):
        return None
    if not (_integer_range(lo, hi) and provably_nonnegative(hi - lo + 1, facts.relations)):
        return None
    try:
        with time_limit(2.0):
            value = sympy.summation(dep, (var, lo, hi))
    except (CheckTimeout, MemoryError):
        raise
    except Exception:
        return None
    if value.has(sympy.Sum):
        return None
    facts.note("arithmetic sum" if polynomial else "geometric sum")
    return value


def _collapse_delta(
    dep: sympy.Expr, var: sympy.Symbol, lo: sympy.Expr, hi: sympy.Expr, facts: SumFacts
) -> sympy.Expr | None:
    """``Sum(KroneckerDelta(var, t)*g(var))`` as ``g(t)`` (t in range) or the right Piecewise."""
    for factor in sympy.Mul.make_args(dep):
        base, exponent = factor.as_base_exp()
        if not isinstance(base, sympy.KroneckerDelta) or not (exponent.is_Integer and exponent > 0):
            continue
        first, second = base.args
        difference = sympy.expand(first - second)
        slope = difference.coeff(var)
        if slope not in (1, -1):
            continue
        rest = sympy.expand(difference - slope * var)
        if var in rest.free_symbols:
            continue
        target = -rest / slope  # the delta is 1 exactly at var == target
        if target.is_integer is not True or not _integer_range(lo, hi):
            continue
        others = sympy.Mul(*[f for f in sympy.Mul.make_args(dep) if f is not factor])
        value = others.xreplace({var: target})
        inside = provably_nonnegative(target - lo, facts.relations) and provably_nonnegative(
            hi - target, facts.relations
        )
        if inside:
            facts.note("Kronecker delta collapsed")
            return value
        facts.note("Kronecker delta collapsed to a Piecewise")
        return sympy.Piecewise((value, sympy.And(lo <= target, target <= hi)), (0, True))
    return None


def _integer_range(lo: sympy.Expr, hi: sympy.Expr) -> bool:
    return lo.is_integer is True and hi.is_integer is True


def _rename_product(node: sympy.Product, facts: SumFacts) -> sympy.Expr:
    body = normal_form(node.function, facts)
    for var, lo, hi in node.limits:
        height = 1 + max((_height(n) for n in body.atoms(*_WITH_LIMITS)), default=-1)
        name = facts.name(height)
        body = node.func(body.xreplace({var: name}), (name, lo, hi))
    return body


# -- what follows from the conditions --------------------------------------------------------


def provably_nonnegative(expr: sympy.Expr, relations: list[Relation]) -> bool:
    """Whether ``expr >= 0`` follows from the symbols' assumptions and one condition.

    The equalities among the conditions are used as substitutions first; then
    ``expr`` must be a nonnegative number, nonnegative by assumptions, or
    differ from ``-e`` (for a condition ``e <= 0`` or ``e < 0``) by such a
    quantity.
    """
    substitutions = []
    for relation in relations:
        if relation.op == "==":
            found = linear_atom(relation.expr, require_real=False)
            if found is not None:
                atom, coeff, rest = found
                substitutions.append({atom: -rest / coeff})
    bounds = [r.expr for r in relations if r.op in ("<=", "<")]
    bounds += [-r.expr for r in relations if r.op in (">=", ">")]
    for use in range(len(substitutions) + 1):
        candidate, shifted = expr, bounds
        for mapping in substitutions[:use]:
            candidate = candidate.xreplace(mapping)
            shifted = [b.xreplace(mapping) for b in shifted]
        candidate = sympy.expand(candidate)
        if _nonnegative(candidate):
            return True
        for bound in shifted:  # bound <= 0, so candidate >= candidate + bound
            if _nonnegative(sympy.expand(candidate + bound)):
                return True
    return False


def _nonnegative(expr: sympy.Expr) -> bool:
    try:
        return bool(expr.is_nonnegative)
    except (TypeError, ValueError):
        return False


# -- sums as symbols --------------------------------------------------------------------------


def abstract_sums(expr: sympy.Expr, facts: SumFacts) -> sympy.Expr:
    """Replace each sum or product free of enclosing summation variables by its symbol."""
    return _abstract(expr, frozenset(), facts)


def _abstract(expr: sympy.Basic, bound: frozenset[sympy.Symbol], facts: SumFacts) -> sympy.Basic:
    if not isinstance(expr, sympy.Basic) or not expr.args or not _has_sums(expr):
        return expr
    if isinstance(expr, _WITH_LIMITS):
        if not (expr.free_symbols & bound):
            return symbol_for(expr, facts)
        variables = frozenset(v for v, _, _ in expr.limits)
        body = _abstract(expr.function, bound | variables, facts)
        return expr.func(body, *expr.limits) if body != expr.function else expr
    args = [_abstract(arg, bound, facts) for arg in expr.args]
    return expr.func(*args) if args != list(expr.args) else expr


def symbol_for(node: sympy.Expr, facts: SumFacts) -> sympy.Dummy:
    """The fresh symbol standing for ``node``, with the sign its terms and range guarantee.

    A sum is first put in its canonical order (``exchange_order``), so nests
    that differ only in the order of their sums get the same symbol.
    """
    written = node
    if isinstance(node, sympy.Sum):
        node = exchange_order(node, facts)
    if node in facts.symbols:
        return facts.symbols[node]
    # The nest may hide a sign the sum as written shows ((Sum(…))**2 taken apart): keep the stronger.
    assumptions = _stronger_sign(_sign_of(node, facts), _sign_of(written, facts))
    label = {sympy.Sum: "S", sympy.Product: "P"}.get(type(node), "M")
    symbol = sympy.Dummy(f"{label}{len(facts.symbols)}", **assumptions)
    facts.symbols[node] = symbol
    facts.note("sums as symbols")
    return symbol


_SIGN_STRENGTH = ("positive", "negative", "nonnegative", "nonpositive", "real")


def _stronger_sign(first: dict[str, bool], second: dict[str, bool]) -> dict[str, bool]:
    """Of two sign assumptions known of one value, the one that says more."""
    for word in _SIGN_STRENGTH:
        for assumptions in (first, second):
            if assumptions.get(word):
                return assumptions
    return first


def _sign_of(node: sympy.Expr, facts: SumFacts) -> dict[str, bool]:
    term = node.function
    nonempty = all(provably_nonnegative(hi - lo, facts.relations) for _, lo, hi in node.limits)
    if isinstance(node, EXTREMA):
        return _sign_of_extremum(term)
    if isinstance(node, sympy.Product):
        if term.is_positive:
            return {"positive": True}
        return {"real": True} if term.is_real else {}
    if term.is_positive:
        return {"positive": True} if nonempty else {"nonnegative": True}
    if term.is_negative:
        return {"negative": True} if nonempty else {"nonpositive": True}
    if term.is_nonnegative:
        return {"nonnegative": True}
    if term.is_nonpositive:
        return {"nonpositive": True}
    if term.is_real:
        return {"real": True}
    return {}


def _sign_of_extremum(term: sympy.Expr) -> dict[str, bool]:
    for word in ("positive", "negative", "nonnegative", "nonpositive"):
        if getattr(term, f"is_{word}"):
            return {word: True}
    return {"real": True} if term.is_real else {}


# -- exchange of nested sums ------------------------------------------------------------------


Limit = tuple[sympy.Symbol, sympy.Expr, sympy.Expr]


def exchange_order(node: sympy.Sum, facts: SumFacts) -> sympy.Sum:
    """``node`` as one nest of sums in a canonical order, with canonical bound-variable names.

    Factors that are sums are taken into the sum around them
    (``Sum(x[i]*Sum(g, (j, …)), (i, …))`` is ``Sum(x[i]*g, (j, …), (i, …))``),
    a power ``Sum(g, (j, …))**2`` as the product of two sums over fresh variables.
    With the format's semantics (an empty range sums to 0) a nest of sums is
    the sum over the set of index tuples its bounds describe; every way of
    writing that set (``_nest_forms``) is tried and the smallest expression (by
    SymPy's sort key) is kept, so two nests over one set get one form. The ways:
    neighbouring sums exchanged when the inner one's bounds do not use the
    outer one's variable (Fubini for finite sums), and a triangle written
    from either side, ``Sum(Sum(f, (j, L, i - d)), (i, L + d, U)) ==
    Sum(Sum(f, (i, j + d, U)), (j, L, U - d))`` for a whole number d >= 0.
    Nests of more than MAX_EXCHANGED_SUMS sums keep their order and are only renamed.
    """
    limits, body = _flatten_nest(node)
    base = _first_free_height([body, *(bound for _, lo, hi in limits for bound in (lo, hi))], facts)
    written = tuple(limits)
    forms = _nest_forms(written, facts) if len(limits) <= MAX_EXCHANGED_SUMS else [written]
    best: sympy.Sum | None = None
    best_form = written
    best_key: tuple | None = None
    for form in forms:
        candidate = _nest_in_order(body, list(form), base, facts)
        key = sympy.default_sort_key(candidate)
        if best_key is None or key < best_key:
            best, best_form, best_key = candidate, form, key
    assert best is not None  # forms holds at least the nest as written
    if best_form != written:
        facts.note("order of nested sums exchanged")
    return best


def _flatten_nest(node: sympy.Sum) -> tuple[list[Limit], sympy.Expr]:
    """The limits of ``node`` and of the sums among its body's factors (outermost first), and the rest.

    Every bound variable is renamed to a fresh one first, so that taking a
    factor into a sum captures nothing.
    """
    limits: list[Limit] = []
    body: sympy.Expr = node
    while True:
        factors = sympy.Mul.make_args(body)
        sums = [copy for f in factors for copy in _sum_copies(f)]
        if not sums:
            return limits, body
        body = sympy.Mul(*[f for f in factors if not _sum_copies(f)])
        for inner in sums:
            fresh = inner.xreplace({var: sympy.Dummy("e", integer=True) for var, _, _ in inner.limits})
            limits.extend(reversed(fresh.limits))  # SymPy lists the innermost limit first
            body = body * fresh.function


def _sum_copies(factor: sympy.Expr) -> list[sympy.Sum]:
    """A factor as the sums whose product it is: ``S`` once, ``S**p`` (p a small whole number) p times."""
    if isinstance(factor, sympy.Sum):
        return [factor]
    if isinstance(factor, sympy.Pow) and isinstance(factor.base, sympy.Sum):
        exponent = factor.exp
        if exponent.is_Integer and 2 <= int(exponent) <= MAX_EXCHANGED_SUMS:
            return [factor.base] * int(exponent)
    return []


Form = tuple[Limit, ...]


def _nest_forms(written: Form, facts: SumFacts) -> list[Form]:
    """Every way of writing the nest ``written`` (limits outermost first) that the moves reach.

    Breadth first, in a fixed order, at most MAX_NEST_FORMS forms. Each form
    is first tightened (``_tightened``), so that the triangle moves are each
    other's inverse and two nests over one set reach the same forms.
    """
    first = _tightened(written, facts)
    forms = [first]
    seen = {first}
    position = 0
    while position < len(forms) and len(forms) < MAX_NEST_FORMS:
        for moved in _moves(forms[position]):
            moved = _tightened(moved, facts)
            if moved not in seen:
                seen.add(moved)
                forms.append(moved)
        position += 1
    return forms


def _moves(form: Form) -> Iterator[Form]:
    """The forms one move away: two neighbouring sums exchanged, or a triangle written from its other side."""
    for p in range(len(form) - 1):
        (x, a, b), (y, c, d) = form[p], form[p + 1]
        if x not in (c.free_symbols | d.free_symbols):
            yield form[:p] + ((y, c, d), (x, a, b)) + form[p + 2 :]
            continue
        flipped = _flip_triangle(form[p], form[p + 1])
        if flipped is not None:
            yield form[:p] + flipped + form[p + 2 :]


def _flip_triangle(outer: Limit, inner: Limit) -> tuple[Limit, Limit] | None:
    """The same set of pairs with the other variable outside, for the two tight triangle shapes.

    ``(x, L + d, U), (y, L, x - d)`` and ``(y, L, U - d), (x, y + d, U)`` (d a
    whole number >= 0; L and U free of x and y) both describe
    ``L <= y`` and ``y + d <= x <= U``.
    """
    shape = _triangle(outer, inner)
    (x, a, b), (y, c, d) = outer, inner
    if shape is None:
        return None
    side, offset = shape
    if side == "upper" and sympy.expand(a - c - offset) == 0:
        return (y, c, b - offset), (x, y + offset, b)
    if side == "lower" and sympy.expand(b - d + offset) == 0:
        return (y, a + offset, d), (x, a, y - offset)
    return None


def _triangle(outer: Limit, inner: Limit) -> tuple[str, int] | None:
    """``("upper", d)`` for ``(x, …), (y, L, x - d)``, ``("lower", d)`` for ``(x, …), (y, x + d, U)``.

    d a whole number >= 0; the other bounds free of both variables. None for any other pair.
    """
    (x, a, b), (y, c, d) = outer, inner
    if {x, y} & (a.free_symbols | b.free_symbols) or y in (c.free_symbols | d.free_symbols):
        return None
    lag = _whole_offset(x - d)
    if lag is not None and x not in c.free_symbols:
        return "upper", lag
    lead = _whole_offset(c - x)
    if lead is not None and x not in d.free_symbols:
        return "lower", lead
    return None


def _whole_offset(difference: sympy.Expr) -> int | None:
    """``difference`` when it is a whole number >= 0."""
    value = sympy.expand(difference)
    return int(value) if value.is_Integer and value >= 0 else None


def _tightened(form: Form, facts: SumFacts) -> Form:
    """``form`` with the bounds of each triangle pulled in to where its inner sum is not empty.

    In ``(x, a, U), (y, L, x - d)`` the values of x below L + d give empty
    inner sums: when ``a <= L + d`` follows from the conditions, a becomes
    L + d. Likewise in ``(y, L, V), (x, y + d, U)`` the values of y above
    U - d: when ``V >= U - d`` follows, V becomes U - d.
    """
    limits = list(form)
    for p in range(len(limits) - 1):
        shape = _triangle(limits[p], limits[p + 1])
        (x, a, b), (_, c, d) = limits[p], limits[p + 1]
        if shape is None:
            continue
        side, offset = shape
        if side == "upper" and provably_nonnegative(c + offset - a, facts.relations):
            limits[p] = (x, c + offset, b)
        elif side == "lower" and provably_nonnegative(b - d + offset, facts.relations):
            limits[p] = (x, a, d - offset)
    return tuple(limits)


def _first_free_height(exprs: list[sympy.Expr], facts: SumFacts) -> int:
    """The first canonical name height above every canonical name used in ``exprs``."""
    used: set = set().union(*(e.free_symbols | e.atoms(sympy.Dummy) for e in exprs))
    return 1 + max((h for h, name in enumerate(facts.names) if name in used), default=-1)


def _nest_in_order(body: sympy.Expr, limits: list[Limit], base: int, facts: SumFacts) -> sympy.Sum:
    """``body`` summed over ``limits`` (outermost first), the variables named by their height."""
    count = len(limits)
    names = {var: facts.name(base + count - 1 - position) for position, (var, _, _) in enumerate(limits)}
    renamed = [(names[var], lo.xreplace(names), hi.xreplace(names)) for var, lo, hi in limits]
    return sympy.Sum(body.xreplace(names), *reversed(renamed))


# -- the screen at larger sizes ---------------------------------------------------------------


def larger_size_assignments(shape: Shape, relations: list[Relation], seed: int) -> list[dict]:
    """A few assignments with every size drawn from LARGE_SIZES and indices drawn in range."""
    from derivcheck.check.prove.assume import truth

    rng = random.Random(seed + 5)
    out: list[dict] = []
    for _ in range(LARGE_SIZE_DRAWS * 4):
        if len(out) >= LARGE_SIZE_DRAWS:
            break
        mapping = {s: sympy.Integer(rng.randint(*LARGE_SIZES)) for s in shape.sizes}
        ok = True
        for symbol, lo, hi in shape.indices:
            lo_v, hi_v = lo.xreplace(mapping), hi.xreplace(mapping)
            if not (lo_v.is_Integer and hi_v.is_Integer) or hi_v < lo_v:
                ok = False
                break
            mapping[symbol] = sympy.Integer(rng.randint(int(lo_v), int(hi_v)))
        if ok and all(truth(r.substitute(mapping)) is not False for r in relations):
            out.append(mapping)
    return out


# -- hooks of the verdict ladder --------------------------------------------------------------


def try_general_proof(
    a: sympy.Expr, b: sympy.Expr, relations: list[Relation], timeout: float, prove: Prover = prove_equal
) -> Proof | None:
    """The ladder's first rung for sums over a symbolic size: a proof for every size, or None."""
    if not has_symbolic_sums(a, b):
        return None
    try:
        with time_limit(timeout * GENERAL_SUM_PROOF_SHARE):
            return prove_with_sums(a, b, relations, timeout, prove)
    except OuterTimeout:
        raise
    except CheckTimeout:
        return None


# -- conditions for every element -------------------------------------------------------------


def split_every(conditions: Sequence[Condition]) -> tuple[list[Condition], list[Condition]]:
    """Return (plain conditions, conditions written '… for every c')."""
    plain = [c for c in conditions if not getattr(c, "every", ())]
    every = [c for c in conditions if getattr(c, "every", ())]
    return plain, every


def every_relations(
    every: Sequence[Condition],
    exprs: list[sympy.Expr],
    relations: list[Relation],
    mapping: dict | None = None,
    upto: int = 0,
) -> list[Relation]:
    """The conditions '… for every c' as relations on the elements they constrain.

    One relation per element ``y[t]`` of ``exprs`` (outside any sum) whose
    index ``t`` is known to lie in the range of ``c``, and, with ``upto``,
    one per whole number from the range's start to ``upto`` (for the samples).
    """
    mapping = mapping or {}
    out: list[Relation] = []
    for condition in every:
        index, lo, hi = condition.every
        lo, hi = lo.xreplace(mapping), hi.xreplace(mapping)
        targets: list = []
        for expr in exprs:
            bound = {v for n in expr.atoms(*_WITH_LIMITS) for v, _, _ in n.limits}
            for element in expr.atoms(sympy.Indexed):
                for t in element.indices:
                    if t in targets or t.free_symbols & bound:
                        continue
                    if _within(t, lo, hi, relations):
                        targets.append(t)
        if upto and lo.is_Integer:
            last = int(hi) if hi.is_Integer else upto
            targets += [sympy.Integer(v) for v in range(int(lo), last + 1) if sympy.Integer(v) not in targets]
        for t in targets:
            out.append(_relation_at(condition, index, t))
    return out


def _within(t: sympy.Expr, lo: sympy.Expr, hi: sympy.Expr, relations: list[Relation]) -> bool:
    if t.is_Integer and lo.is_Integer and hi.is_Integer:
        return int(lo) <= int(t) <= int(hi)
    if t.is_integer is not True:
        return False
    return provably_nonnegative(t - lo, relations) and provably_nonnegative(hi - t, relations)


def _relation_at(condition: Condition, index: sympy.Symbol, t: sympy.Expr) -> Relation:
    at = {index: t}
    if condition.op == "in":
        return Relation("in", condition.lhs.xreplace(at), tuple(v.xreplace(at) for v in condition.values))
    return Relation(condition.op, (condition.lhs - condition.rhs).xreplace(at))


@dataclass
class StepConditions:
    """A step's conditions made ready for checking: relations for proofs, more for samples."""

    relations: list[Relation]  # what proofs may use
    sampled: list[Relation]  # what sample points must satisfy (per-element conditions written out)
    every: list[Condition]  # the conditions '… for every c', for instances at each size
    shape: Shape


def step_conditions(
    a: sympy.Expr,
    b: sympy.Expr,
    conditions: Sequence[Condition],
    symbols: tuple[SymbolSpec, ...],
    max_size: int,
) -> StepConditions:
    """The relations of a step ``a`` against ``b`` (sums already instantiated), kept to those that matter."""
    from derivcheck.check.prove.assume import relations_of, relevant_relations
    from derivcheck.check.prove.sizes import shape_of

    plain, every = split_every(conditions)
    relations = [Relation(r.op, instantiate(r.expr, {}), r.values) for r in relations_of(plain)]
    relations += every_relations(every, [a, b], relations)
    shape = shape_of([a, b], relations, symbols)
    relations = relevant_relations([a, b], relations, set(shape.sizes))
    shape = shape_of([a, b], relations, symbols)
    sampled = relations + every_relations(every, [], relations, upto=max_size)
    return StepConditions(relations, sampled, every, shape)
