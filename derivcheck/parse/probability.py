"""Integrals with several ranges or none, expectations under declared densities, and divergences.

Read from the expression tree by the builder of ``parse/expressions.py``
(through the ``Reader`` protocol below); every SymPy object is built here by
hand, nothing from the file is evaluated.

- ``Integral(f, (x, a, b), (y, c, d))``: the first range is the innermost
  (``∫_c^d ∫_a^b f dx dy``); a bound may use the variables of the ranges
  after it. Built as nested one-range integrals.
- ``Integral(f, x)``: the integral over the declared support of ``x``
  (``x: real, support a..b``), else an antiderivative of ``f`` in the symbol
  ``x`` (a step with one is checked up to a constant, check/prove/integrals.py).
- ``Expectation(f, (x, p))`` with ``p`` a declared function (a density),
  ``Expectation(f, (z, q(z, x)))`` with a density written out, optionally
  with its range ``(x, p, a, b)``: the integral of density times ``f``.
- ``KL(P, Q)``: the Kullback-Leibler divergence, of two densities (over
  their variable's range) or of two distributions of parse/distributions.py.
"""

from __future__ import annotations

import ast
from typing import Any, Protocol

import sympy

from derivcheck.bounds import MAX_INTEGRAL_RANGES
from derivcheck.errors import FormatError
from derivcheck.parse.distributions import (
    DISTRIBUTIONS,
    Distribution,
    bernoulli_sum,
    categorical_sum,
    distribution,
    integral_over,
    log_density,
    whole_line,
)

INFINITY = "oo"
KL_FORMS = "KL(p, q) (p, q declared densities), KL(p(x), q(x), (x, a, b)) or KL(Normal(m1, s1), Normal(m2, s2))"
"""How a divergence is written, for messages."""


class Reader(Protocol):
    """What this module needs of the expression builder."""

    scope: Any
    bound: dict[str, sympy.Expr]
    text: Any

    def _expr(self, node: ast.expr) -> sympy.Expr: ...

    def _error(self, node: ast.AST, message: str) -> FormatError: ...

    def _with_bound(self, name: str, var: sympy.Expr, node: ast.expr) -> sympy.Expr: ...

    def _limit_point(self, node: ast.expr) -> sympy.Expr: ...


# -- integrals ----------------------------------------------------------------------------------


class HeldIntegral(sympy.Integral):
    """A constant integral that SymPy does not take for a number.

    SymPy decides ``floor``, ``ceiling``, ``Max`` and ``Min`` of a number, and
    orders the terms of a sum that has one, from its numeric value: of an
    integral that is a quadrature at rising precision, which never ends where
    the integral is exactly an integer (``ceiling`` of an odd integrand's
    integral over the line). Held, the integral is evaluated only by the
    checker, within its time limit: exactly, or by its bounded quadrature.
    """

    @property
    def is_number(self) -> bool:
        return False


def held_integrals(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with each constant integral held (``HeldIntegral``)."""
    constant = {
        i: HeldIntegral(*i.args)
        for i in expr.atoms(sympy.Integral)
        if not i.free_symbols and not isinstance(i, HeldIntegral)
    }
    return expr.xreplace(constant) if constant else expr



def read_integral(reader: Reader, node: ast.Call) -> sympy.Expr:
    """``Integral(f, (x, a, b), …)`` (nested, the first range innermost) or ``Integral(f, x)`` (indefinite)."""
    if len(node.args) == 2 and isinstance(node.args[1], ast.Name):
        return _indefinite(reader, node, node.args[1])
    if len(node.args) < 2 or not all(_is_range(r) for r in node.args[1:]):
        raise reader._error(
            node,
            "Integral takes (f, (x, a, b)), several ranges (f, (x, a, b), (y, c, d)) or a variable (f, x) "
            "for an antiderivative, e.g. Integral(exp(-x), (x, 0, oo))",
        )
    ranges = node.args[1:]
    if len(ranges) > MAX_INTEGRAL_RANGES:
        raise reader._error(node, f"an Integral takes at most {MAX_INTEGRAL_RANGES} ranges")
    names: list[str] = []
    for limits in ranges:
        assert isinstance(limits, ast.Tuple)  # checked by _is_range
        var_node = limits.elts[0]
        if not isinstance(var_node, ast.Name) or var_node.id.startswith("__") or var_node.id == INFINITY:
            raise reader._error(var_node, "the variable of Integral must be a name, e.g. Integral(f, (x, 0, 1))")
        if var_node.id in names:
            raise reader._error(var_node, f"the variable '{var_node.id}' has two ranges in one Integral")
        names.append(var_node.id)
    variables = [sympy.Dummy(name, real=True) for name in names]
    body = _bound_all(reader, names, variables, node.args[0])
    for k, limits in enumerate(ranges):
        assert isinstance(limits, ast.Tuple)
        outer = list(zip(names[k + 1 :], variables[k + 1 :]))
        lo = _bound_all(reader, [n for n, _ in outer], [v for _, v in outer], limits.elts[1], point=True)
        hi = _bound_all(reader, [n for n, _ in outer], [v for _, v in outer], limits.elts[2], point=True)
        body = sympy.Integral(body, (variables[k], lo, hi))
    return body


def _is_range(node: ast.expr) -> bool:
    return isinstance(node, ast.Tuple) and len(node.elts) == 3


def _bound_all(
    reader: Reader, names: list[str], variables: list[sympy.Dummy], node: ast.expr, point: bool = False
) -> sympy.Expr:
    """``node`` built with each of ``names`` bound to its variable (a bound of a range when ``point``)."""
    if not names:
        return reader._limit_point(node) if point else reader._expr(node)
    saved = {name: reader.bound.get(name) for name in names}
    reader.bound.update(zip(names, variables))
    try:
        return reader._limit_point(node) if point else reader._expr(node)
    finally:
        for name, value in saved.items():
            if value is None:
                reader.bound.pop(name, None)
            else:
                reader.bound[name] = value


def _indefinite(reader: Reader, node: ast.Call, var_node: ast.Name) -> sympy.Expr:
    """``Integral(f, x)``: over the declared support of ``x``, else an antiderivative in the symbol ``x``."""
    name = var_node.id
    spec = reader.scope.symbols.get(name)
    if name in reader.bound or spec is None or spec.is_vector or spec.is_complex or spec.is_integer:
        raise reader._error(
            var_node,
            f"the variable of an integral without bounds is a declared real symbol (declare '{name}: real', "
            f"or '{name}: real, support a..b' for the integral over a..b)",
        )
    if spec.support is not None:
        var = sympy.Dummy(name, real=True)
        lo, hi = _range_of(reader, node, name, [], "")
        return sympy.Integral(reader._with_bound(name, var, node.args[0]), (var, lo, hi))
    return sympy.Integral(reader._expr(node.args[0]), spec.obj)


def indefinite_variables(expr: sympy.Expr) -> set[sympy.Symbol]:
    """The variables of the indefinite integrals (``Integral(f, x)``) in ``expr``."""
    return {
        integral.limits[0][0]
        for integral in expr.atoms(sympy.Integral)
        if any(len(limits) == 1 for limits in integral.limits)
    }


# -- expectations under a density ----------------------------------------------------------------


def is_law(reader: Reader, node: ast.expr) -> bool:
    """Whether ``node`` names one of the built-in distributions (``Normal(mu, sigma)``), not a declared function."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and distribution(node.func.id) is not None
        and node.func.id not in reader.scope.functions
    )


def density_expectation(reader: Reader, node: ast.Call, name: str) -> sympy.Expr:
    """``Expectation(f, (x, p))``, ``(x, q(x, z))``, ``(x, p, a, b)``: the integral of the density times f."""
    spec = node.args[1]
    if not (isinstance(spec, ast.Tuple) and len(spec.elts) in (2, 4) and isinstance(spec.elts[0], ast.Name)):
        known = ", ".join(d.spelling for d in DISTRIBUTIONS)
        raise reader._error(
            node, f"{name} takes (f, (x, D)) with D one of {known}, or a declared density: (f, (x, p)) or "
            "(f, (x, p, a, b))",
        )
    var_node, law_node = spec.elts[0], spec.elts[1]
    if var_node.id.startswith("__") or var_node.id == INFINITY:
        raise reader._error(var_node, f"the variable of {name} must be a name")
    if isinstance(law_node, ast.Call) and not (
        isinstance(law_node.func, ast.Name) and law_node.func.id in reader.scope.functions
    ):
        known = ", ".join(d.spelling for d in DISTRIBUTIONS)
        raise reader._error(law_node, f"unknown distribution; write one of {known}, or a declared density")
    var = sympy.Dummy(var_node.id, real=True)
    lo, hi = _range_of(reader, node, var_node.id, spec.elts[2:], f"{name}(f, ({var_node.id}, p, a, b))")
    weight = _density(reader, spec.elts[1], var_node.id, var)
    term = reader._with_bound(var_node.id, var, node.args[0])

    def mean(of: sympy.Expr) -> sympy.Expr:
        return sympy.Integral(weight * of, (var, lo, hi))

    if name == "Expectation":
        return mean(term)
    return mean(term**2) - mean(term) ** 2


def _density(reader: Reader, node: ast.expr, var_name: str, var: sympy.Dummy) -> sympy.Expr:
    """A density in ``var``: a declared function of one parameter named bare (``p``), or an expression in it."""
    if isinstance(node, ast.Name) and node.id in reader.scope.functions and node.id not in reader.bound:
        params = reader.scope.functions[node.id].params
        if len(params) != 1:
            raise reader._error(
                node,
                f"the density '{node.id}' takes {len(params)} arguments; write it called, with the variable "
                f"first, e.g. {node.id}({', '.join([var_name, *params[1:]])})",
            )
        call = ast.Call(func=ast.Name(node.id, ast.Load()), args=[ast.Name(var_name, ast.Load())], keywords=[])
        ast.copy_location(call, node)
        ast.copy_location(call.func, node)
        ast.copy_location(call.args[0], node)
        return reader._with_bound(var_name, var, call)
    value = reader._with_bound(var_name, var, node)
    if not value.has(var):
        raise reader._error(
            node, f"a density is a declared function (p) or an expression in the variable '{var_name}'"
        )
    return value


def _range_of(
    reader: Reader, node: ast.Call, var_name: str, written: list[ast.expr], form: str
) -> tuple[sympy.Expr, sympy.Expr]:
    """The range of integration: as written (a, b), else the declared support of the variable's name."""
    if written:
        return reader._limit_point(written[0]), reader._limit_point(written[1])
    spec = reader.scope.symbols.get(var_name)
    if spec is None or spec.support is None:
        raise reader._error(
            node,
            f"the range of '{var_name}' is not known: declare it ('{var_name}: real, support -oo..oo', or "
            f"'support 0..1') or write it: {form}",
        )
    lo_text, hi_text = spec.support
    return _support_point(reader, node, lo_text), _support_point(reader, node, hi_text)


def _support_point(reader: Reader, node: ast.Call, text: str) -> sympy.Expr:
    """A bound of a declared support (``-oo``, ``0``, ``2.5``, ``a``) as a SymPy expression."""
    negative = text.startswith("-")
    body = text.lstrip("-")
    if body == INFINITY:
        value: sympy.Expr = sympy.oo
    elif body[0].isdigit():
        value = sympy.Rational(body)
    else:
        spec = reader.scope.symbols.get(body)
        if spec is None or spec.is_vector:
            raise reader._error(node, f"the support bound '{body}' is not a declared symbol")
        value = spec.obj
    return -value if negative else value


# -- divergences ---------------------------------------------------------------------------------


def read_divergence(reader: Reader, node: ast.Call) -> sympy.Expr:
    """``KL(P, Q)``: the Kullback-Leibler divergence of P from Q, as the integral or sum it stands for."""
    if len(node.args) not in (2, 3) or (len(node.args) == 3 and not _is_range(node.args[2])):
        raise reader._error(node, f"KL is written {KL_FORMS}")
    first, second = node.args[0], node.args[1]
    laws = [is_law(reader, a) for a in (first, second)]
    if all(laws) and len(node.args) == 2:
        assert isinstance(first, ast.Call) and isinstance(second, ast.Call)
        return _kl_of_laws(reader, node, first, second)
    if any(laws):
        raise reader._error(
            node, "KL compares two distributions (Normal, …) or two densities, not one of each: " + KL_FORMS
        )
    if len(node.args) == 3:
        limits = node.args[2]
        assert isinstance(limits, ast.Tuple)
        var_node = limits.elts[0]
        if not isinstance(var_node, ast.Name) or var_node.id.startswith("__") or var_node.id == INFINITY:
            raise reader._error(var_node, "the variable of KL's range must be a name, e.g. KL(p, q, (x, 0, oo))")
        var_name = var_node.id
    else:
        var_name = _density_variable(reader, node, first)
    var = sympy.Dummy(var_name, real=True)
    limits = node.args[-1]
    written = list(limits.elts[1:]) if isinstance(limits, ast.Tuple) else []
    lo, hi = _range_of(reader, node, var_name, written, f"KL(p, q, ({var_name}, a, b))")
    p = _density(reader, first, var_name, var)
    q = _density(reader, second, var_name, var)
    return sympy.Integral(p * (_log(p) - _log(q)), (var, lo, hi))


def _log(density: sympy.Expr) -> sympy.Expr:
    """``log(density)``, split into logs of its factors where SymPy knows they are positive (never forced)."""
    return sympy.expand_log(sympy.log(density), force=False)


def _density_variable(reader: Reader, node: ast.Call, first: ast.expr) -> str:
    """The variable of ``KL(p, q)``: the parameter of the declared ``p``, or the first argument of ``p(z, x)``."""
    if isinstance(first, ast.Name) and first.id in reader.scope.functions:
        return str(reader.scope.functions[first.id].params[0])
    if (
        isinstance(first, ast.Call)
        and isinstance(first.func, ast.Name)
        and first.func.id in reader.scope.functions
        and first.args
        and isinstance(first.args[0], ast.Name)
    ):
        return first.args[0].id
    raise reader._error(node, f"the variable of KL is not clear; write its range: {KL_FORMS}")


def _kl_of_laws(reader: Reader, node: ast.Call, first: ast.Call, second: ast.Call) -> sympy.Expr:
    """KL of two built-in distributions: the expectation under the first of the log ratio of the densities."""
    assert isinstance(first.func, ast.Name) and isinstance(second.func, ast.Name)
    p_law, q_law = distribution(first.func.id), distribution(second.func.id)
    assert p_law is not None and q_law is not None
    p_params, q_params = _law_params(reader, first), _law_params(reader, second)
    if p_law.discrete or q_law.discrete:
        if p_law.name != q_law.name:
            raise reader._error(node, "KL of discrete distributions is read for two of the same kind")
        if p_law.name == "Categorical" and p_params[1] != q_params[1]:
            raise reader._error(node, "KL of two Categorical distributions needs the same number of values C")
        var = sympy.Dummy("k", integer=True)
        ratio = log_density(p_law.name, var, p_params) - log_density(q_law.name, var, q_params)
        if p_law.name == "Bernoulli":
            return bernoulli_sum(ratio, var, p_params[0])
        probabilities = p_params[0]
        assert isinstance(probabilities, sympy.IndexedBase)
        return categorical_sum(ratio, var, probabilities, p_params[1])
    if not covers(q_law.name, p_law.name):
        raise reader._error(
            node,
            f"KL({p_law.name}, {q_law.name}) is read only where the second density is positive wherever the "
            "first is: the second a Normal or Laplace (or both Exponential); write the integral otherwise",
        )
    var = sympy.Dummy("x", real=True)
    ratio = log_density(p_law.name, var, p_params) - log_density(q_law.name, var, q_params)
    return integral_over(ratio, var, p_law.name, p_params)


def covers(q_name: str, p_name: str) -> bool:
    """Whether the support of distribution ``q_name`` contains that of ``p_name`` for all parameters."""
    return whole_line(q_name) or (q_name == p_name == "Exponential")


def _law_params(reader: Reader, node: ast.Call) -> tuple[sympy.Expr, ...]:
    """The parameters of a distribution call, checked as an expectation's are."""
    assert isinstance(node.func, ast.Name)
    law = distribution(node.func.id)
    assert law is not None
    if len(node.args) != len(law.params):
        raise reader._error(node, f"{law.spelling} takes {len(law.params)} parameters, given {len(node.args)}")
    if law.name == "Categorical":
        vector = node.args[0]
        spec = reader.scope.symbols.get(vector.id) if isinstance(vector, ast.Name) else None
        if spec is None or not spec.is_vector:
            raise reader._error(node, "Categorical(p, C) takes a declared vector p of probabilities p[1..C]")
        params: tuple[sympy.Expr, ...] = (spec.obj, reader._expr(node.args[1]))
    else:
        params = tuple(reader._expr(arg) for arg in node.args)
    take_in_range(reader, node, law, params)
    return params


def take_in_range(reader: Reader, node: ast.AST, law: Distribution, params: tuple[sympy.Expr, ...]) -> None:
    """A law's rate or scale: an error when it cannot be positive, else taken positive in the chain that reads it."""
    for index in law.positive:
        if params[index].is_positive is False:
            raise reader._error(node, f"{law.spelling}: {law.params[index]} must be positive")
        reader.scope.need_positive(params[index], law.spelling, reader.text.line)
