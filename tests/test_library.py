"""The derivation library in derivations/ verifies, and each erratum of the seeds is refuted."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from derivcheck import CheckConfig, verify_paths

pytestmark = pytest.mark.slow  # checks the whole library

LIBRARY = Path(__file__).resolve().parent.parent / "derivations"
FILES = sorted(LIBRARY.rglob("*.yaml"))

# Each erratum of the seeds that the library keeps as a step marked `wrong:`:
# (file under derivations/, the step's expression as written, where in the seed).
ERRATA = [
    ("softmax/softmax_jacobian.yaml", "-p(j)*p(j)", "003 line 91"),
    (
        "bce/bce_elementwise_gradient.yaml",
        "-(y[i]*(1 - sigma(z[i]) - (1 - y[i])*sigma(z[i])))",
        "001 line 84",
    ),
    (
        "cross_entropy/cross_entropy_gradient_chain_rule.yaml",
        "-y[i]*(1/p(i))*diff(p(i), z[i])",
        "004 lines 96-97",
    ),
    ("bce/exp_abs_bound.yaml", '"0"', "000 line 116"),
]


@functools.cache
def report_of(relative: str):
    """Return the strict report of one library file (computed once per file)."""
    return verify_paths([str(LIBRARY / relative)], CheckConfig(strict=True))


def line_of_step(relative: str, expr: str) -> int:
    """Return the 1-based line where the step `expr: <expr>` is written."""
    lines = (LIBRARY / relative).read_text(encoding="utf-8").splitlines()
    found = [n for n, text in enumerate(lines, 1) if text.strip() in (f"- expr: {expr}", f"expr: {expr}")]
    assert len(found) == 1, f"{relative}: step {expr!r} found on lines {found}"
    return found[0]


def test_library_is_not_empty():
    assert len(FILES) >= 20


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(LIBRARY).as_posix())
def test_file_verifies(path: Path):
    report = report_of(path.relative_to(LIBRARY).as_posix())
    assert report.results, f"{path}: nothing was checked"
    problems = [
        f"{r.file}:{r.line}: {r.kind} {r.verdict} {r.message}".rstrip()
        for r in report.results
        if not r.passes or r.kind == "error"
    ]
    assert not problems, "\n".join(problems)
    for r in report.results:
        if r.kind == "step" and r.erratum is None:
            assert r.verdict in ("proved", "proved for sizes"), f"{r.file}:{r.line}: {r.verdict}"


@pytest.mark.parametrize("relative, expr, where", ERRATA, ids=[e[2] for e in ERRATA])
def test_erratum_is_refuted(relative: str, expr: str, where: str):
    line = line_of_step(relative, expr)
    report = report_of(relative)
    at_line = [r for r in report.results if r.line == line and r.kind == "step"]
    assert len(at_line) == 1, f"{relative}:{line} ({where}): results {at_line}"
    result = at_line[0]
    assert result.erratum, f"{relative}:{line} ({where}) is not marked wrong"
    assert result.verdict == "wrong", f"{relative}:{line} ({where}) got {result.verdict}"
    assert result.passes


def test_every_marked_erratum_is_listed():
    listed = {(relative, line_of_step(relative, expr)) for relative, expr, _ in ERRATA}
    marked = set()
    for path in FILES:
        relative = path.relative_to(LIBRARY).as_posix()
        marked |= {(relative, r.line) for r in report_of(relative).results if r.erratum is not None}
    assert marked == listed


# Issue 13: these files are proved for every size, step by step (no `proved for sizes`).
PROVED_IN_GENERAL = [
    "softmax/softmax_jacobian.yaml",
    "softmax/softmax_loss.yaml",
    "softmax/log_sum_exp.yaml",
    "cross_entropy/cross_entropy_gradient.yaml",
    "cross_entropy/cross_entropy_gradient_chain_rule.yaml",
    "cross_entropy/label_smoothing.yaml",
    "normalization/layer_norm_backward.yaml",
    "statistics/variance_identity.yaml",
]
MAX_PROVED_FOR_SIZES = 3


@pytest.mark.parametrize("relative", PROVED_IN_GENERAL)
def test_sum_derivations_are_proved_for_every_size(relative: str):
    report = report_of(relative)
    for r in report.results:
        if r.kind == "step" and r.erratum is None:
            assert r.verdict == "proved", f"{r.file}:{r.line}: {r.verdict} ({r.outcome.method})"


def test_few_checks_remain_proved_only_for_sizes():
    sized = [
        f"{r.file}:{r.line}"
        for path in FILES
        for r in report_of(path.relative_to(LIBRARY).as_posix()).results
        if r.verdict == "proved for sizes"
    ]
    assert len(sized) <= MAX_PROVED_FOR_SIZES, sized
