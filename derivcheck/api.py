"""The pipeline: load -> parse -> check -> results. Everything the CLI does is callable here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Literal

import sympy

from derivcheck.bounds import MAX_SHARDS, PARSE_CPU_SECONDS
from derivcheck.check.evidence.diagnose import DiagnoseTask, writes_decimals
from derivcheck.check.evidence.slips import Link, Placement, Role
from derivcheck.check.evidence.stage import Check, Checked
from derivcheck.check.ladder.engine import NumberTask, StepTask
from derivcheck.check.limits import time_limit
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.check.run.runner import RunStats, run_checks
from derivcheck.check.screen.stability import StabilityTask
from derivcheck.config import CheckConfig
from derivcheck.errors import CheckTimeout, FormatError
from derivcheck.load import LoadedFile, find_files, load_file
from derivcheck.load.discover import SUFFIXES
from derivcheck.model import Document, LoadError, Step, Text, chain_relation
from derivcheck.parse.document import ParsedDocument, parse_document
from derivcheck.parse.expressions import Condition, parse_expression, probable_every
from derivcheck.printable import display_path
from derivcheck.results import Report, Result, passes

Progress = Callable[[int, int], None]
# Progress before the checks run: (stage, done, total) with stage "reading" (files read) or "parsing"
# (files whose derivations were read into checks), so a large warm run shows progress while it loads.
StageProgress = Callable[[str, int, int], None]


@dataclass(frozen=True, kw_only=True)
class PlannedCheck:
    """A check to run (``check``: the task and what the evidence stage needs) and where its result goes.

    ``previous`` and ``step`` are the two steps of a step check (None for a
    number or stability claim); ``warnings`` are notes shown with its result.
    """

    file: str
    title: str
    chain: str
    kind: Literal["step", "number", "stability"]
    line: int
    expr: str
    check: Check
    previous: Step | None = None
    step: Step | None = None
    warnings: tuple[str, ...] = ()
    relation: str = "=="
    cell: int | None = None
    doubtful: tuple[str, ...] = ()  # notes that fail the step under --strict (a derivative 0 by absence)

    @property
    def link(self) -> Link | None:
        """The step's place in its chain (None for a claim)."""
        return self.check.link


def verify_paths(
    paths: Iterable[str],
    config: CheckConfig | None = None,
    progress: Progress | None = None,
    shard: Shard | None = None,
    stages: StageProgress | None = None,
    allow_empty: bool = False,
) -> Report:
    """Check every derivation found under ``paths`` and return the Report.

    With ``shard`` only the files of that shard are checked (see ``Shard``).
    A run that finds nothing to check is an error (exit 2), not a pass; with
    ``allow_empty`` (a hook given only the changed files, all prose) it passes
    with a warning that says so. ``progress`` follows the checks, ``stages``
    the reading before them.
    """
    config = config or CheckConfig()
    paths = list(paths)
    found = find_files(paths)
    files: list[str] = []
    errors: list[Result] = []
    loaded: list[LoadedFile] = []
    entries = found.entries
    if shard is not None:
        entries = [e for e in entries if shard.owns(e.path if isinstance(e, LoadError) else e)]
    for item in load_entries(entries, config, stages):
        files.append(item.path)
        if isinstance(item, LoadError):
            errors.append(_error_result(item))
        else:
            loaded.append(item)
    report = verify_loaded(loaded, config, progress, errors, files, stages)
    warnings = tuple(f"skipped {note}" for note in found.skipped) + report.warnings
    if report.results:
        return replace(report, warnings=warnings)
    if shard is not None and _another_shard_has_work(found.entries, shard, config):
        return replace(report, warnings=warnings + (_empty_shard_note(shard, len(files), len(found.entries)),))
    read = len(found.entries) if shard is not None else len(report.files)
    nothing = _nothing_checked(paths, read)
    if allow_empty:
        return replace(report, warnings=warnings + (f"{nothing.message}; passing (allow_empty)",))
    return replace(report, results=(nothing,), warnings=warnings)


def _another_shard_has_work(entries: list[str | LoadError], shard: Shard, config: CheckConfig) -> bool:
    """Whether a file of another shard holds a derivation or an error: then an empty shard may pass.

    A shard whose own files hold nothing must not pass a run in which no
    file holds anything: the unsharded run fails that one (exit 2), so every
    shard does. Files are loaded (not checked) until one holds something.
    """
    for entry in entries:
        if isinstance(entry, LoadError):
            if not shard.owns(entry.path):
                return True
            continue
        if not shard.owns(entry) and load_file(entry, config.max_file_bytes).items:
            return True
    return False


def _empty_shard_note(shard: Shard, mine: int, found: int) -> str:
    """The note of a shard that passes with nothing to check while other shards have work."""
    if mine == 0:
        return f"shard {shard}: none of the {found} file(s) found falls in this shard"
    return f"shard {shard}: its {mine} file(s) hold no derivation (the other shards' files do)"


def _nothing_checked(paths: list[str], read: int) -> Result:
    """The error of a run that checked nothing, saying what was searched (``read``: files found and read)."""
    if read:
        why = f"none of the {read} file(s) read holds a derivation"
    else:
        why = (
            "no derivation file found (looked for " + ", ".join("*" + s for s in SUFFIXES)
            + "; hidden files and folders are left out, symbolic links out of the tree are not followed)"
        )
    searched = ", ".join(paths) or "(no paths)"
    named = ", ".join(display_path(path) for path in paths) or "(no paths)"
    return Result(searched, None, "error", None, False, message=f"nothing to check in {named}: {why}")


@dataclass(frozen=True)
class Shard:
    """Part ``index`` (1-based) of ``count``: a file belongs to it by a hash of its relative path.

    The path is taken relative to the working directory, with ``/`` between
    parts, and hashed with SHA-256 (never Python's ``hash()``, which changes
    from process to process), so every machine puts a file in the same shard
    and the shards together hold every file exactly once.
    """

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """Read ``I/N`` (1 <= I <= N); ValueError with a message otherwise."""
        left, sep, right = text.partition("/")
        try:
            index, count = int(left), int(right)
        except ValueError:
            index = count = 0
        if not sep or not 1 <= index <= count or count > MAX_SHARDS:
            raise ValueError(f"--shard must be I/N with 1 <= I <= N <= {MAX_SHARDS} (e.g. 2/4), not '{text}'")
        return cls(index, count)

    def owns(self, path: str) -> bool:
        """Whether ``path`` belongs to this shard."""
        return shard_of(path, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(path: str, count: int) -> int:
    """The shard (1..count) of ``path``: SHA-256 of its path relative to the working directory."""
    import hashlib
    import os

    relative = os.path.relpath(os.path.abspath(path))
    key = relative.replace(os.sep, "/").encode("utf-8", "surrogateescape")
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % count + 1


def load_paths(paths: Iterable[str], config: CheckConfig) -> list[LoadedFile | LoadError]:
    """Find and load every file under ``paths``, in order; a path that does not exist is a LoadError."""
    return load_entries(find_files(list(paths)).entries, config)


def load_entries(
    entries: Iterable[str | LoadError], config: CheckConfig, stages: StageProgress | None = None
) -> list[LoadedFile | LoadError]:
    """Load the files found, in order; an entry that is already a LoadError (not found) stays one."""
    entries = list(entries)
    out: list[LoadedFile | LoadError] = []
    for entry in entries:
        out.append(entry if isinstance(entry, LoadError) else load_file(entry, config.max_file_bytes))
        if stages is not None:
            stages("reading", len(out), len(entries))
    return out


def verify_loaded(
    loaded: list[LoadedFile],
    config: CheckConfig,
    progress: Progress | None = None,
    errors: list[Result] | None = None,
    files: list[str] | None = None,
    stages: StageProgress | None = None,
) -> Report:
    """Check already loaded files (used by verify_paths and by tests): plan, run once, collect."""
    per_file: dict[str, list[Result | int]] = {}
    planned: list[PlannedCheck] = []
    empty = []
    for position, item in enumerate(loaded, start=1):
        if stages is not None:
            stages("parsing", position, len(loaded))
        entries: list[Result | int] = []
        if not item.items:
            empty.append(item.path)
        for doc in item.items:
            if isinstance(doc, LoadError):
                entries.append(_error_result(doc))
                continue
            try:
                checks = plan_document(doc, config, first_chain=len(planned))
            except FormatError as exc:
                entries.append(_error_result(LoadError(doc.path, exc.line, exc.message, doc.cell)))
                continue
            entries.extend(range(len(planned), len(planned) + len(checks)))
            entries.extend(_notice_result(doc, notice) for notice in doc.notices)
            planned.extend(checks)
        per_file[item.path] = entries
    stats = RunStats()
    checked = run_checks([p.check for p in planned], config, progress, stats)
    steps_at = _steps_by_position(planned)
    notes = slip_notes(planned, checked, steps_at)
    results: list[Result] = list(errors or [])
    for entries in per_file.values():
        for entry in entries:
            if isinstance(entry, Result):
                results.append(entry)
                continue
            plan, done = planned[entry], checked[entry]
            placement = done.placement
            chain = plan.check.chain
            previous = steps_at[chain][placement.against] if placement and chain is not None else plan.previous
            notes_of = notes.get(entry, ()) + plan.warnings + plan.doubtful + _other_reading_note(done.other_reading)
            results.append(_result(plan, done.outcome, config, notes_of, placement, previous))
    cell_lines = {item.path: item.cell_lines for item in loaded if item.cell_lines}
    results = [_with_file_line(result, cell_lines) for result in results]
    return Report(
        tuple(results),
        tuple(files if files is not None else [f.path for f in loaded]),
        config.strict,
        tuple(empty),
        cached=stats.cached,
        computed=stats.computed,
        warnings=tuple(stats.warnings),
    )


def parse_budget(config: CheckConfig) -> float:
    """CPU seconds allowed for reading one document's expressions: a backstop only.

    The work of reading is bounded first by fixed size limits checked before
    it is done (text length, nodes, nesting, digits), so a real document never
    comes near this; it is CPU time, so a loaded machine does not shrink it.
    """
    return max(config.timeout, PARSE_CPU_SECONDS)


def plan_document(doc: Document, config: CheckConfig, first_chain: int = 0) -> list[PlannedCheck]:
    """Parse a document and return its checks: adjacent steps, then numbers, then stability claims.

    The chains of the document are numbered from ``first_chain`` on (a run
    numbers the chains of all its documents in turn).
    """
    try:
        with time_limit(parse_budget(config)):
            parsed = parse_document(doc)
    except CheckTimeout:
        raise FormatError(
            f"reading the expressions took more than {parse_budget(config):g} s of CPU: an expression is far too "
            "large, or SymPy's automatic evaluation of it is slow (a function of an integral over an infinite "
            "range, for instance); split or simplify it",
            doc.line,
        ) from None
    except RecursionError:
        raise FormatError("an expression is nested too deeply", doc.line) from None
    symbols = tuple(parsed.symbols.values())
    functions = tuple(doc.functions)
    checks: list[PlannedCheck] = []
    for chain_index, chain in enumerate(parsed.chains, start=first_chain):
        conditions = parsed.assume + chain.when
        warnings = probable_every(conditions, parsed.symbols)
        anchor, anchor_index = chain.steps[0], 0
        since_anchor: list[str] = []
        for position, current in enumerate(chain.steps[1:], start=1):
            # Past a step marked wrong, the relation to the anchor is what the
            # skipped steps and this one conclude together (the strictest).
            since_anchor.append(current.step.rel)
            relation = chain_relation(since_anchor)
            text = current.step.expr.text
            equality = relation == "=="
            doubtful = tuple(dict.fromkeys((*(chain.steps[0].notes if position == 1 else ()), *current.notes)))
            diagnosis = DiagnoseTask(
                anchor.expr, current.expr, text, conditions, symbols, functions,
                writes_decimals(text, anchor.step.expr.text),
            ) if equality else None
            check = Check(
                task=StepTask(anchor.expr, current.expr, conditions, symbols, relation),
                chain=chain_index,
                link=Link(position, anchor_index, current.step.wrong is not None, current.step.expr.line),
                diagnosis=diagnosis,
                alternative=_alternative_task(current.step, anchor.expr, conditions, parsed) if equality else None,
            )
            checks.append(
                PlannedCheck(
                    file=doc.path, title=doc.title, cell=doc.cell, chain=chain.chain.label, kind="step",
                    line=current.step.expr.line, expr=text,
                    check=check, previous=anchor.step, step=current.step,
                    warnings=warnings if position == 1 else (), relation=relation, doubtful=doubtful,
                )
            )
            if current.step.wrong is None:
                anchor, anchor_index = current, position
                since_anchor = []
    for number in parsed.numbers:
        checks.append(
            PlannedCheck(
                file=doc.path, title=doc.title, cell=doc.cell, chain="numbers", kind="number", line=number.claim.line,
                expr=number.claim.expr.text, check=Check(task=NumberTask(number)),
            )
        )
    for claim in parsed.stability:
        checks.append(
            PlannedCheck(
                file=doc.path, title=doc.title, cell=doc.cell, chain="stability", kind="stability",
                line=claim.claim.line,
                expr=claim.claim.expr.text, check=Check(task=StabilityTask.from_parsed(claim)),
            )
        )
    return checks


def _steps_by_position(planned: list[PlannedCheck]) -> dict[int, dict[int, Step]]:
    """The steps of every chain, by chain number and position."""
    out: dict[int, dict[int, Step]] = {}
    for plan in planned:
        link, chain = plan.check.link, plan.check.chain
        if link is None or chain is None or plan.previous is None or plan.step is None:
            continue
        steps = out.setdefault(chain, {})
        steps.setdefault(link.previous, plan.previous)
        steps[link.position] = plan.step
    return out


def slip_notes(
    planned: list[PlannedCheck], checked: list[Checked], steps_at: dict[int, dict[int, Step]]
) -> dict[int, tuple[str, ...]]:
    """Human notes that say where each wrong step stands in its chain (from the typed roles), by check index."""
    notes: dict[int, tuple[str, ...]] = {}
    by_chain: dict[int, list[int]] = {}
    for index, plan in enumerate(planned):
        if plan.check.link is not None and plan.check.chain is not None:
            by_chain.setdefault(plan.check.chain, []).append(index)

    def placement_of(index: int) -> Placement:
        placement = checked[index].placement
        assert placement is not None  # every step of a chain is placed
        return placement

    for key, members in by_chain.items():
        first = True
        for position, index in enumerate(members):
            placement = placement_of(index)
            if placement.role is Role.SLIP or placement.role is Role.ANOTHER_ERROR:
                lead = "first error in this chain" if first else "another error in this chain"
                first = False
                # The steps after it, up to the first that does not follow from it (linear overall).
                after = (m for m in members[position + 1 :] if not _link(planned[m]).erratum)
                consistent: list[str] = []
                for member in after:
                    role = placement_of(member).role
                    if role is Role.RESUMES and not consistent:
                        anchor = placement_of(member).against
                        notes[index] = (
                            f"{lead}; only this step is a slip: the next step (line {planned[member].line}) equals "
                            f"line {steps_at[key][anchor].expr.line}, the last correct step, so the chain goes on",
                        )
                        break
                    if role is not Role.FOLLOWS_SLIP:
                        break
                    consistent.append(str(planned[member].line))
                if index in notes:
                    continue
                if consistent:
                    notes[index] = (
                        f"{lead}; the error propagates: line{'s' if len(consistent) > 1 else ''} "
                        f"{', '.join(consistent)} follow{'' if len(consistent) > 1 else 's'} from this step "
                        "(not counted as new errors)",
                    )
                else:
                    notes[index] = (lead,)
            elif placement.role is Role.RESUMES:
                notes[index] = (
                    f"checked against line {steps_at[key][placement.against].expr.line}, the last correct "
                    f"step before the slip at line {placement.slip_line}",
                )
            elif placement.role is Role.FOLLOWS_SLIP:
                notes[index] = (
                    f"consistent with the wrong step at line {placement.slip_line}: it follows from it "
                    "(the error is counted there)",
                )
    return notes


def _link(plan: PlannedCheck) -> Link:
    if plan.check.link is None:
        raise ValueError("a number claim has no place in a chain")
    return plan.check.link


def _result(
    check: PlannedCheck,
    outcome: Outcome,
    config: CheckConfig,
    notes: tuple[str, ...] = (),
    placement: Placement | None = None,
    previous: Step | None = None,
) -> Result:
    erratum = check.step.wrong if check.step is not None else None
    previous = previous if previous is not None else check.previous
    role = placement.role if placement is not None else None
    step = check.step
    # Sampling is the only evidence a float64 stability claim can have: its
    # numeric verdict passes under --strict too (docs/format.md).
    passing = passes(outcome.verdict, erratum, config.strict and check.kind != "stability")
    if config.strict and check.doubtful and erratum is None:
        passing = False  # a step that holds only because a derivative's variable is absent
    if step is not None and step.notes and (not passing or erratum is not None):
        notes = (*notes, *step.notes)
    return Result(
        file=check.file,
        line=check.line,
        kind=check.kind,
        verdict=outcome.verdict,
        passes=passing,
        title=check.title,
        chain=check.chain,
        expr=(step.latex if step is not None and step.latex is not None else check.expr).strip(),
        previous=_as_written(previous) if previous else "",
        previous_line=previous.expr.line if previous else None,
        by=step.by if step is not None else None,
        erratum=erratum,
        message="",
        outcome=outcome,
        notes=notes,
        role=role.value if role is not None else None,
        slip_line=placement.slip_line if placement is not None else None,
        relation=check.relation,
        cell=check.cell,
        parsed=step.expr.text.strip() if step is not None and step.latex is not None else None,
        previous_parsed=previous.expr.text.strip() if previous is not None and previous.latex is not None else None,
        doubtful=check.doubtful,
    )


def _alternative_task(
    step: Step, anchor: sympy.Expr, conditions: tuple[Condition, ...], parsed: ParsedDocument
) -> StepTask | None:
    """The check of a LaTeX step's other reading (a \\sum covering the terms after it), or None."""
    if step.alternative is None or parsed.scope is None:
        return None
    try:
        other = parse_expression(step.alternative, parsed.scope)
    except FormatError:
        return None
    return StepTask(anchor, other, conditions, tuple(parsed.symbols.values()))


def _other_reading_note(outcome: Outcome | None) -> tuple[str, ...]:
    """The note of a wrong LaTeX step whose other reading holds: the step fails only as read."""
    if outcome is None or outcome.verdict not in (Verdict.PROVED, Verdict.PROVED_FOR_SIZES):
        return ()
    return (
        "the step fails only as read, (Σ …) + …: with the \\sum covering the terms after it, it holds "
        f"({outcome.verdict.value}); write \\sum(… + …) if the sum covers both",
    )


def _as_written(step: Step) -> str:
    return (step.latex if step.latex is not None else step.expr.text).strip()


def _with_file_line(result: Result, cell_lines: dict[str, dict[int, tuple[int, ...]]]) -> Result:
    """A notebook's result with the line of the .ipynb file that holds its cell line."""
    from derivcheck.load.notebook import file_line

    if result.cell is None or result.file not in cell_lines:
        return result
    return replace(result, file_line=file_line(cell_lines[result.file], result.cell, result.line))


def _notice_result(doc: Document, notice: Text) -> Result:
    return Result(doc.path, notice.line, "note", None, True, title=doc.title, message=notice.text, cell=doc.cell)


def _error_result(error: LoadError) -> Result:
    return Result(error.path, error.line, "error", None, False, message=error.message, cell=error.cell)
