"""Vectors and matrices with sizes (parse/linalg.py): read as matrix expressions, checked in index form."""

from pathlib import Path

import pytest
import sympy

from derivcheck.api import verify_paths
from derivcheck.errors import FormatError
from derivcheck.model import SymbolDecl
from derivcheck.parse.symbols import read_symbol
from tests.helpers import FAST, derivation, verify_text

MAT = {"x, w": "vector n", "u": "vector d", "A": "matrix n n", "B": "matrix n d", "t": "real", "i": "index 1..n"}

TRUE = [
    # the quadratic form in index form
    ("transpose(x) @ A @ x", "Sum(Sum(x[i]*A[i, j]*x[j], (j, 1, n)), (i, 1, n))"),
    # ||w||^2 = w^T w = sum of squares
    ("norm(w)**2", "transpose(w) @ w"),
    ("dot(w, w)", "Sum(w[k]**2, (k, 1, n))"),
    # linearity of the inner product, scalars pulled out
    ("dot(t*x + w, x)", "t*dot(x, x) + dot(w, x)"),
    ("dot(x - w, x - w)", "dot(x, x) - 2*dot(x, w) + dot(w, w)"),
    # identity and trace
    ("transpose(x) @ eye(n) @ x", "dot(x, x)"),
    ("trace(A + eye(n))", "trace(A) + n"),
    ("trace(2*A - A)", "trace(A)"),
    # elements of matrix-vector products, distributivity
    ("(A @ (x + w))[i]", "(A @ x)[i] + (A @ w)[i]"),
    ("(A @ x)[i]", "Sum(A[i, k]*x[k], (k, 1, n))"),
    ("transpose(transpose(B))[2, 1]", "B[2, 1]"),
    # a derivative of a quadratic form in one element (the Kronecker delta collapses)
    ("diff(dot(x, x), x[i])", "2*x[i]"),
]

WRONG = [
    # one slip each
    ("transpose(x) @ A @ x", "Sum(Sum(x[i]*A[i, j]*x[i], (j, 1, n)), (i, 1, n))"),
    ("norm(w)**2", "Sum(w[k], (k, 1, n))**2"),
    ("dot(x - w, x - w)", "dot(x, x) - dot(x, w) + dot(w, w)"),
    ("trace(A + eye(n))", "trace(A) + 1"),
    ("(A @ x)[i]", "Sum(A[k, i]*x[k], (k, 1, n))"),
    ("diff(dot(x, x), x[i])", "x[i]"),
]


def _result(previous: str, step: str, symbols: dict[str, str] = MAT):
    report = verify_text(derivation([previous, step], symbols))
    (result,) = [r for r in report.results if r.kind in ("step", "error")]
    return result


@pytest.mark.parametrize("previous, step", TRUE)
def test_true_matrix_steps_are_proved(previous: str, step: str) -> None:
    result = _result(previous, step)
    assert result.kind == "step", result.message
    assert result.verdict.value in ("proved", "proved for sizes"), (result.verdict, result.outcome.method)


@pytest.mark.parametrize(
    "previous, step",
    [
        ("transpose(x) @ A @ x", "Sum(Sum(x[i]*A[i, j]*x[j], (j, 1, n)), (i, 1, n))"),
        ("norm(w)**2", "transpose(w) @ w"),
        ("dot(t*x + w, x)", "t*dot(x, x) + dot(w, x)"),
        ("trace(A + eye(n))", "trace(A) + n"),
        ("diff(dot(x, x), x[i])", "2*x[i]"),
    ],
)
def test_quadratic_forms_norms_and_traces_have_a_general_proof(previous: str, step: str) -> None:
    result = _result(previous, step)
    assert result.verdict.value == "proved", result.outcome.method
    assert result.outcome.method.startswith("sums for every size")


def test_transposed_bilinear_form_is_proved_at_least_for_sizes() -> None:
    # w^T A^T x = x^T A w: the swap of a double sum; proved for sizes with the bound, not claimed in general
    result = _result("transpose(w) @ transpose(A) @ x", "transpose(x) @ A @ w")
    assert result.verdict.value in ("proved", "proved for sizes")


@pytest.mark.parametrize("previous, step", WRONG)
def test_one_slip_matrix_steps_are_wrong_with_element_values(previous: str, step: str) -> None:
    result = _result(previous, step)
    assert result.verdict.value == "wrong", (result.verdict, result.outcome.method)
    counterexample = result.outcome.counterexample
    assert counterexample and any("[" in name for name in counterexample), counterexample


def test_numeric_sizes_are_written_out() -> None:
    symbols = {"w": "vector 3", "A": "matrix 3 3"}
    assert _result("trace(A)", "A[1, 1] + A[2, 2] + A[3, 3]", symbols).verdict.value == "proved"
    assert _result("norm(w)**2", "w[1]**2 + w[2]**2 + w[3]**2", symbols).verdict.value == "proved"
    assert _result("trace(A)", "A[1, 1] + A[2, 2]", symbols).verdict.value == "wrong"


@pytest.mark.parametrize(
    "expr, message",
    [
        ("x + A", "cannot add a vector of size n and a matrix of shape n×n"),
        ("dot(B @ u, x) + x[1]", None),  # fits: no error
        ("dot(B @ x, x)", "cannot multiply a matrix of shape n×d by a vector of size n"),
        ("dot(x, u)", "dot of a vector of size n and a vector of size d: sizes differ"),
        ("x + 1", "cannot add a vector of size n and a number"),
        ("trace(B)", "trace needs a square matrix, given a matrix of shape n×d"),
        ("x * w", "write '@' for a matrix product"),
        ("1/x", "cannot divide by a vector or matrix"),
        ("x**2", "powers of vectors and matrices are not read"),
        ("Product(x, (k, 1, n))", "a vector or matrix is used where a number is needed"),
        ("(A @ x)[1, 2]", "takes 1 whole-number or index subscript"),
        ("dot(t, x)", "dot needs a vector, given a number"),
    ],
)
def test_shape_errors_name_both_shapes(expr: str, message: str | None) -> None:
    report = verify_text(derivation([expr, expr], MAT))
    errors = [r.message for r in report.results if r.kind == "error"]
    if message is None:
        assert not errors
    else:
        assert errors and message in errors[0], errors


@pytest.mark.parametrize(
    "words, shape, vector",
    [
        ("real vector", None, True),
        ("vector", None, True),
        ("vector n", ("n",), True),
        ("real vector 3", ("3",), True),
        ("vector n real", ("n",), True),
        ("matrix n d", ("n", "d"), True),
        ("real matrix 2 3", ("2", "3"), True),
    ],
)
def test_declarations_with_sizes(words: str, shape: tuple[str, ...] | None, vector: bool) -> None:
    spec = read_symbol(SymbolDecl("w", words, 1))
    assert spec.shape == shape
    assert spec.is_vector is vector
    assert isinstance(spec.obj, sympy.IndexedBase)
    assert spec.obj[1].is_real


@pytest.mark.parametrize(
    "words, message",
    [
        ("matrix n", "needs two sizes"),
        ("vector 0", "must be from 1 to"),
        ("matrix n 100000", "must be from 1 to"),
        ("vector n matrix n d", "more than once"),
        ("vector 1.5", "must be a whole number or a name"),
    ],
)
def test_malformed_sizes_are_refused(words: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        read_symbol(SymbolDecl("w", words, 1))


def test_a_size_must_be_an_integer() -> None:
    report = verify_text(derivation(["dot(w, w)", "dot(w, w)"], {"w": "vector s", "s": "real"}))
    errors = [r.message for r in report.results if r.kind == "error"]
    assert errors and "must be declared a positive integer" in errors[0]


def test_a_matrix_gets_no_values_in_at() -> None:
    text = derivation(None, {"A": "matrix 2 2"}, numbers=[{"expr": "trace(A)", "at": {"A": [1, 2]}, "is": 3}])
    errors = [r.message for r in verify_text(text).results if r.kind == "error"]
    assert errors and "is a matrix" in errors[0]


def test_a_sized_vector_takes_as_many_values_as_its_size() -> None:
    text = derivation(None, {"w": "vector 3"}, numbers=[{"expr": "dot(w, w)", "at": {"w": [1, 2]}, "is": 5}])
    errors = [r.message for r in verify_text(text).results if r.kind == "error"]
    assert errors and "is a vector of size 3; 'at' gives 2 values" in errors[0]


def test_a_sized_vector_takes_values_in_at() -> None:
    text = derivation(None, {"w": "vector 3"}, numbers=[{"expr": "norm(w)", "at": {"w": [1, 2, 2]}, "is": 3}])
    results = verify_text(text).results
    assert [r.verdict.value for r in results] == ["proved"]


def test_a_document_function_named_like_a_matrix_function_is_its_own() -> None:
    text = derivation(["dot(t)", "2*t"], {"t": "real"}, functions={"dot(s)": "2*s"})
    assert [r.verdict.value for r in verify_text(text).results] == ["proved"]


# -- LaTeX -------------------------------------------------------------------------------------

LATEX_DECLS = [("w", "vector n"), ("v", "vector n"), ("A", "matrix n n"), ("x", "real"), ("i", "index 1..n")]


def _latex(source: str) -> str:
    from derivcheck.parse.latex import names_from_declarations, read_expression, tokenize

    names = names_from_declarations([SymbolDecl(name, words, 1) for name, words in LATEX_DECLS], [])
    return read_expression(tokenize(source), names).python


@pytest.mark.parametrize(
    "latex, python",
    [
        (r"\|w\|", "norm(w)"),
        (r"\|\mathbf{w}\|_2^2", "norm(w)**2"),
        (r"\lVert w \rVert", "norm(w)"),
        (r"\mathbf{w}^T \mathbf{v}", "transpose(w)*v"),
        (r"\vec{w}^\top A \vec{w}", "transpose(w)*A*w"),
        (r"\boldsymbol{w}^\intercal A w", "transpose(w)*A*w"),
        (r"\mathbf{w}^{\mathsf{T}} \mathbf{v}", "transpose(w)*v"),
        (r"(A w)^T v", "transpose(A*w)*v"),
        (r"w_i", "w[i]"),
        (r"A_{i,i}", "A[i, i]"),
        (r"x^2", "x**2"),
        (r"|x|", "abs(x)"),
    ],
)
def test_latex_spellings_of_vectors_and_matrices(latex: str, python: str) -> None:
    assert _latex(latex) == python


@pytest.mark.parametrize(
    "latex, message",
    [(r"\|w\|_1", r"only the Euclidean norm"), (r"\|w", "is never closed"), (r"\|\|w\|\|", "a norm inside a norm")],
)
def test_latex_norm_errors(latex: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        _latex(latex)


POST = r"""# Ridge

<!-- derivcheck
title: "ridge penalty"
symbols:
  w: vector d
  lambda_: positive
-->
$$
\begin{aligned}
\lambda \|\mathbf{w}\|_2^2 &= \lambda \mathbf{w}^\top \mathbf{w} \\
&= \lambda \sum_{k=1}^{d} w_k^2 \\
&= \lambda \sum_{k=1}^{d} w_k
\end{aligned}
$$
"""


def test_a_latex_derivation_with_vectors_is_checked(tmp_path: Path) -> None:
    post = tmp_path / "post.md"
    post.write_text(POST, encoding="utf-8")
    report = verify_paths([str(post)], FAST)
    assert [(r.kind, r.verdict.value if r.verdict else r.message) for r in report.results] == [
        ("step", "proved"),
        ("step", "proved"),
        ("step", "wrong"),
    ]


def test_side_by_side_products_in_latex_are_matrix_products() -> None:
    from derivcheck.parse.expressions import Scope, parse_expression
    from derivcheck.parse.latex import names_from_declarations, read_expression, tokenize

    decls = [SymbolDecl("w", "vector n", 1), SymbolDecl("v", "vector n", 1), SymbolDecl("n", "positive integer", 1)]
    scope = Scope({d.name: read_symbol(d) for d in decls}, {})
    names = names_from_declarations(decls, [])

    def read(latex: str) -> sympy.Expr:
        return parse_expression(read_expression(tokenize(latex), names).text(1), scope)

    quadratic = read(r"\mathbf{w}^\top \mathbf{v}")
    assert isinstance(quadratic, sympy.Sum)
    # (w^T v) w: the 1×1 product is a number, then times the vector (a vector, so not a step of its own)
    with pytest.raises(FormatError, match="this is a vector of size n, not a number"):
        read(r"\mathbf{w}^\top \mathbf{v} \mathbf{w}")
    with pytest.raises(FormatError, match="cannot multiply"):
        read(r"\mathbf{w} \mathbf{v}")


@pytest.mark.parametrize(
    "expr, latex, mathml",
    [
        ("transpose(x) @ A @ x", r"x^{\top}Ax", "⊤"),
        ("norm(w)**2", r"{\lVert w\rVert}^{2}", "‖"),
        ("dot(u, v)", r"u^{\top}v", "⊤"),
        ("trace(A + eye(n))", r"\operatorname{tr}(A + I_{n})", "tr"),
        ("Matrix([[1, x], [x, 1]])", r"\begin{pmatrix} 1 & x \\ x & 1 \end{pmatrix}", "<mtable><mtr><mtd><mn>1</mn>"),
        ("grad(g, w)", r"\nabla_{w}g", "\u2207"),
        ("hessian(g, w)", r"\nabla_{w}^{2}g", "<msubsup><mi>\u2207</mi>"),
        ("diag(v)", r"\operatorname{diag}(v)", "diag"),
    ],
)
def test_vectors_and_matrices_are_typeset(expr: str, latex: str, mathml: str) -> None:
    from derivcheck.render.expressions import layout_expression
    from derivcheck.render.latex import to_latex
    from derivcheck.render.mathml import to_mathml

    box = layout_expression(expr)
    assert to_latex(box) == latex
    assert mathml in to_mathml(box)


def test_max_of_a_sized_vector_ranges_over_its_elements() -> None:
    symbols = {"w": "vector n", "k": "index 1..n"}
    assert _result("w[k] - max(w)", "w[k] - max(w[j], (j, 1, n))", symbols).verdict.value == "proved"
    report = verify_text(derivation(["max(A)", "max(A)"], {"A": "matrix n n"}))
    assert "of a matrix is not read" in [r.message for r in report.results if r.kind == "error"][0]
