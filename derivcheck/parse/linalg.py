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
from derivcheck.builtins import BUILTINS
from derivcheck.parse.symbols import SymbolSpec

Value: TypeAlias = "sympy.Expr | MatrixExpr"
"""What an expression node builds: a scalar or a matrix expression."""

FUNCTIONS = {b.name: b.meaning for b in BUILTINS if b.matrix}
"""The linear-algebra functions, each with its meaning (a document's own name takes precedence)."""


def literal(rows: list[list[sympy.Expr]]) -> MatrixExpr:
    """A matrix of its rows of numbers (a column ``[[a], [b]]`` is a vector)."""
    return sympy.ImmutableMatrix(rows)


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

    def elementwise(self, args: Sequence[Value], apply: Callable[..., sympy.Expr]) -> Value:
        """A function applied element by element (``sigma(z)``, ``exp(z)``): numbers among the arguments
        are shared by every element, the vectors and matrices must have one shape."""
        shaped = [value for value in args if is_matrix(value)]
        for value in shaped[1:]:
            if value.shape != shaped[0].shape:
                raise ShapeError(f"an elementwise function of {describe(shaped[0])} and {describe(value)}")
        rows, cols = shaped[0].shape
        r, c = self._index(), self._index()
        elements = [self.element(value, r, c) if is_matrix(value) else value for value in args]
        return sympy.FunctionMatrix(rows, cols, sympy.Lambda((r, c), apply(*elements)))

    def grad(self, target: Value, vector: Value, derivative: Callable[..., sympy.Expr]) -> MatrixExpr:
        """``grad(f, w)``: element i is ``derivative(f, w[i])``; ``f`` a number, ``w`` a declared vector."""
        column = self._variable(target, vector, "grad")
        r, c = self._index(), self._index()
        size = column.shape[0]
        element = collapse_deltas(derivative(target, self.element(column, r, sympy.Integer(1))), r, size)
        return sympy.FunctionMatrix(column.shape[0], 1, sympy.Lambda((r, c), element))

    def hessian(self, target: Value, vector: Value, derivative: Callable[..., sympy.Expr]) -> MatrixExpr:
        """``hessian(f, w)``: element (i, j) is ``derivative(f, w[i], w[j])``."""
        column = self._variable(target, vector, "hessian")
        r, c = self._index(), self._index()
        one, size = sympy.Integer(1), column.shape[0]
        first = collapse_deltas(derivative(target, self.element(column, r, one)), r, size)
        element = collapse_deltas(derivative(first, self.element(column, c, one)), c, size)
        return sympy.FunctionMatrix(size, size, sympy.Lambda((r, c), element))

    def diag(self, value: Value) -> MatrixExpr:
        """``diag(v)``: the square matrix with the elements of a vector on its diagonal, 0 elsewhere."""
        column = self._as_column(value, "diag")
        r, c = self._index(), self._index()
        element = sympy.KroneckerDelta(r, c) * self.element(column, r, sympy.Integer(1))
        return sympy.FunctionMatrix(column.shape[0], column.shape[0], sympy.Lambda((r, c), element))

    def row(self, value: Value, index: sympy.Expr) -> MatrixExpr:
        """``X[p]`` of a matrix: its row p, as a vector (a column) of its number of columns."""
        assert is_matrix(value)
        r, c = self._index(), self._index()
        return sympy.FunctionMatrix(value.shape[1], 1, sympy.Lambda((r, c), self.element(value, index, r)))

    def summed(self, term: Value, var: sympy.Dummy, lo: sympy.Expr, hi: sympy.Expr) -> MatrixExpr:
        """``Sum(v, (p, lo, hi))`` of a vector or matrix term: the sum element by element."""
        assert is_matrix(term)
        r, c = self._index(), self._index()
        rows, cols = _dim(term.shape[0]), _dim(term.shape[1])
        if var in rows.free_symbols | cols.free_symbols:
            raise ShapeError(f"the shape of a summed term may not depend on the summation variable ({var})")
        element = sympy.Sum(self.element(term, r, c), (var, lo, hi))
        return sympy.FunctionMatrix(rows, cols, sympy.Lambda((r, c), element))

    def _variable(self, target: Value, vector: Value, what: str) -> MatrixExpr:
        if is_matrix(target):
            raise ShapeError(f"{what} differentiates a number, given {describe(target)}")
        if not isinstance(vector, sympy.MatrixSymbol) or vector.shape[1] != 1:
            raise ShapeError(f"{what} differentiates in a declared vector with a size, given {describe(vector)}")
        return vector

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

    def subscripted(self, value: MatrixExpr, i: sympy.Expr, j: sympy.Expr) -> sympy.Expr:
        """``value[i, j]`` as written: a whole-number index must lie in 1..size (else a ShapeError)."""
        for index, size in ((i, _dim(value.shape[0])), (j, _dim(value.shape[1]))):
            if index.is_Integer and (index < 1 or (size.is_Integer and index > size)):
                raise ShapeError(f"index {index} is outside 1..{size} of {describe(value)}")
        return self.element(value, i, j)

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
        if isinstance(value, sympy.ImmutableMatrix):
            return _explicit_element(value, i, j)
        if isinstance(value, sympy.FunctionMatrix):
            return value.lamda(i, j)
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


def _explicit_element(value: sympy.ImmutableMatrix, i: sympy.Expr, j: sympy.Expr) -> sympy.Expr:
    """The element (i, j) of a matrix of entries: the entry itself at whole numbers, else the entries
    picked by Kronecker deltas (``M[1, 1]*KroneckerDelta(i, 1) + …``)."""
    rows, cols = value.shape
    if i.is_Integer and j.is_Integer:
        return value[int(i) - 1, int(j) - 1]
    terms = []
    for r in range(rows):
        for c in range(cols):
            pick_row = sympy.KroneckerDelta(i, r + 1) if rows > 1 or not i.is_Integer else sympy.Integer(1)
            pick_col = sympy.KroneckerDelta(j, c + 1) if cols > 1 or not j.is_Integer else sympy.Integer(1)
            terms.append(value[r, c] * pick_row * pick_col)
    return sympy.Add(*terms)


def collapse_deltas(expr: sympy.Expr, index: sympy.Expr, size: sympy.Expr) -> sympy.Expr:
    """``expr`` with every ``Sum(KroneckerDelta(k, index)*f(k), (k, 1, size))`` written ``f(index)``.

    Sound for an ``index`` in ``1..size``: the derivative of ``Sum(w[k]*a[k], (k, 1, n))`` in ``w[i]``
    is ``a[i]`` for every element i of a vector of size n, which is where gradients are taken.
    """

    def collapsible(node: sympy.Basic) -> bool:
        if not isinstance(node, sympy.Sum) or len(node.limits) != 1:
            return False
        var, lo, hi = node.limits[0]
        return lo == 1 and hi == size and node.function.has(sympy.KroneckerDelta(var, index))

    def collapse(node: sympy.Sum) -> sympy.Expr:
        var = node.limits[0][0]
        delta = sympy.KroneckerDelta(var, index)
        parts = []
        for term in sympy.Add.make_args(node.function):
            if delta in sympy.Mul.make_args(term):
                parts.append((term / delta).xreplace({var: index}))
            else:
                parts.append(sympy.Sum(term, node.limits[0]))
        return sympy.Add(*parts)

    return expr.replace(collapsible, collapse)


def _dim(size: sympy.Expr | int) -> sympy.Expr:
    """A size as a SymPy number or expression (a matrix of entries gives Python ints)."""
    return sympy.Integer(size) if isinstance(size, int) else size
