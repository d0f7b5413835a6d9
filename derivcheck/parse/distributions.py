"""Declared distributions: an expectation is the integral (or sum) it stands for.

``Expectation(f, (x, Normal(mu, sigma)))`` is read as the integral of the
normal density times ``f`` over the real line; ``Bernoulli(p)`` and
``Categorical(p, C)`` give finite or indexed sums instead. Everything is
built here from SymPy objects: nothing from the file is evaluated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy

Density = Callable[[sympy.Expr, tuple[sympy.Expr, ...]], sympy.Expr]


@dataclass(frozen=True)
class Distribution:
    """One distribution a document may name: its parameters and what an expectation under it is."""

    name: str
    params: tuple[str, ...]
    meaning: str
    discrete: bool
    positive: tuple[int, ...] = ()  # the parameters that must be positive (a scale or a rate)

    @property
    def spelling(self) -> str:
        """How it is written: ``Normal(mu, sigma)``."""
        return f"{self.name}({', '.join(self.params)})"


DISTRIBUTIONS: tuple[Distribution, ...] = (
    Distribution("Normal", ("mu", "sigma"), "the normal distribution, mean mu, standard deviation sigma > 0", False,
                 (1,)),
    Distribution("Uniform", ("a", "b"), "the uniform distribution on the interval a < x < b", False),
    Distribution("Exponential", ("rate",), "the exponential distribution with density rate*exp(-rate*x), x > 0",
                 False, (0,)),
    Distribution("Laplace", ("mu", "b"), "the Laplace distribution, density exp(-|x - mu|/b)/(2b)", False, (1,)),
    Distribution("Bernoulli", ("p",), "x = 1 with probability p, x = 0 with probability 1 - p", True),
    Distribution("Categorical", ("p", "C"), "x = k with probability p[k] for k = 1..C (p a declared vector)", True),
)
"""Every distribution an expectation can be taken under, in the order docs/format.md lists them."""

DISTRIBUTION_NAMES: frozenset[str] = frozenset(d.name for d in DISTRIBUTIONS)


def distribution(name: str) -> Distribution | None:
    """The distribution called ``name``, or None."""
    return next((d for d in DISTRIBUTIONS if d.name == name), None)


def integral_over(term: sympy.Expr, var: sympy.Symbol, name: str, params: tuple[sympy.Expr, ...]) -> sympy.Expr:
    """The expectation of ``term`` (a function of ``var``) under a continuous distribution, as integrals."""
    oo = sympy.oo
    if name == "Normal":
        mu, sigma = params
        density = sympy.exp(-((var - mu) ** 2) / (2 * sigma**2)) / (sigma * sympy.sqrt(2 * sympy.pi))
        return sympy.Integral(density * term, (var, -oo, oo))
    if name == "Uniform":
        a, b = params
        return sympy.Integral(term / (b - a), (var, a, b))
    if name == "Exponential":
        (rate,) = params
        return sympy.Integral(rate * sympy.exp(-rate * var) * term, (var, 0, oo))
    if name == "Laplace":
        # Split at mu, so that SymPy integrates exponentials rather than |x - mu|.
        mu, b = params
        below = sympy.Integral(sympy.exp((var - mu) / b) / (2 * b) * term, (var, -oo, mu))
        above = sympy.Integral(sympy.exp(-(var - mu) / b) / (2 * b) * term, (var, mu, oo))
        return below + above
    raise ValueError(f"not a continuous distribution: {name}")


def log_density(name: str, var: sympy.Symbol, params: tuple[sympy.Expr, ...]) -> sympy.Expr:
    """The log of the density (or probability) of ``var`` under a distribution, on its support.

    Written out term by term (``-(x - mu)**2/(2*sigma**2) - log(sigma) - log(2*pi)/2``), so that a divergence
    is an expectation of a polynomial SymPy integrates; the scale parameters are taken in their range (> 0).
    """
    if name == "Normal":
        mu, sigma = params
        return -((var - mu) ** 2) / (2 * sigma**2) - sympy.log(sigma) - sympy.log(2 * sympy.pi) / 2
    if name == "Uniform":
        a, b = params
        return -sympy.log(b - a)
    if name == "Exponential":
        (rate,) = params
        return sympy.log(rate) - rate * var
    if name == "Laplace":
        mu, b = params
        return -sympy.log(2 * b) - sympy.Abs(var - mu) / b
    if name == "Bernoulli":
        (p,) = params
        return var * sympy.log(p) + (1 - var) * sympy.log(1 - p)
    if name == "Categorical":
        probabilities, _ = params
        assert isinstance(probabilities, sympy.IndexedBase)
        return sympy.log(probabilities[var])
    raise ValueError(f"not a distribution: {name}")


def whole_line(name: str) -> bool:
    """Whether the distribution's density is positive on the whole real line (Normal, Laplace)."""
    return name in ("Normal", "Laplace")


def bernoulli_sum(term: sympy.Expr, var: sympy.Symbol, p: sympy.Expr) -> sympy.Expr:
    """The expectation of ``term`` when ``var`` is 1 with probability p and 0 otherwise."""
    return (1 - p) * term.xreplace({var: sympy.Integer(0)}) + p * term.xreplace({var: sympy.Integer(1)})


def categorical_sum(
    term: sympy.Expr, var: sympy.Symbol, probabilities: sympy.IndexedBase, count: sympy.Expr
) -> sympy.Expr:
    """The expectation of ``term`` when ``var`` is k with probability ``probabilities[k]``, k = 1..count."""
    return sympy.Sum(probabilities[var] * term, (var, 1, count))
