"""Steps whose value is a vector or matrix: compared at a generic element (parse/elementwise.py)."""

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
