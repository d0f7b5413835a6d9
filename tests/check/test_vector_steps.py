"""Steps whose value is a vector or matrix: compared at a generic element (parse/elementwise.py)."""

import re

import pytest

from tests.helpers import derivation, verify_text

MAT = {"x, w": "vector n", "u": "vector d", "A": "matrix n n", "B": "matrix n d", "t": "real"}


def _results(steps: list, symbols: dict[str, str] = MAT, **extra: object) -> list:
    report = verify_text(derivation(steps, symbols, **extra))
    return [r for r in report.results if r.kind in ("step", "error")]


def _one(previous: str, step: str, symbols: dict[str, str] = MAT, **extra: object):
    (result,) = _results([previous, step], symbols, **extra)
    assert result.kind == "step", result.message
    return result


@pytest.mark.parametrize(
    "previous, step",
    [
        ("A @ (x + w)", "A @ x + A @ w"),  # a vector of size n
        ("transpose(B) @ A @ x", "transpose(transpose(A) @ B) @ x"),  # a vector of size d
        ("2*(A + transpose(A))", "A + A + transpose(A)*2"),  # an n×n matrix
        ("A @ A @ x", "A @ (A @ x)"),  # SymPy's A**2 read element by element
        ("transpose(x) @ B", "transpose(transpose(B) @ x)"),  # a row
        ("x @ transpose(u)", "transpose(u @ transpose(x))"),  # an outer product, n×d
        ("t*x - w", "-(w - x*t)"),
    ],
)
def test_true_vector_and_matrix_steps_are_proved(previous: str, step: str) -> None:
    result = _one(previous, step)
    assert result.verdict.value in ("proved", "proved for sizes"), (result.verdict, result.outcome.method)


@pytest.mark.parametrize(
    "previous, step, element",
    [
        ("A @ (x + w)", "A @ x + transpose(A) @ w", "i"),
        ("A @ B", "transpose(A) @ B", "i"),
        ("x @ transpose(u)", "u[1]*x @ transpose(u)", "i"),
        ("transpose(x) @ B", "transpose(transpose(B) @ w)", "j"),
    ],
)
def test_wrong_vector_steps_name_the_element_and_its_values(previous: str, step: str, element: str) -> None:
    result = _one(previous, step)
    assert result.verdict.value == "wrong", (result.verdict, result.outcome.method)
    counterexample = result.outcome.counterexample
    assert element in counterexample, counterexample  # the element compared: i = 2, …
    assert any("[" in name for name in counterexample), counterexample
    assert result.expr == step  # reported as written


def test_element_indices_are_named_apart_from_the_document() -> None:
    symbols = {**MAT, "i": "real"}
    result = _one("A @ (x + w)", "A @ x - A @ w", symbols)
    assert result.verdict.value == "wrong"
    assert "i" not in result.outcome.counterexample  # the document's i is not in the step
    assert result.outcome.counterexample["j"] in ("1", "2", "3")


@pytest.mark.parametrize(
    "steps, message",
    [
        (["A @ x", "transpose(B) @ x"], "this step is a vector of size d, but the first step (line"),
        (["A @ x", "dot(x, x)"], "this step is a number, but the first step (line"),
        (["dot(x, x)", "A @ x"], "this step is a vector of size n, but the first step (line"),
        (["A", "x @ transpose(w) + B @ transpose(B)", "B"], "this step is a matrix of shape n×d"),
        (["A @ x", {"expr": "A @ w", "rel": "<="}], "'rel: <=' between vectors or matrices is not read"),
    ],
)
def test_steps_of_different_shapes_are_an_error_naming_them(steps: list, message: str) -> None:
    results = _results(steps)
    errors = [r.message for r in results if r.kind == "error"]
    assert errors and message in errors[0], errors


def test_a_vector_chain_in_a_case_is_compared_element_by_element() -> None:
    cases = [{"when": "t > 0", "steps": ["A @ x", "A @ x + 0*w"]}]
    results = _results(["t*x", "x*t"], cases=cases)
    assert [r.verdict.value for r in results] == ["proved", "proved"]


FUNCS = {"sigma(s)": "1/(1 + exp(-s))", "dsigma(s)": "sigma(s)*(1 - sigma(s))"}
DEFINE = {"q": "dot(w, A @ w)/2"}


def _defined(steps: list, symbols: dict[str, str] = MAT, define: dict[str, str] = DEFINE) -> list:
    import yaml

    doc = {"title": "t", "symbols": symbols, "functions": FUNCS, "define": define, "steps": steps}
    report = verify_text(yaml.safe_dump(doc, sort_keys=False))
    return [r for r in report.results if r.kind in ("step", "error")]


@pytest.mark.parametrize(
    "previous, step",
    [
        ("grad(q, w)", "(A + transpose(A)) @ w / 2"),
        ("hessian(q, w)", "(A + transpose(A))/2"),
        ("grad(dot(w, w), w)", "2*w"),
        ("grad(dot(x, w), w)", "x"),
        ("sigma(2*x)", "sigma(x + x)"),
        ("exp(x + w)", "diag(exp(x)) @ exp(w)"),
        ("diag(x) @ w", "diag(w) @ x"),
        ("log(exp(t*x))", "t*x"),
        ("Matrix([[1, t], [t, 1]]) @ Matrix([w[1], w[2]])", "Matrix([w[1] + t*w[2], t*w[1] + w[2]])"),
    ],
)
def test_gradients_hessians_and_elementwise_functions_are_proved(previous: str, step: str) -> None:
    (result,) = _defined([previous, step])
    assert result.kind == "step", result.message
    assert result.verdict.value in ("proved", "proved for sizes"), (result.verdict, result.outcome.method)


@pytest.mark.parametrize(
    "previous, step",
    [
        ("grad(q, w)", "A @ w"),  # only for a symmetric A
        ("hessian(q, w)", "A"),
        ("grad(dot(w, w), w)", "w"),
        ("sigma(2*x)", "2*sigma(x)"),
        ("diag(x) @ w", "x"),
        ("Matrix([[1, t], [t, 1]]) @ Matrix([w[1], w[2]])", "Matrix([w[1] + t*w[2], w[1] + w[2]])"),
    ],
)
def test_wrong_gradients_and_elementwise_steps_are_refuted(previous: str, step: str) -> None:
    (result,) = _defined([previous, step])
    assert result.verdict.value == "wrong", (result.verdict, result.outcome.method)


@pytest.mark.parametrize(
    "steps, message",
    [
        (["grad(w, w)", "w"], "grad differentiates a number, given a vector of size n"),
        (["grad(q, x[1])", "x"], "grad differentiates in a declared vector with a size"),
        (["sigma(x) + sigma(u)", "x"], "cannot add a vector of size n and a vector of size d"),
        (["exp(x) + 1", "x"], "cannot add a vector of size n and a number"),
        (["Matrix([[1, 2], [3]])", "x"], "the rows of a Matrix must have one length"),
        (["Matrix([[1, 2], 3])", "x"], "rows that are all lists"),
        (["Matrix([[x, 2]])", "x"], "an entry of a Matrix is a number"),
        (["Matrix([1, 2]) + x", "x"], "cannot add a vector of size 2 and a vector of size n"),
        (["Matrix([" + ", ".join(["1"] * 300) + "])", "x"], "at most 256 entries"),
        (["diag(A)", "A"], "diag needs a vector, given a matrix of shape n×n"),
        (["Matrix([1, 2])[3]", "x[1]"], "index 3 is outside 1..2 of a vector of size 2"),
        (["(A @ x)[0]", "x[1]"], "index 0 is outside 1..n of a vector of size n"),
    ],
)
def test_malformed_gradients_literals_and_elementwise_calls_are_errors(steps: list, message: str) -> None:
    errors = [r.message for r in _defined(steps) if r.kind == "error"]
    assert errors and message in errors[0], errors


LOGISTIC = {"w, z": "vector d", "X": "matrix P d", "y": "vector P"}
LOSS = {"L": "Sum(log(1 + exp((X @ w)[p])) - y[p]*(X @ w)[p], (p, 1, P))"}


@pytest.mark.slow
def test_the_logistic_regression_gradient_and_hessian_are_proved_in_general() -> None:
    gradient = _defined(["grad(L, w)", "transpose(X) @ (sigma(X @ w) - y)"], LOGISTIC, LOSS)
    hessian = _defined(["hessian(L, w)", "transpose(X) @ diag(dsigma(X @ w)) @ X"], LOGISTIC, LOSS)
    for (result,) in (gradient, hessian):
        assert result.verdict.value == "proved", (result.verdict, result.outcome.method)
        assert result.outcome.method.startswith("sums for every size")
    (wrong,) = _defined(["hessian(L, w)", "transpose(X) @ diag(sigma(X @ w)) @ X"], LOGISTIC, LOSS)
    assert wrong.verdict.value == "wrong" and "i" in wrong.outcome.counterexample


def _latex(source: str) -> str:
    from derivcheck.model import Definition, FunctionDecl, SymbolDecl, Text
    from derivcheck.parse.latex import names_from_declarations, read_expression, tokenize

    decls = [SymbolDecl(n, w, 1) for n, w in (("w", "vector n"), ("z", "vector n"), ("x_tilde", "vector n"),
                                                ("x_ring", "vector n"), ("A", "matrix n n"), ("a", "real"))]
    functions = [FunctionDecl("sigma", ("t",), Text("1/(1 + exp(-t))", 1), 1)]
    names = names_from_declarations(decls, functions, definitions=[Definition("g", None, Text("dot(w, w)", 1), 1)])
    return read_expression(tokenize(source), names).python


@pytest.mark.parametrize(
    "latex, python",
    [
        (r"\nabla_{\mathbf w} g", "grad(g, w)"),
        (r"\nabla g(\mathbf{w})", "grad(g, w)"),
        (r"\nabla^2 g(\mathbf w)", "hessian(g, w)"),
        (r"\nabla_{\mathbf w}^{2} g", "hessian(g, w)"),
        (r"\frac{\partial g}{\partial \mathbf{w}}", "grad(g, w)"),
        (r"\frac{\partial^2 g}{\partial \mathbf{w}^2}", "hessian(g, w)"),
        (r"\mathbf z^\top \nabla^2 g(\mathbf w) \mathbf z", "transpose(z)*hessian(g, w)*z"),
        (r"\sigma(\mathbf z)", "sigma(z)"),
        (r"\begin{pmatrix} 1 & a \\ a & 1 \end{pmatrix}", "Matrix([[1, a], [a, 1]])"),
        (r"\begin{bmatrix} a \\ 1 \end{bmatrix}", "Matrix([[a], [1]])"),
        (r"\begin{matrix} a & 2a \end{matrix}", "Matrix([[a, 2*a]])"),
        (r"\overset{\sim}{\mathbf x}", "x_tilde"),
        (r"\mathring{\mathbf{x}}", "x_ring"),
        (r"\left\| \mathbf w \right\|_2^2", "norm(w)**2"),
        (r"\left\lVert \mathbf w - \mathbf z \right\rVert", "norm(w - z)"),
        (r"\operatorname{tr}(A)", "trace(A)"),
        (r"\operatorname{diag}(\mathbf w)", "diag(w)"),
        (r"I_n \mathbf w", "eye(n)*w"),
        (r"\mathbf w \mathbf z^\top", "w*transpose(z)"),
        (r"\langle \mathrm w , A \,\mathrm z \rangle", "dot(w, A*z)"),
        (r"\left\langle \mathbf w, \mathbf z \right\rangle", "dot(w, z)"),
        (r"\color{blue}{\mathbf w} + \mathbf z", "w + z"),
        (r"\Large \mathbf{w}^{\text{T}} A", "transpose(w)*A"),
    ],
)
def test_latex_spellings_of_gradients_literals_and_norms(latex: str, python: str) -> None:
    assert _latex(latex) == python


@pytest.mark.parametrize(
    "latex, message",
    [
        (r"\nabla g", "\\nabla needs its variable"),
        (r"\nabla^3_{\mathbf w} g", "other powers of \\nabla are not read"),
        (r"\overset{\star}{\mathbf x}", "is not read; the marks read are"),
        (r"\overset{\sim}{\mathbf w}", "'w_tilde' is not declared"),
        (r"\begin{pmatrix} 1 & \\ a & 1 \end{pmatrix}", "an empty entry is not read"),
        (r"\begin{pmatrix} 1 & a", "is never closed"),
        (r"\left\| \mathbf w \right\|_1", "only the Euclidean norm"),
    ],
)
def test_latex_errors_of_gradients_literals_and_norms(latex: str, message: str) -> None:
    from derivcheck.errors import FormatError

    with pytest.raises(FormatError, match=re.escape(message)):
        _latex(latex)


LOGISTIC_POST = r"""# Logistic regression

<!-- derivcheck
title: "logistic gradient"
symbols:
  w: vector d
  x: matrix P d
  y: vector P
  p: index 1..P
functions:
  sigma(t): 1/(1 + exp(-t))
define:
  g: (1/P)*Sum(log(1 + exp(dot(x[q], w))) - y[q]*dot(x[q], w), (q, 1, P))
-->
$$
\begin{aligned}
\nabla_{\mathbf{w}} g &= \frac{1}{P}\sum_{p=1}^{P} (\sigma(\mathbf{x}_p^T\mathbf{w}) - y_p)\mathbf{x}_p \\
&= \frac{1}{P} \mathbf{x}^T (\sigma(\mathbf{x} \mathbf{w}) - \mathbf{y}) \\
&= \frac{1}{P} \mathbf{x}^T (\sigma(\mathbf{x} \mathbf{w}) + \mathbf{y})
\end{aligned}
$$
"""


def test_the_gradient_of_the_issue_is_read_and_checked(tmp_path) -> None:
    from derivcheck.api import verify_paths
    from tests.helpers import FAST

    post = tmp_path / "post.md"
    post.write_text(LOGISTIC_POST)
    report = verify_paths([str(post)], FAST)
    results = [r for r in report.results if r.kind in ("step", "error")]
    assert [r.verdict.value for r in results] == ["proved", "proved", "wrong"], [r.message for r in results]
    assert results[0].outcome.method.startswith("sums for every size")
    counterexample = results[2].outcome.counterexample
    assert "j" in counterexample or "i" in counterexample, counterexample  # the element compared


def test_a_row_of_a_matrix_and_a_sum_of_vectors() -> None:
    symbols = {"X": "matrix P d", "w": "vector d", "v": "vector P"}
    (result,) = _results(["Sum(v[p]*X[p], (p, 1, P))", "transpose(X) @ v"], symbols)
    assert result.verdict.value == "proved", result.outcome.method
    (wrong,) = _results(["Sum(v[p]*X[p], (p, 1, P))", "transpose(X) @ v + X[1]"], symbols)
    assert wrong.verdict.value == "wrong"


PMATRIX_POST = r"""# A matrix literal

<!-- derivcheck
title: "a rotation by a right angle"
symbols:
  w: vector 2
-->
$$
\begin{aligned}
\begin{pmatrix} 0 & -1 \\ 1 & 0 \end{pmatrix} \mathbf{w} &= \begin{bmatrix} -w_2 \\ w_1 \end{bmatrix} \\
&= \begin{bmatrix} -w_2 \\ w_2 \end{bmatrix}
\end{aligned}
$$
"""


def test_a_matrix_literal_in_a_latex_chain(tmp_path) -> None:
    from derivcheck.api import verify_paths
    from tests.helpers import FAST

    post = tmp_path / "post.md"
    post.write_text(PMATRIX_POST)
    results = [r for r in verify_paths([str(post)], FAST).results if r.kind in ("step", "error")]
    assert [r.verdict.value for r in results] == ["proved", "wrong"], [r.message for r in results]
    assert results[1].outcome.counterexample.get("i") == "2"  # the second element differs


HESSIAN_POST = r"""# The Hessian as a quadratic form

<!-- derivcheck
title: "logistic Hessian quadratic form"
symbols:
  w, z: vector d
  x: matrix P d
  y: vector P
  p: index 1..P
functions:
  sigma(t): 1/(1 + exp(-t))
define:
  g: (1/P)*Sum(log(1 + exp(dot(x[q], w))) - y[q]*dot(x[q], w), (q, 1, P))
-->
$$
\begin{aligned}
\mathbf{z}^T \nabla^2 g(\mathbf{w}) \mathbf{z}
  &= \frac{1}{P}\sum_{p=1}^{P} \sigma(\mathbf{x}_p^T\mathbf{w})(1 - \sigma(\mathbf{x}_p^T\mathbf{w}))
     (\mathbf{x}_p^T \mathbf{z})^2 \\
&= \frac{1}{P}\sum_{p=1}^{P} \sigma(\mathbf{x}_p^T\mathbf{w})(\mathbf{x}_p^T \mathbf{z})^2
\end{aligned}
$$
"""


@pytest.mark.slow
def test_the_quadratic_form_of_the_hessian_of_the_issue_is_read_and_checked(tmp_path) -> None:
    from derivcheck.api import verify_paths
    from tests.helpers import FAST

    post = tmp_path / "post.md"
    post.write_text(HESSIAN_POST)
    results = [r for r in verify_paths([str(post)], FAST).results if r.kind in ("step", "error")]
    assert [r.verdict.value for r in results] == ["proved", "wrong"], [r.message for r in results]


def test_a_gradient_in_a_vector_its_function_does_not_use_is_noted() -> None:
    (result,) = _results(["grad(dot(x, x), w)", "0*w"])
    assert result.verdict.value == "proved"
    assert any("is 0 only because" in note for note in result.notes), result.notes
    (used,) = _results(["grad(dot(x, w), w)", "x"])
    assert not any("is 0 only because" in note for note in used.notes)


ARRAY_POST = r"""# A chain aligned with an array

<!-- derivcheck
title: "array"
symbols:
  w: vector d
  X: matrix n d
  y: vector n
-->
$$\begin{array}{rcl} \|y - Xw\|^2 &=& (y - Xw)^T (y - Xw) \\
&=& y^T y - 2 y^T X w + w^T X^T X w \\
&=& y^T y - y^T X w + w^T X^T X w
\end{array}$$
"""


def test_an_array_aligns_a_chain_like_aligned(tmp_path) -> None:
    from derivcheck.api import verify_paths
    from tests.helpers import FAST

    post = tmp_path / "post.md"
    post.write_text(ARRAY_POST)
    results = [r for r in verify_paths([str(post)], FAST).results if r.kind in ("step", "error")]
    assert [r.verdict.value for r in results] == ["proved", "proved", "wrong"], [r.message for r in results]


@pytest.mark.parametrize(
    "steps",
    [
        ["grad(dot(w, w), w)[k]", "2*w[k]"],  # an element of a gradient of size n at k up to m
        ["(eye(n) @ w)[k]", "w[k]"],
        ["(A @ x)[j]", "Sum(A[j, c]*x[c], (c, 1, n))"],  # j starts at 0
    ],
)
def test_an_index_that_may_leave_the_size_of_a_vector_expression_is_an_error(steps: list) -> None:
    symbols = {**MAT, "k": "index 1..m", "j": "index 0..n-1", "c": "index 1..n"}
    errors = [r.message for r in _results(steps, symbols) if r.kind == "error"]
    assert errors and "has elements 1..n only" in errors[0], errors


def test_an_index_inside_the_size_of_a_vector_expression_is_read() -> None:
    symbols = {**MAT, "k": "index 1..n", "j": "index 2..n-1"}
    assert _one("(eye(n) @ w)[k]", "w[k]", symbols).verdict.value == "proved"
    assert _one("(A @ x)[j]", "(A @ x)[j] + 0", symbols).verdict.value == "proved"
