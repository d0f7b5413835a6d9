"""The fields of a result as plain JSON-ready data: shared by every machine-readable format."""

from __future__ import annotations

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
    """Return the JSON object of one result (FORMAT.md's keys first, evidence after)."""
    data: dict = {
        "file": result.file,
        "line": result.line,
        "kind": result.kind,
        "verdict": result.verdict.value if result.verdict is not None else None,
        "passes": result.passes,
    }
    if result.is_error:
        data["message"] = result.message
        return data
    data.update(title=result.title, chain=result.chain, expr=result.expr)
    if result.kind == "step":
        data.update(previous=result.previous, previous_line=result.previous_line, by=result.by)
        data["erratum"] = result.erratum
    outcome = result.outcome
    if outcome is not None:
        for key in _EVIDENCE:
            value = getattr(outcome, key)
            if value in (None, (), {}, "") and key not in ("method",):
                continue
            if key == "points" and not value:
                continue
            data[key] = list(value) if isinstance(value, tuple) else value
    if result.notes:
        data["notes"] = list(result.notes)
    return data


def report_fields(report: Report) -> dict:
    """Return the whole report as one JSON object."""
    from derivcheck import __version__

    return {
        "version": __version__,
        "exit_code": report.exit_code,
        "strict": report.strict,
        "files": list(report.files),
        "summary": report.counts(),
        "results": [result_fields(r) for r in report.results],
    }


def result_message(result: Result) -> str:
    """Return a one-line message for a result (used by annotations and test reports)."""
    if result.is_error:
        return result.message
    outcome = result.outcome
    verdict = result.verdict.value if result.verdict else "?"
    if result.kind == "number":
        text = f"number {result.expr}: {verdict}"
        if outcome and outcome.value:
            text += f" (value {', '.join(outcome.value)}; claimed {', '.join(outcome.claimed or ())})"
        return text
    if result.erratum is not None:
        if result.passes:
            return f"known erratum refuted: {result.erratum}"
        return f"step marked wrong ({result.erratum}) but it was not refuted: {verdict}"
    text = f"step is {verdict}: {result.expr}"
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
    return text
