"""Definite integrals in a step: evaluated by SymPy's integration, or compared integrand by integrand.

An integral whose value SymPy cannot find, or finds only under a convergence
condition it cannot decide, is never decided by sampling: the step stays
``unknown``. Two sides that are linear combinations of integrals over the
same ranges are equal when, range by range, the combined integrand is 0 for
every value of the variable, or its integral can be found and the values add
up (linearity of the integral; the integrals written are taken to exist, as
the author's step asserts).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import sympy

from derivcheck.bounds import MAX_INTEGRAND_TERMS
from derivcheck.check.printing import readable
from derivcheck.check.prove.equality import prove_zero
from derivcheck.parse.probability import indefinite_variables


class IntegralUnevaluated(Exception):
    """An integral whose value could not be found exactly; the message says why.

    ``comparable``: whether quadrature may still compare it (not when it diverges or
    converges only under conditions SymPy cannot decide).
    """

    def __init__(self, message: str, comparable: bool = True) -> None:
        super().__init__(message)
        self.comparable = comparable


@dataclass(frozen=True)
class Linear:
    """A side split by linearity: integrands per integration range, and the rest (no integral in it)."""

    integrands: dict[tuple[sympy.Expr, sympy.Expr], sympy.Expr]
    rest: sympy.Expr


@dataclass(frozen=True)
class Derivatives:
    """A step with antiderivatives, differentiated: the sides differ by a constant iff these agree."""

    variable: sympy.Symbol
    previous: sympy.Expr
    current: sympy.Expr


def derivatives_of_antiderivatives(previous: sympy.Expr, current: sympy.Expr) -> Derivatives | None:
    """Both sides differentiated in the variable of their indefinite integrals (None when there is none).

    Two sides whose derivatives in ``x`` are equal differ by a constant on
    each interval where both are differentiable: that is what a step between
    antiderivatives (``Integral(f, x) = F + C``) claims. IntegralUnevaluated
    when the integrals have different variables, or when one is left after
    differentiating (an antiderivative inside another function).
    """
    variables = indefinite_variables(previous) | indefinite_variables(current)
    if not variables:
        return None
    if len(variables) > 1:
        names = ", ".join(sorted(str(v) for v in variables))
        raise IntegralUnevaluated(
            f"antiderivatives in different variables ({names}) in one step; a step holds up to a constant in one"
        )
    (variable,) = variables
    dprevious, dcurrent = sympy.diff(previous, variable), sympy.diff(current, variable)
    if indefinite_variables(dprevious) or indefinite_variables(dcurrent):
        raise IntegralUnevaluated(
            "an antiderivative inside another function is not compared; write it alone, Integral(f, x) = F + C"
        )
    return Derivatives(variable, dprevious, dcurrent)


def integral_value(integral: sympy.Integral) -> sympy.Expr:
    """The exact value of one integral without an integral inside it; IntegralUnevaluated otherwise.

    An integrand that is a sum is integrated term by term (each term's
    integral must be finite, so their sum is the whole integral's value).
    An antiderivative (``Integral(f, x)``) has no value: it is compared up to a constant.
    """
    if any(len(limits) != 3 for limits in integral.limits):
        raise IntegralUnevaluated(
            f"{readable(integral)} is an antiderivative, defined up to a constant; it has no value to compare"
        )
    terms = _terms(integral.function)
    if len(terms) > 1:
        return sympy.Add(*(integral_value(sympy.Integral(term, *integral.limits)) for term in terms))
    shown = readable(integral)
    try:
        value = integral.doit(conds="piecewise")
    except (NotImplementedError, ValueError, TypeError, ArithmeticError, sympy.PoleError) as exc:
        raise IntegralUnevaluated(f"SymPy cannot integrate {shown}: {str(exc).splitlines()[0]}") from None
    if value.has(sympy.Piecewise):
        raise IntegralUnevaluated(
            f"SymPy finds {shown} only under conditions it cannot decide (convergence); "
            "declare the parameters' signs (e.g. 'a: positive')",
            comparable=False,
        )
    if value.has(sympy.Integral):
        raise IntegralUnevaluated(f"SymPy cannot integrate {shown}")
    if value.has(sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
        raise IntegralUnevaluated(
            f"{shown} diverges ({readable(value)}); only finite integrals are compared", comparable=False
        )
    return value


def _terms(integrand: sympy.Expr) -> tuple[sympy.Expr, ...]:
    """The terms of the integrand multiplied out at its top level (one term when there are too many)."""
    terms = sympy.Add.make_args(sympy.expand(integrand, deep=False))
    return terms if len(terms) <= MAX_INTEGRAND_TERMS else (integrand,)


_CANONICAL = sympy.Dummy("x", real=True)


def split_linear(expr: sympy.Expr) -> Linear | None:
    """``expr`` as a sum of constant multiples of single integrals plus a rest, or None if it is not one."""
    integrands: dict[tuple[sympy.Expr, sympy.Expr], sympy.Expr] = defaultdict(lambda: sympy.Integer(0))
    rest: list[sympy.Expr] = []
    for term in sympy.Add.make_args(sympy.expand(expr, deep=False)):
        if not term.has(sympy.Integral):
            rest.append(term)
            continue
        factors = sympy.Mul.make_args(term)
        integrals = [f for f in factors if isinstance(f, sympy.Integral)]
        if len(integrals) != 1 or len(integrals[0].limits) != 1 or len(integrals[0].limits[0]) != 3:
            return None
        (integral,) = integrals
        coefficient = sympy.Mul(*(f for f in factors if f is not integral))
        if coefficient.has(sympy.Integral):
            return None
        var, lo, hi = integral.limits[0]
        inner = integral.function.xreplace({var: _CANONICAL})
        if coefficient.has(_CANONICAL):
            return None
        integrands[(lo, hi)] = integrands[(lo, hi)] + coefficient * inner
    return Linear(dict(integrands), sympy.Add(*rest))


def same_integrands(previous: sympy.Expr, current: sympy.Expr, budget: float) -> str | None:
    """A method name when ``previous == current`` by linearity, integrals combined over each range; else None."""
    if not previous.has(sympy.Integral) and not current.has(sympy.Integral):
        return None
    split = split_linear(previous - current)
    if split is None or not split.integrands:
        return None
    values = []
    for (lo, hi), integrand in sorted(split.integrands.items(), key=sympy.default_sort_key):
        if prove_zero(_on_range(integrand, lo, hi), budget) is not None:
            continue
        try:
            values.append(integral_value(sympy.Integral(integrand, (_CANONICAL, lo, hi))))
        except IntegralUnevaluated:
            return None
    if prove_zero(split.rest + sympy.Add(*values), budget) is None:
        return None
    if values:
        return "linearity of the integral; the integrals combined over each range evaluated"
    return "linearity of the integral; the integrands agree at every point"


def _on_range(integrand: sympy.Expr, lo: sympy.Expr, hi: sympy.Expr) -> sympy.Expr:
    """The integrand with its variable known to lie inside the range where that is a sign fact."""
    if lo == 0 and hi is sympy.oo:
        positive = sympy.Dummy("x", positive=True)
        return integrand.xreplace({_CANONICAL: positive})
    return integrand
