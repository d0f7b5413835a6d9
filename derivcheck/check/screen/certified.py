"""Values of constant expressions with a bound on their own error.

``bounded_value`` evaluates at increasing precision until the digits are
stable and returns the value with an absolute error bound, so that a caller
decides "differs" or "within tolerance" only when the bound allows it.
Rationals are exact (error 0). Finite sums too long to write out are summed
term by term with mpmath at a working precision and checked the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeAlias

import mpmath
import sympy
from sympy.core.evalf import PrecisionExhausted

from derivcheck.bounds import (
    ACCURATE_BASE_DIGITS as BASE_DIGITS,
    MAX_ERROR_CONTROLLED_TERMS as MAX_SUM_TERMS,
    MAX_EXACT_BITS,
    MAX_PRECISION_LEVELS as MAX_LEVELS,
    MAX_WRITTEN_OUT_TERMS as MAX_TERMS,
    ROUGH_POWER_SHARE,
    SPOT_CHECKS,
)
from derivcheck.check.prove.sizes import instantiate

MpNumber: TypeAlias = "mpmath.mpf | mpmath.mpc"
"""A real or complex mpmath number."""
Environment = dict[sympy.Symbol, mpmath.mpf]
"""Values of the summation variables for one term."""
Term = Callable[[Environment], MpNumber]
"""A compiled term: its value at given values of the summation variables."""


class Unevaluable(Exception):
    """The expression has no value that can be bounded (the message says why)."""


@dataclass(frozen=True)
class Bounded:
    """A value and an absolute bound on its error (0 for exact values)."""

    value: sympy.Expr
    error: sympy.Expr

    @property
    def exact(self) -> bool:
        return self.error == 0

    def magnitude(self) -> sympy.Float:
        return _abs(self.value)


def _abs(value: sympy.Expr) -> sympy.Float:
    if value.is_Rational:
        return abs(value)
    re, im = value.as_real_imag()
    return sympy.Float(sympy.sqrt(re**2 + im**2).evalf(60), 60)


_ZERO = sympy.Integer(0)


def differs_from(bounded: Bounded, target: sympy.Expr, slack: sympy.Expr = _ZERO) -> bool | None:
    """True when ``|value - target| > slack`` for sure, False when ``<= slack`` for sure, else None.

    A slack that is not a rational number (``pi/100``) is bracketed between two
    rationals from its own bounded value, and the answer must hold for both.
    """
    if not slack.is_Rational:
        low, high = rational_bracket(slack)
        if differs_from(bounded, target, high) is True:
            return True
        return False if differs_from(bounded, target, max(low, _ZERO)) is False else None
    if bounded.exact and target.is_Rational and slack.is_Rational:
        return bool(_abs(bounded.value - target) > slack) if bounded.value.is_Rational else None
    gap = _abs(sympy.N(bounded.value - target, 80))
    if gap - bounded.error > slack:
        return True
    if gap + bounded.error <= slack:
        return False
    return None


def rational_bracket(expr: sympy.Expr) -> tuple[sympy.Rational, sympy.Rational]:
    """Two rationals ``low <= expr <= high`` from the bounded value of the constant ``expr``."""
    edge = bounded_value(expr)
    value, error = sympy.Rational(sympy.re(edge.value)), sympy.Rational(edge.error)
    return value - error, value + error


class _TooLarge(Exception):
    """The exact number would be larger than the bound."""


def fits_exactly(expr: sympy.Expr, values: dict, limit: int = MAX_EXACT_BITS) -> bool:
    """Whether substituting ``values`` into ``expr`` exactly builds only numbers of at most ``limit`` bits.

    An upper bound computed from the tree without building anything large:
    a rational has the bits of its numerator and denominator, a sum or product
    at most the bits of its parts (plus carries), a power ``b**(p/q)`` about
    ``|p/q|`` times the bits of ``b`` (SymPy writes out the integer part of a
    rational exponent), a function its arguments. Powers of a number to a
    non-rational exponent stay unevaluated and cost only their parts.
    """
    static = _static_size(expr)
    if static is not None:
        constant, per_value_bit = static
        widest = max((_value_bits(value) for value in values.values()), default=0)
        if constant + per_value_bit * widest <= limit:
            return True
    memo: dict[sympy.Basic, int] = {}
    try:
        _bits(expr, values, limit, memo)
    except _TooLarge:
        return False
    return True


def _value_bits(value: sympy.Basic) -> int:
    """The bits ``_bits`` gives a value, without its limit (values are small numbers)."""
    if value.is_Rational or not value.args:
        return _number_bits(value) or 1
    return len(value.args) + sum(_value_bits(arg) for arg in value.args)


@functools.lru_cache(maxsize=4096)
def _static_size(expr: sympy.Basic) -> tuple[int, int] | None:
    """``(a, b)``: the bits ``fits_exactly`` finds are at most ``a + b * w`` whatever the values, ``w``
    the bits of the widest value; None when an exponent depends on the values (sized at each point).

    Computed once per expression (a screen evaluates the same sides at many points).
    """
    memo: dict[sympy.Basic, tuple[int, int]] = {}

    def size(node: sympy.Basic) -> tuple[int, int]:
        known = memo.get(node)
        if known is not None:
            return known
        if node.is_Rational:
            found = (_number_bits(node), 0)
        elif isinstance(node, (sympy.Symbol, sympy.Indexed)):
            inner = [size(arg) for arg in node.args]  # a value, or the atom left as it is
            found = (1 + len(node.args) + sum(a for a, _ in inner), 1 + sum(b for _, b in inner))
        elif not node.args:
            found = (1, 0)
        elif isinstance(node, sympy.Pow):
            if node.exp.free_symbols:
                raise _Dynamic()
            (base, per_base), (exponent, per_exponent) = size(node.base), size(node.exp)
            whole = abs(int(node.exp.p) // int(node.exp.q)) + 1 if node.exp.is_Rational else 1
            found = (base * whole + exponent + 1, per_base * whole + per_exponent)
        else:
            parts = [size(arg) for arg in node.args]
            found = (len(node.args) + sum(a for a, _ in parts), sum(b for _, b in parts))
        memo[node] = found
        return found

    try:
        return size(expr)
    except _Dynamic:
        return None


class _Dynamic(Exception):
    """An exponent depends on the values: the size is found at each point."""


def _number_bits(value: sympy.Basic) -> int:
    if value.is_Integer:
        return int(value).bit_length() + 1
    if value.is_Rational:
        return int(value.p).bit_length() + int(value.q).bit_length() + 2
    return 0


def _bits(node: sympy.Basic, values: dict, limit: int, memo: dict[sympy.Basic, int]) -> int:
    known = memo.get(node)
    if known is not None:
        return known
    if node in values:
        found = _bits(values[node], {}, limit, memo)
    elif node.is_Rational:
        found = _number_bits(node)
    elif not node.args:
        found = 1
    elif isinstance(node, sympy.Pow):
        found = _power_bits(node, values, limit, memo)
    else:
        found = len(node.args) + sum(_bits(arg, values, limit, memo) for arg in node.args)
    if found > limit:
        raise _TooLarge()
    memo[node] = found
    return found


def _power_bits(node: sympy.Pow, values: dict, limit: int, memo: dict[sympy.Basic, int]) -> int:
    base = _bits(node.base, values, limit, memo)
    exponent_bits = _bits(node.exp, values, limit, memo)
    exponent = node.exp.xreplace(values) if values else node.exp
    if not exponent.is_Rational:
        return base + exponent_bits + 1
    # b**(p/q) = b**n * b**(r/q): the integer part n is written out exactly.
    whole = abs(int(exponent.p) // int(exponent.q)) + 1
    if base * whole <= limit // ROUGH_POWER_SHARE:
        return base * whole + exponent_bits + 1
    # Large if every part of the base were raised: build the base (it fits) and count only
    # the parts SymPy raises exactly ((1 + exp(-x))**gamma stays a power at any gamma).
    raised = _raised_bits(node.base.xreplace(values) if values else node.base) * whole
    if raised > limit:
        raise _TooLarge()
    return base + raised + exponent_bits + 1


def _raised_bits(base: sympy.Basic) -> int:
    """Bits of the parts of the number ``base`` that SymPy writes out exactly when raising it to a rational power.

    Rationals, the factors of a product, the base of a power of a rational (its
    exponents multiply); a sum, a function or a constant like pi stays the base
    of an unevaluated power.
    """
    if base.is_Rational:
        return _number_bits(base)
    if isinstance(base, sympy.Mul):
        return sum(_raised_bits(factor) for factor in base.args)
    if isinstance(base, sympy.Pow) and base.exp.is_Rational:
        return _raised_bits(base.base) * (abs(int(base.exp.p)) // int(base.exp.q) + 1)
    return 0


def bounded_value(expr: sympy.Expr, digits: int = BASE_DIGITS, subs: dict | None = None) -> Bounded:
    """Return the value of the constant ``expr`` with an error bound; Unevaluable if it has none.

    The expression is evaluated at ``digits``, then twice and four times as
    many; two consecutive levels must agree within their claimed errors.
    ``subs`` gives values to substitute inside the evaluation (for powers
    too large to expand exactly).
    """
    if subs:
        if expr.free_symbols - set(subs):
            raise Unevaluable("no value given for some symbols")
        return _levels(expr, digits, subs)
    if expr.free_symbols:
        raise Unevaluable("no value given for " + ", ".join(sorted(str(s) for s in expr.free_symbols)))
    if expr.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        raise Unevaluable("the expression is undefined there")
    if expr.is_Rational:
        return Bounded(expr, sympy.Integer(0))
    if expr.has(sympy.Sum, sympy.Product):
        return _with_long_sums(expr, digits)
    return _levels(expr, digits, None)


def _levels(expr: sympy.Expr, digits: int, subs: dict | None) -> Bounded:
    previous = None
    for level in range(MAX_LEVELS):
        n = digits * 2**level
        current = _evaluate_level(expr, n, subs)
        if previous is not None:
            gap = _abs(sympy.N(current.value - previous.value, n + 10))
            if gap <= current.error + previous.error:
                # Two values evalf calls precise: their gap is real error, add it.
                # A rough bound ("indistinguishable from 0") only has to contain the value.
                rough = previous.value.is_zero and not previous.exact
                return Bounded(current.value, current.error + (0 if rough else gap))
        previous = current
    raise Unevaluable(f"the digits do not settle up to {digits * 2 ** (MAX_LEVELS - 1)} digits")


def _with_long_sums(expr: sympy.Expr, digits: int) -> Bounded:
    """Sums too long to write out: each summed once with its error bound, which is then propagated.

    The propagation is measured: the expression is evaluated again with every
    sum moved by its bound (up, then down), and the larger change is added.
    """
    found = {}
    for node in expr.atoms(sympy.Sum, sympy.Product):
        found[node] = _long_sum(node, digits)
    if not found:
        raise Unevaluable("a sum or product could not be evaluated")
    centre = bounded_value(expr.xreplace({n: v for n, (v, _) in found.items()}), digits)
    spread = sympy.Integer(0)
    for sign in (1, -1):
        moved = bounded_value(expr.xreplace({n: v + sign * d for n, (v, d) in found.items()}), digits)
        spread = max(spread, _abs(sympy.N(moved.value - centre.value, 2 * digits)) + moved.error)
    return Bounded(centre.value, centre.error + 2 * spread)


def _evaluate_level(expr: sympy.Expr, n: int, subs: dict | None = None) -> Bounded:
    try:
        value = expr.evalf(n, subs=subs, strict=True, maxn=4 * n)
    except PrecisionExhausted:
        # Cannot be told from zero at this precision: evalf's bound on |value|.
        rough = expr.evalf(n, subs=subs)
        if not rough.is_number or rough.has(sympy.nan, sympy.zoo, sympy.oo):
            raise Unevaluable("the expression is undefined there") from None
        bound = 2 * _abs(rough) + sympy.Float(10, n) ** (-4 * n)
        return Bounded(sympy.Integer(0), bound)
    except (ValueError, TypeError, ZeroDivisionError, ArithmeticError, RecursionError) as exc:
        raise Unevaluable(f"cannot evaluate: {exc.__class__.__name__}") from None
    if not value.is_number or value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo, sympy.Sum, sympy.Product):
        raise Unevaluable("the expression is undefined there")
    if value.is_Rational and expr.is_Rational:
        return Bounded(value, sympy.Integer(0))
    if value.is_Rational:
        # evalf can return an exact number for a value it could not tell from it
        # (log(1 + exp(-3270000)) comes back as 0): only an error bound, never exact.
        return Bounded(value, (1 + _abs(value)) * sympy.Float(10, n) ** (-n))
    return Bounded(value, _abs(value) * sympy.Float(10, n) ** (2 - n) + sympy.Float(10, n) ** (-4 * n))


def _long_sum(node: sympy.Sum | sympy.Product, digits: int) -> tuple[sympy.Expr, sympy.Expr]:
    """A finite sum or product with numeric bounds, and a bound on its error.

    Terms are computed with mpmath at ``digits + 5`` digits and added exactly
    (fsum). Each term is taken as correct to ``digits + 2`` digits, which is
    spot-checked on a spread of terms recomputed at 30 more digits; the sum's
    error bound is then that relative error of the absolute sum of the terms.
    """
    limits: list[tuple[sympy.Symbol, int, int]] = []
    count = 1
    for var, lo, hi in node.limits:
        if not (lo.is_Integer and hi.is_Integer):
            raise Unevaluable(f"the bounds of {sympy.sstr(node)} are not whole numbers")
        limits.append((var, int(lo), int(hi)))
        count *= max(0, int(hi) - int(lo) + 1)
    if count <= MAX_TERMS:
        written = instantiate(node, {})
        value = bounded_value(written, digits)
        return value.value, value.error
    if count > MAX_SUM_TERMS:
        raise Unevaluable(
            f"a sum or product of {count} terms is longer than the {MAX_SUM_TERMS} terms evaluated with error control"
        )
    variables = [v for v, _, _ in limits]
    environments = list(_environments(limits))
    relative = mpmath.mpf(10) ** (-(digits + 2))
    with mpmath.workdps(digits + 5):
        term = _compile(node.function, variables)
        terms = [term(env) for env in environments]
    _spot_check(node, variables, environments, terms, digits + 35, relative)
    with mpmath.workdps(digits + 5):
        if isinstance(node, sympy.Sum):
            total = mpmath.fsum(terms)
            rounding = mpmath.fsum(terms, absolute=True) * relative
        else:
            total = mpmath.fprod(terms)
            rounding = abs(total) * ((1 + relative) ** len(terms) - 1)
    if not mpmath.isfinite(total) or not mpmath.isfinite(rounding):
        raise Unevaluable("a term of the sum is undefined")
    return _to_sympy(total, digits + 5), sympy.Float(rounding, 10) * 2




def _spot_check(
    node: sympy.Sum | sympy.Product,
    variables: list[sympy.Symbol],
    environments: list[Environment],
    terms: list[MpNumber],
    digits: int,
    relative: mpmath.mpf,
) -> None:
    """Recompute a spread of terms at higher precision; a term off by more than ``relative`` stops the sum."""
    step = max(1, len(environments) // SPOT_CHECKS)
    picks = set(range(0, len(environments), step)) | set(range(max(0, len(environments) - 8), len(environments)))
    with mpmath.workdps(digits):
        term = _compile(node.function, variables)
        for index in sorted(picks):
            precise = term(environments[index])
            if abs(precise - terms[index]) > abs(precise) * relative + mpmath.mpf(10) ** (-2 * digits):
                raise Unevaluable(f"the terms of {sympy.sstr(node)} lose precision; cannot sum them with error control")


def _environments(limits: list[tuple[sympy.Symbol, int, int]]) -> Iterator[Environment]:
    if len(limits) == 1:
        var, lo, hi = limits[0]
        for k in range(lo, hi + 1):
            yield {var: mpmath.mpf(k)}
        return
    if not limits:
        yield {}
        return
    (var, lo, hi), rest = limits[0], limits[1:]
    for k in range(lo, hi + 1):
        for env in _environments(rest):
            yield {var: mpmath.mpf(k), **env}


def _to_sympy(value: MpNumber, digits: int) -> sympy.Expr:
    if isinstance(value, mpmath.mpc):
        return sympy.Float(value.real, digits) + sympy.I * sympy.Float(value.imag, digits)
    return sympy.Float(value, digits)


_MP_FUNCTIONS = {
    sympy.exp: "exp",
    sympy.log: "log",
    sympy.sin: "sin",
    sympy.cos: "cos",
    sympy.tan: "tan",
    sympy.sinh: "sinh",
    sympy.cosh: "cosh",
    sympy.tanh: "tanh",
    sympy.atan: "atan",
    sympy.asin: "asin",
    sympy.acos: "acos",
    sympy.erf: "erf",
    sympy.erfc: "erfc",
    sympy.sign: "sign",
    sympy.floor: "floor",
    sympy.ceiling: "ceil",
}


def _compile(expr: sympy.Expr, variables: list[sympy.Symbol]) -> Term:
    """A function of the summation variables built from a whitelist of nodes (no code is generated)."""
    if not (expr.free_symbols & set(variables)):
        constant = sympy.N(expr, mpmath.mp.dps + 10)
        if not constant.is_number or constant.has(sympy.nan, sympy.zoo, sympy.oo):
            raise Unevaluable(f"cannot evaluate {sympy.sstr(expr)}")
        re, im = constant.as_real_imag()
        value = mpmath.mpc(mpmath.mpf(re), mpmath.mpf(im)) if not im.is_zero else mpmath.mpf(re)
        return lambda env: value
    if expr in variables:
        return lambda env: env[expr]
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer and abs(expr.exp) < 64:
        base, exponent = _compile(expr.base, variables), int(expr.exp)
        return lambda env: base(env) ** exponent
    parts = [_compile(arg, variables) for arg in expr.args]
    if isinstance(expr, (sympy.Add, sympy.Mul)):
        return _fold(parts, isinstance(expr, sympy.Add))
    if isinstance(expr, sympy.Pow):
        base, power = parts
        return lambda env: mpmath.power(base(env), power(env))
    if isinstance(expr, sympy.Abs):
        (inner,) = parts
        return lambda env: abs(inner(env))
    if isinstance(expr, (sympy.Max, sympy.Min)):
        pick = max if isinstance(expr, sympy.Max) else min
        return lambda env: pick(p(env) for p in parts)
    name = _MP_FUNCTIONS.get(expr.func)
    if name is None or len(parts) != 1:
        raise Unevaluable(f"cannot sum {sympy.sstr(expr)} term by term")
    function = getattr(mpmath, name)
    (inner,) = parts
    return lambda env: function(inner(env))


def _fold(parts: list[Term], add: bool) -> Term:
    """Sum or product of compiled parts, nested pairwise (no generator per call)."""
    if len(parts) == 1:
        return parts[0]
    first, rest = parts[0], _fold(parts[1:], add)
    if add:
        return lambda env: first(env) + rest(env)
    return lambda env: first(env) * rest(env)
