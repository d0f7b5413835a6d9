"""The fields of a result as plain JSON-ready data: shared by every machine-readable format."""

from __future__ import annotations

from dataclasses import dataclass

from derivcheck.printable import display_path, printable
from derivcheck.results import Report, Result

_EVIDENCE = (
    "method",
    "detail",
    "counterexample",
    "values",
    "difference",
    "suggestion",
    "size_bound",
    "sizes",
    "points",
    "tried",
    "hint",
    "value",
    "claimed",
    "tol",
    "failing",
)


def result_fields(result: Result) -> dict:
    """Return the JSON object of one result (docs/format.md's keys first, evidence after)."""
    data: dict = {
        "file": display_path(result.file),
        "line": result.line,
        "kind": result.kind,
        "verdict": result.verdict.value if result.verdict is not None else None,
        "passes": result.passes,
    }
    if result.cell is not None:
        data["cell"] = result.cell
        if result.file_line is not None:
            data["file_line"] = result.file_line
    if result.is_error or result.kind == "note":
        data["message"] = result.message
        return data
    data.update(title=result.title, chain=result.chain, expr=result.expr)
    if result.parsed is not None:
        data["parsed"] = result.parsed
    if result.kind == "step":
        data.update(previous=result.previous, previous_line=result.previous_line, by=result.by)
        if result.previous_parsed is not None:
            data["previous_parsed"] = result.previous_parsed
        data["erratum"] = result.erratum
        if result.relation != "==":
            data["relation"] = result.relation
    outcome = result.outcome
    if outcome is not None:
        for key in _EVIDENCE:
            value = getattr(outcome, key)
            if value in (None, (), {}, "") and key not in ("method",):
                continue
            if key == "points" and not value:
                continue
            data[key] = list(value) if isinstance(value, tuple) else value
    if outcome is not None and outcome.stability:
        data["stability"] = outcome.stability
    if result.role is not None:
        data["role"] = result.role
        data["slip_line"] = result.slip_line
    if result.notes:
        data["notes"] = list(result.notes)
    return data


def report_fields(report: Report) -> dict:
    """Return the whole report as one JSON object."""
    from derivcheck.version import __version__

    return {
        "version": __version__,
        "exit_code": report.exit_code,
        "strict": report.strict,
        "files": [display_path(path) for path in report.files],
        "summary": report.counts(),
        "results": [result_fields(r) for r in report.results],
    }


def result_message(result: Result) -> str:
    """Return a one-line message for a result (used by annotations and test reports).

    In a notebook the message starts with the cell and the line within it
    (annotations can only point at lines of the file itself). Control
    characters from the file (a newline in a title) are escaped: it is one line.
    """
    return printable(_message(result))


def _message(result: Result) -> str:
    if result.cell is not None:
        from dataclasses import replace

        return f"cell {result.cell}, line {result.line}: " + _message(replace(result, cell=None))
    if result.is_error or result.kind == "note":
        return result.message
    outcome = result.outcome
    verdict = result.verdict.value if result.verdict else "?"
    if result.kind == "stability":
        claim = (outcome.stability or {}).get("claim", "") if outcome else ""
        state = "confirmed" if result.passes else "not confirmed"
        text = f"stability claim ({claim}) {state}: {result.expr}"
        return text + (f"; {outcome.detail}" if outcome and outcome.detail else "")
    if result.kind == "number":
        text = f"number {result.expr}: {verdict}"
        if outcome and outcome.value:
            text += f" (value {', '.join(outcome.value)}; claimed {', '.join(outcome.claimed or ())})"
        return text
    if result.erratum is not None:
        if result.passes:
            return f"known erratum refuted: {result.erratum}"
        return f"step marked wrong ({result.erratum}) but it was not refuted: {verdict}"
    shown = result.expr if result.relation == "==" else f"{result.relation} {result.expr}"
    text = f"step is {verdict}: {shown}"
    if outcome and outcome.counterexample:
        point = ", ".join(f"{k} = {v}" for k, v in outcome.counterexample.items())
        text += f"; differs from the previous step at {point}"
        if outcome.values:
            text += f" ({outcome.values[0]} vs {outcome.values[1]})"
    if outcome and outcome.difference:
        text += f"; {outcome.difference}"
    if outcome and outcome.suggestion:
        text += f"; did you mean: {outcome.suggestion}"
    if outcome and result.verdict and result.verdict.value in ("unknown", "numeric") and outcome.detail:
        text += f"; {outcome.detail}"
    for note in result.doubtful:
        text += f"; {note}"
    return text


@dataclass(frozen=True)
class Rule:
    """A kind of finding: its stable id (SARIF ``ruleId``, JUnit failure ``type``), descriptions, default level.

    ``level`` is ``"error"``, or ``"warning"`` for findings that pass unless ``--strict``.
    """

    id: str
    summary: str
    help: str
    level: str = "error"


UNREADABLE_FILE = Rule(
    "unreadable-file",
    "A file cannot be read as a derivation",
    "The file is not valid YAML, breaks the derivation format, or uses an undeclared name; "
    "the message says where and what is allowed.",
)
WRONG_STEP = Rule(
    "wrong-step",
    "A step differs from the step before it",
    "A counterexample was found: values allowed by the conditions where the two sides differ.",
)
UNKNOWN_STEP = Rule(
    "unknown-step",
    "A step was neither proved nor refuted",
    "No proof and no counterexample within the time limit; add assumptions, split the step "
    "with 'cases:', or write smaller steps.",
)
NUMERIC_STEP = Rule(
    "numeric-step",
    "A step agrees numerically but was not proved",
    "No symbolic proof was found; the two sides agree at every sampled point. "
    "Passes unless --strict.",
    level="warning",
)
ERRATUM_NOT_REFUTED = Rule(
    "erratum-not-refuted",
    "A step marked 'wrong' was not refuted",
    "A step marked 'wrong:' passes only when the checker finds a counterexample; this one "
    "could not be refuted, so it may not be wrong after all.",
)
WRONG_NUMBER = Rule(
    "wrong-number",
    "A number claim does not hold",
    "The expression at the given values differs from the claimed value by more than the tolerance.",
)
UNKNOWN_NUMBER = Rule(
    "unknown-number",
    "A number claim could not be evaluated",
    "The expression could not be evaluated to a number at the given values.",
)
NUMERIC_NUMBER = Rule(
    "numeric-number",
    "A number claim holds only numerically",
    "The claim was not decided exactly. Passes unless --strict.",
    level="warning",
)
WRONG_STABILITY = Rule(
    "wrong-stability",
    "A stability claim is contradicted by float64 evaluation",
    "Evaluated operation by operation in float64 against a 50-digit reference, the expression "
    "behaves otherwise than 'stable:' claims; the point, the two values and the operation to blame are shown.",
)
UNKNOWN_STABILITY = Rule(
    "unknown-stability",
    "A stability claim could not be checked",
    "Too few points of the range could be evaluated (outside the domain, or the expression is too large).",
)
ABSENT_VARIABLE = Rule(
    "absent-variable",
    "A derivative is 0 only because its variable does not occur",
    "The step holds, but a derivative in it is 0 only because the variable does not occur in what is "
    "differentiated (a quantity meant to depend on it was declared as a plain symbol); say how it depends "
    "under 'define'. Passes unless --strict.",
    level="warning",
)
RULES: tuple[Rule, ...] = (
    UNREADABLE_FILE,
    WRONG_STEP,
    UNKNOWN_STEP,
    NUMERIC_STEP,
    ERRATUM_NOT_REFUTED,
    WRONG_NUMBER,
    UNKNOWN_NUMBER,
    NUMERIC_NUMBER,
    WRONG_STABILITY,
    UNKNOWN_STABILITY,
    ABSENT_VARIABLE,
)
_BY_VERDICT = {
    ("step", "wrong"): WRONG_STEP,
    ("step", "unknown"): UNKNOWN_STEP,
    ("step", "numeric"): NUMERIC_STEP,
    ("number", "wrong"): WRONG_NUMBER,
    ("number", "unknown"): UNKNOWN_NUMBER,
    ("number", "numeric"): NUMERIC_NUMBER,
    ("stability", "wrong"): WRONG_STABILITY,
    ("stability", "unknown"): UNKNOWN_STABILITY,
}


def finding_level(result: Result) -> str | None:
    """Return ``"error"`` for a result that does not pass, ``"warning"`` for a passing
    ``numeric`` one (no proof, only sampled agreement), else None (nothing to report)."""
    if not result.passes:
        return "error"
    if result.kind == "stability":  # a confirmed claim: sampled evidence is all it can have
        return None
    if result.verdict is not None and result.verdict.value == "numeric":
        return "warning"
    if result.doubtful:
        return "warning"
    return None


def finding_rule(result: Result) -> Rule | None:
    """Return the kind of finding a result is, or None for a result with nothing to report."""
    if finding_level(result) is None:
        return None
    if result.is_error:
        return UNREADABLE_FILE
    if result.erratum is not None and not result.passes:
        return ERRATUM_NOT_REFUTED
    if result.doubtful and result.verdict is not None and result.verdict.value in ("proved", "proved for sizes"):
        return ABSENT_VARIABLE
    verdict = result.verdict.value if result.verdict is not None else "unknown"
    fallback = {"step": UNKNOWN_STEP, "stability": UNKNOWN_STABILITY}.get(result.kind, UNKNOWN_NUMBER)
    return _BY_VERDICT.get((result.kind, verdict), fallback)
