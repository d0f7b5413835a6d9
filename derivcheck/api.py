"""The pipeline: load -> parse -> check -> results. Everything the CLI does is callable here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from derivcheck.config import CheckConfig
from derivcheck.errors import CheckTimeout, FormatError
from derivcheck.load import LoadedFile, discover, load_file
from derivcheck.load.model import Document, LoadError, Step
from derivcheck.results import Report, Result, passes

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PlannedCheck:
    """A check to run and where its result goes in the report."""

    file: str
    title: str
    chain: str
    kind: str
    line: int
    expr: str
    previous: Step | None
    step: Step | None
    task: object


def verify_paths(
    paths: Iterable[str], config: CheckConfig | None = None, progress: Progress | None = None
) -> Report:
    """Check every derivation found under ``paths`` and return the Report."""
    config = config or CheckConfig()
    files: list[str] = []
    errors: list[Result] = []
    loaded: list[LoadedFile] = []
    for entry in discover(list(paths)):
        if isinstance(entry, LoadError):
            errors.append(_error_result(entry))
            files.append(entry.path)
            continue
        files.append(entry)
        loaded.append(load_file(entry, config.max_file_bytes))
    return verify_loaded(loaded, config, progress, errors, files)


def verify_loaded(
    loaded: list[LoadedFile],
    config: CheckConfig,
    progress: Progress | None = None,
    errors: list[Result] | None = None,
    files: list[str] | None = None,
) -> Report:
    """Check already loaded files (used by verify_paths and by tests)."""
    from derivcheck.check.runner import run_tasks

    per_file: dict[str, list[Result | PlannedCheck]] = {}
    planned: list[PlannedCheck] = []
    empty = []
    for item in loaded:
        entries: list[Result | PlannedCheck] = []
        if not item.items:
            empty.append(item.path)
        for doc in item.items:
            if isinstance(doc, LoadError):
                entries.append(_error_result(doc))
                continue
            try:
                checks = plan_document(doc, config)
            except FormatError as exc:
                entries.append(_error_result(LoadError(doc.path, exc.line, exc.message)))
                continue
            entries.extend(checks)
            planned.extend(checks)
        per_file[item.path] = entries
    outcomes = run_tasks([p.task for p in planned], config, progress)
    by_check = dict(zip(map(id, planned), outcomes))
    results: list[Result] = list(errors or [])
    for path in per_file:
        for entry in per_file[path]:
            if isinstance(entry, Result):
                results.append(entry)
            else:
                results.append(_result(entry, by_check[id(entry)], config))
    return Report(
        tuple(results),
        tuple(files if files is not None else [f.path for f in loaded]),
        config.strict,
        tuple(empty),
    )


def plan_document(doc: Document, config: CheckConfig) -> list[PlannedCheck]:
    """Parse a document and return its checks: adjacent steps, then numbers."""
    from derivcheck.check.engine import NumberTask, StepTask
    from derivcheck.check.limits import time_limit
    from derivcheck.parse.document import parse_document

    try:
        with time_limit(max(config.timeout, 5.0)):
            parsed = parse_document(doc)
    except CheckTimeout:
        raise FormatError("reading the expressions took too long (an expression is far too large)", doc.line)
    except RecursionError:
        raise FormatError("an expression is nested too deeply", doc.line)
    symbols = tuple(parsed.symbols.values())
    checks: list[PlannedCheck] = []
    for chain in parsed.chains:
        conditions = parsed.assume + chain.when
        anchor = chain.steps[0]
        for current in chain.steps[1:]:
            task = StepTask(anchor.expr, current.expr, conditions, symbols)
            checks.append(
                PlannedCheck(
                    doc.path,
                    doc.title,
                    chain.chain.label,
                    "step",
                    current.step.expr.line,
                    current.step.expr.text,
                    anchor.step,
                    current.step,
                    task,
                )
            )
            if current.step.wrong is None:
                anchor = current
    for number in parsed.numbers:
        checks.append(
            PlannedCheck(
                doc.path, doc.title, "numbers", "number", number.claim.line,
                number.claim.expr.text, None, None, NumberTask(number),
            )
        )
    return checks


def _result(check: PlannedCheck, outcome, config: CheckConfig) -> Result:
    erratum = check.step.wrong if check.step is not None else None
    return Result(
        file=check.file,
        line=check.line,
        kind=check.kind,
        verdict=outcome.verdict,
        passes=passes(outcome.verdict, erratum, config.strict),
        title=check.title,
        chain=check.chain,
        expr=check.expr.strip(),
        previous=check.previous.expr.text.strip() if check.previous else "",
        previous_line=check.previous.expr.line if check.previous else None,
        by=check.step.by if check.step is not None else None,
        erratum=erratum,
        outcome=outcome,
    )


def _error_result(error: LoadError) -> Result:
    return Result(error.path, error.line, "error", None, False, message=error.message)
