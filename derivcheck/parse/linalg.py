"""Vectors and matrices with declared sizes: SymPy matrix expressions and their index form.

A name declared ``w: vector n`` reads as ``MatrixSymbol('w', n, 1)`` (a column)
and ``X: matrix n d`` as ``MatrixSymbol('X', n, d)``. Products, sums,
transposes, traces and identities are built as SymPy matrix expressions with
their shapes checked here, so that a mismatch is a FormatError naming both
shapes. A matrix expression is never handed to the checker: as soon as one is
1×1 (``transpose(x) @ A @ x``, ``dot(u, v)``, ``trace(X)``, ``norm(v)``) it is
written in index form, its elements as sums over bound index variables
(``Sum(x[i]*Sum(A[i, j]*x[j], (j, 1, n)), (i, 1, n))``), built on the same
``IndexedBase`` as the elements ``w[i]`` and ``X[i, j]`` a document writes.
The ladder and the index calculus of sums then decide the step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

import sympy
from sympy.matrices.expressions import MatrixExpr

from derivcheck.bounds import MAX_MATRIX_POWER
from derivcheck.parse.symbols import SymbolSpec

Value: TypeAlias = "sympy.Expr | MatrixExpr"
"""What an expression node builds: a scalar or a matrix expression."""

FUNCTIONS = {
    "transpose": "transpose(A): the transpose (A.T is attribute access, which is not read)",
    "dot": "dot(u, v): the inner product of two vectors of one size",
    "norm": "norm(v): the Euclidean norm of a vector, sqrt(dot(v, v))",
    "trace": "trace(A): the sum of the diagonal of a square matrix",
    "eye": "eye(n): the n×n identity matrix",
}
"""The linear-algebra functions, each with its one-line meaning (a document's own name takes precedence)."""


class ShapeError(ValueError):
    """An operation on values whose shapes do not fit; the message names both shapes."""


def is_matrix(value: object) -> bool:
    """Whether ``value`` is a matrix expression (not a scalar)."""
    return isinstance(value, MatrixExpr)


def matrix_symbol(spec: SymbolSpec, size: Callable[[str], sympy.Expr]) -> MatrixExpr:
    """The MatrixSymbol of a declared vector (a column) or matrix; ShapeError on a size that is no integer."""
    assert spec.shape is not None
    dims = [size(text) for text in spec.shape]
    for text, dim in zip(spec.shape, dims):
        if dim.is_integer is not True or dim.is_positive is not True:
            raise ShapeError(f"size '{text}' of '{spec.name}' must be declared a positive integer")
    rows, cols = (dims[0], sympy.Integer(1)) if len(dims) == 1 else (dims[0], dims[1])
    return sympy.MatrixSymbol(spec.name, rows, cols)


def describe(value: Value) -> str:
    """A shape in words: ``a vector of size n``, ``a row of size n``, ``an n×d matrix``, ``a number``."""
    if not is_matrix(value):
        return "a number"
    rows, cols = value.shape
    if cols == 1:
        return f"a vector of size {rows}"
    if rows == 1:
        return f"a row vector (transposed) of size {cols}"
    return f"a matrix of shape {rows}×{cols}"


@dataclass(frozen=True)
class MatrixAlgebra:
    """Operations on scalars and matrix expressions; ``family`` gives the declared element family of a name."""

    family: Callable[[str], sympy.IndexedBase]
    _count: list[int] = field(default_factory=lambda: [0])  # bound index variables made so far

    def _index(self) -> sympy.Dummy:
        """A fresh bound index variable, named apart from the others (k1, k2, …) so that evidence reads."""
        self._count[0] += 1
        return sympy.Dummy(f"k{self._count[0]}", integer=True)

    def add(self, terms: Sequence[tuple[int, Value]]) -> Value:
        """``±t1 ± t2 …`` (sign, value); matrices only with matrices of the same shape."""
        first = terms[0][1]
        for _, value in terms[1:]:
            if is_matrix(first) != is_matrix(value) or (is_matrix(first) and first.shape != value.shape):
                raise ShapeError(f"cannot add {describe(first)} and {describe(value)}")
        if not is_matrix(first):
            return sympy.Add(*[sign * value for sign, value in terms])
        return self._scalar_if_1x1(sympy.MatAdd(*[value if sign > 0 else -value for sign, value in terms]).doit())

    def multiply(self, factors: Sequence[tuple[bool, Value]], matrix_products: bool = False) -> Value:
        """``f1 * f2 / f3 …`` (divides, value): numbers times at most one matrix, never divided by one.

        With ``matrix_products`` (LaTeX, where juxtaposition is the matrix product) the matrices
        are multiplied in their order, as by ``@``.
        """
        matrices = [value for _, value in factors if is_matrix(value)]
        if any(divides and is_matrix(value) for divides, value in factors):
            raise ShapeError("cannot divide by a vector or matrix")
        if matrix_products and len(matrices) > 1:
            product = matrices[0]
            for right in matrices[1:]:  # a 1×1 product on the way (w^T v u) is a number times the rest
                product = self.matmul(product, right) if is_matrix(product) else self.multiply(
                    [(False, product), (False, right)]
                )
            scalars = [(divides, value) for divides, value in factors if not is_matrix(value)]
            return self.multiply([*scalars, (False, product)])
        if len(matrices) > 1:
            raise ShapeError(
                f"'*' between {describe(matrices[0])} and {describe(matrices[1])}: write '@' for a matrix "
                "product, dot(u, v) for an inner product (elementwise products are not read)"
            )
        scalar = sympy.Mul(*[sympy.Pow(value, -1) if divides else value for divides, value in factors
                             if not is_matrix(value)])
        if not matrices:
            return scalar
        return sympy.MatMul(scalar, matrices[0]).doit()

    def matmul(self, left: Value, right: Value) -> Value:
        """``left @ right``: inner sizes must agree; a 1×1 result is a number in index form."""
        if not is_matrix(left) or not is_matrix(right):
            raise ShapeError(f"'@' needs two vectors or matrices, given {describe(left)} and {describe(right)}")
        if left.shape[1] != right.shape[0]:
            raise ShapeError(
                f"cannot multiply {describe(left)} by {describe(right)}: {left.shape[1]} columns against "
                f"{right.shape[0]} rows"
            )
        return self._scalar_if_1x1(sympy.MatMul(left, right).doit())

    def transpose(self, value: Value) -> Value:
        """The transpose; a number is its own transpose."""
        return sympy.Transpose(value).doit() if is_matrix(value) else value

    def dot(self, left: Value, right: Value) -> Value:
        """The inner product of two vectors (columns or rows) of one size."""
        u, v = self._as_column(left, "dot"), self._as_column(right, "dot")
        if u.shape != v.shape:
            raise ShapeError(f"dot of {describe(left)} and {describe(right)}: sizes differ")
        return self.matmul(sympy.Transpose(u), v)

    def norm(self, value: Value) -> Value:
        """The Euclidean norm of a vector."""
        column = self._as_column(value, "norm")
        return sympy.sqrt(self.dot(column, column))

    def trace(self, value: Value) -> Value:
        """The trace of a square matrix."""
        if not is_matrix(value) or value.shape[0] != value.shape[1]:
            raise ShapeError(f"trace needs a square matrix, given {describe(value)}")
        k = self._index()
        return self._summed(self.element(value, k, k), k, value.shape[0])

    def eye(self, size: sympy.Expr) -> MatrixExpr:
        """The identity of a size (a positive integer)."""
        if size.is_integer is not True or size.is_positive is not True:
            raise ShapeError(f"eye needs a positive integer size, given {size}")
        return sympy.Identity(size)

    def _as_column(self, value: Value, what: str) -> MatrixExpr:
        if is_matrix(value) and value.shape[1] == 1:
            return value
        if is_matrix(value) and value.shape[0] == 1:
            return sympy.Transpose(value).doit()
        raise ShapeError(f"{what} needs a vector, given {describe(value)}")

    def _scalar_if_1x1(self, value: MatrixExpr) -> Value:
        if value.shape == (1, 1):
            return self.element(value, sympy.Integer(1), sympy.Integer(1))
        return value

    def _summed(self, term: sympy.Expr, var: sympy.Dummy, size: sympy.Expr) -> sympy.Expr:
        return sympy.Sum(term, (var, 1, size))

    def element(self, value: MatrixExpr, i: sympy.Expr, j: sympy.Expr) -> sympy.Expr:
        """The element (i, j) of ``value`` (1-based) in index form: sums over bound index variables."""
        if isinstance(value, sympy.MatrixSymbol):
            base = self.family(value.name)
            return base[i] if value.shape[1] == 1 else base[i, j]
        if isinstance(value, sympy.Transpose):
            return self.element(value.arg, j, i)
        if isinstance(value, sympy.MatAdd):
            return sympy.Add(*[self.element(arg, i, j) for arg in value.args])
        if isinstance(value, sympy.MatMul):
            coeff, matrices = value.as_coeff_matrices()
            return coeff * self._product_element(list(matrices), i, j)
        if isinstance(value, sympy.MatPow) and value.exp.is_Integer and 1 <= value.exp <= MAX_MATRIX_POWER:
            return self._product_element([value.base] * int(value.exp), i, j)  # A @ A is A**2 once SymPy has it
        if isinstance(value, sympy.Identity):
            return sympy.KroneckerDelta(i, j)
        if isinstance(value, sympy.ZeroMatrix):
            return sympy.Integer(0)
        raise ShapeError(f"cannot write {value} element by element")

    def _product_element(self, matrices: list[MatrixExpr], i: sympy.Expr, j: sympy.Expr) -> sympy.Expr:
        indices = [i]
        sums: list[tuple[sympy.Dummy, sympy.Expr]] = []
        for left in matrices[:-1]:
            inner = left.shape[1]
            if inner == 1:
                indices.append(sympy.Integer(1))
                continue
            var = self._index()
            indices.append(var)
            sums.append((var, inner))
        indices.append(j)
        term: sympy.Expr = sympy.Mul(*[self.element(m, indices[t], indices[t + 1]) for t, m in enumerate(matrices)])
        for var, size in reversed(sums):
            term = self._summed(term, var, size)
        return term
