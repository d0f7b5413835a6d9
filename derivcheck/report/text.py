"""Human-readable output with rich: one line per result, evidence under failing ones."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.markup import escape

from derivcheck.printable import display_path, printable
from derivcheck.results import Report, Result

if TYPE_CHECKING:
    from derivcheck.check.outcome import Outcome

_MARKS = {
    "proved": ("✓", "green"),
    "proved for sizes": ("✓", "green"),
    "numeric": ("≈", "yellow"),
    "wrong": ("✗", "red"),
    "unknown": ("?", "magenta"),
}
_WIDTH = 64
_RELATION_SIGNS = {"<=": "≤", "<": "<", ">=": "≥", ">": ">", "==": "="}


def _esc(text: str) -> str:
    """Text from a file, for rich: control characters escaped (``printable``), markup escaped."""
    return escape(printable(text))


def _short(text: str, width: int = _WIDTH) -> str:
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1] + "…"


_EMPTY_NAMES = 5  # files without derivations named in their one summary line


def write_text(
    report: Report, stream: TextIO, *, color: bool | None = None, verbose: bool = False, quiet: bool = False
) -> None:
    """Write the report for people: grouped by file and chain, a summary line last.

    ``quiet``: only the results that do not pass (and the summary line). Files
    without derivations get one line together, not a note each.
    """
    console = Console(
        file=stream,
        force_terminal=color,
        no_color=color is False,
        highlight=False,
        soft_wrap=True,
        width=120 if color is not True else None,
    )
    current_file = current_chain = None
    for result in report.results:
        if quiet and result.passes:
            continue
        if result.file != current_file:
            current_file, current_chain = result.file, None
            console.print(f"[bold]{_esc(display_path(result.file))}[/bold]")
        if result.is_error:
            console.print(f"  [red bold]error[/] {_esc(place(result))}: {_esc(result.message)}")
            continue
        if result.kind == "note":
            console.print(f"  [yellow]not checked[/] {_esc(place(result))}: {_esc(result.message)}")
            continue
        chain = (result.title, result.chain)
        if chain != current_chain:
            current_chain = chain
            console.print(f"  [cyan]{_esc(result.title)}[/] · {_esc(result.chain)}")
        _write_result(console, result, verbose)
    if report.empty_files and not quiet:
        console.print(_empty_files_line(report.empty_files))
    console.print(_summary(report))


def _empty_files_line(paths: tuple[str, ...]) -> str:
    """One line for the files that hold no derivation: how many, and the first few names."""
    names = [_esc(display_path(path)) for path in paths[:_EMPTY_NAMES]]
    more = f" and {len(paths) - _EMPTY_NAMES} more" if len(paths) > _EMPTY_NAMES else ""
    count = f"{len(paths)} file{'s' if len(paths) != 1 else ''}"
    return f"[dim]{count} without derivations (nothing to check): {', '.join(names)}{more}[/]"


def place(result: Result) -> str:
    """Where a result is: ``file:line``, or ``file.ipynb, cell 3, line 13`` in a notebook."""
    name = display_path(result.file)
    if result.cell is not None:
        return f"{name}, cell {result.cell}" + (f", line {result.line}" if result.line else "")
    return f"{name}:{result.line}" if result.line else name


def _at(result: Result, line: int | None) -> str:
    return f"cell {result.cell}, line {line}" if result.cell is not None else f"line {line}"


def _write_stability(console: Console, result: Result, verbose: bool) -> None:
    """A stability claim: claimed and found, the points checked, the point that decides it."""
    outcome = result.outcome
    evidence = (outcome.stability if outcome else None) or {}
    claim, found = evidence.get("claim", "?"), evidence.get("found")
    if result.passes:
        mark, style, label = "≈", "green", f"{found} as claimed"
    elif found:
        mark, style, label = "✗", "red bold", f"claimed {claim}, {found}"
    else:
        mark, style, label = "?", "magenta", "not checked"
    console.print(f"    [{style}]{mark} {label:<16}[/] :{result.line:<4} {_esc(_short(result.expr))}")
    for line in stability_lines(evidence):
        console.print(f"{'':10}{_esc(line)}")
    if not found and outcome is not None and outcome.detail:
        console.print(f"{'':10}{_esc(outcome.detail)}")


def stability_lines(evidence: dict) -> list[str]:
    """The evidence of a stability claim as short lines: what was checked, then the deciding point."""
    if not evidence:
        return []
    ranges = ", ".join(f"{name} in [{low:g}, {high:g}]" for name, (low, high) in evidence.get("over", {}).items())
    fixed = ", ".join(f"{name} = {value:g}" for name, value in evidence.get("at", {}).items())
    head = f"checked {evidence.get('points', 0)} float64 points, {ranges}" + (f", {fixed}" if fixed else "")
    if evidence.get("outside_domain"):
        head += f" ({evidence['outside_domain']} not evaluable)"
    lines = [head]
    first = evidence.get("first_failing")
    worst = evidence.get("worst")
    if first:
        where = ", ".join(f"{k} = {v}" for k, v in first["at"].items())
        lines.append(
            f"first failing point {where}: float64 {first['float64']}, true {first['true']} "
            f"(relative error {first['relative_error']}; {evidence.get('failing_points', 0)} points fail)"
        )
        if first.get("operation"):
            lines.append(f"operation: {first['operation']}")
    elif worst:
        where = ", ".join(f"{k} = {v}" for k, v in worst["at"].items())
        lines.append(
            f"finite everywhere; worst relative error {worst['relative_error']} at {where} "
            f"(rtol {evidence.get('rtol', 0):g}; sampled evidence, not a proof)"
        )
    return lines


def _write_result(console: Console, result: Result, verbose: bool) -> None:
    if result.kind == "stability":
        _write_stability(console, result, verbose)
        return
    verdict = result.verdict.value if result.verdict else "?"
    mark, style = _MARKS.get(verdict, ("?", "white"))
    outcome = result.outcome
    label = verdict
    if result.verdict is not None and verdict == "proved for sizes" and outcome and outcome.size_bound:
        label = f"proved for sizes ≤ {outcome.size_bound}"
    if result.erratum is not None:
        label = "erratum refuted" if result.passes else f"erratum NOT refuted ({verdict})"
        style = "green" if result.passes else "red"
        mark = "✓" if result.passes else "✗"
    elif not result.passes:
        style = "red bold" if verdict == "wrong" else style
        if mark == "✓":  # a proof that fails the run (a note under --strict): the mark says fails
            mark, style, label = "✗", "red bold", f"{label}, failing"
    method = f" [dim]({_esc(outcome.method)})[/dim]" if outcome and outcome.method and result.passes else ""
    by = f" [dim]— {_esc(_short(result.by, 48))}[/dim]" if result.by else ""
    where = f"cell {result.cell}, line {result.line}" if result.cell is not None else f":{result.line:<4}"
    relation = "" if result.relation == "==" else f"{_RELATION_SIGNS[result.relation]} "
    console.print(
        f"    [{style}]{mark} {label:<16}[/] {where} {relation}{_esc(_short(result.expr))}{method}{by}"
    )
    if result.parsed is not None and verbose:
        console.print(f"{'':10}[dim]read as:[/] {_esc(_short(result.parsed, 90))}")
    if outcome is None:
        return
    failing = not result.passes or result.erratum is not None
    if result.kind == "number" and (failing or verbose) and outcome.value:
        console.print(f"{'':10}value {_esc(', '.join(outcome.value))}")
        console.print(
            f"{'':10}claimed {_esc(', '.join(outcome.claimed or ()))}  tol {_esc(', '.join(outcome.tol or ()))}"
        )
        if outcome.failing:
            console.print(f"{'':10}failing elements: {', '.join(str(i + 1) for i in outcome.failing)}")
    if result.kind == "step" and (failing or verbose):
        if result.erratum is not None:
            console.print(f"{'':10}erratum: {_esc(result.erratum)}")
        if verdict == "wrong" or not result.passes or verbose:
            previous = _esc(_short(result.previous, 90))
            console.print(f"{'':10}{'previous':<9} ({_at(result, result.previous_line)}): {previous}")
            console.print(f"{'':10}{'this step':<9} ({_at(result, result.line)}): {_esc(_short(result.expr, 90))}")
            if result.parsed is not None and not verbose:  # verbose shows it under every step
                console.print(f"{'':10}{'read as':<9} {_esc(_short(result.parsed, 90))}")
            if result.relation != "==":
                console.print(f"{'':10}claimed: previous {result.relation} this step")
    if outcome.counterexample and (failing or verbose):
        point = ", ".join(f"{k} = {v}" for k, v in outcome.counterexample.items())
        console.print(f"{'':10}counterexample: {_esc(point)}")
        if outcome.values:
            console.print(
                f"{'':10}values there: {_esc(outcome.values[0])} (previous) "
                f"vs {_esc(outcome.values[1])} (this step)"
            )
    if outcome.difference and (failing or verbose):
        console.print(f"{'':10}{_esc(outcome.difference)}")
    if outcome.suggestion and (failing or verbose):
        console.print(f"{'':10}[green]did you mean:[/] {_esc(outcome.suggestion)}")
    for note in result.notes:
        console.print(f"{'':10}[yellow]{_esc(note)}[/]")
    if verbose and result.kind == "step":
        _write_full_evidence(console, outcome)
    if verdict in ("unknown", "numeric") and (failing or verbose or verdict == "numeric"):
        if outcome.detail:
            console.print(f"{'':10}{_esc(outcome.detail)}")
        if outcome.tried:
            console.print(f"{'':10}tried: {_esc(', '.join(outcome.tried))}")
        if outcome.hint:
            console.print(f"{'':10}hint: {_esc(outcome.hint)}")


def _write_full_evidence(console: Console, outcome: Outcome) -> None:
    """--verbose: both sides as parsed, the method and its intermediate forms, the points tried."""
    pad = " " * 10
    if outcome.sides:
        console.print(f"{pad}as parsed (definitions expanded):")
        console.print(f"{pad}  previous:  {_esc(outcome.sides[0])}")
        console.print(f"{pad}  this step: {_esc(outcome.sides[1])}")
    method = outcome.method + (f" — {outcome.detail}" if outcome.detail else "")
    console.print(f"{pad}method: {_esc(method)}")
    for form in outcome.forms:
        console.print(f"{pad}  {_esc(form)}")
    if outcome.tried:
        console.print(f"{pad}tried: {_esc(', '.join(outcome.tried))}")
    if outcome.points or outcome.sample_points:
        console.print(f"{pad}points where the sides agree: {outcome.points}")
        for point in outcome.sample_points:
            console.print(f"{pad}  {_esc(point)}")


def _summary(report: Report) -> str:
    counts = report.counts()
    parts = [f"{len(report.files)} file{'s' if len(report.files) != 1 else ''}"]
    parts.append(f"{counts['steps']} steps, {counts['numbers']} numbers")
    if counts.get("stability"):
        parts[-1] += f", {counts['stability']} stability claims"
    verdicts = ", ".join(
        f"{counts[v]} {v}" for v in ("proved", "proved for sizes", "numeric", "wrong", "unknown")
    )
    text = f"{'; '.join(parts)}: {verdicts}"
    if counts["errata"]:
        text += f"; {counts['errata']} known errata"
    if counts["errors"]:
        text += f"; [red]{counts['errors']} unreadable[/]"
    status = {0: "[green]passed[/]", 1: "[red]failed[/]", 2: "[red]error[/]"}[report.exit_code]
    text = f"{text} — {status} ({counts['failed']} not passing)"
    if report.cached:
        text += f" [dim]· {report.cached} of {report.cached + report.computed} checks from the cache[/]"
    return text
