"""The pipeline: load -> parse -> check -> results. Everything the CLI does is callable here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from derivcheck.bounds import PARSE_CPU_SECONDS
from derivcheck.config import CheckConfig
from derivcheck.errors import CheckTimeout, FormatError
from derivcheck.load import LoadedFile, find_files, load_file
from derivcheck.load.discover import SUFFIXES
from derivcheck.model import Document, LoadError, Step
from derivcheck.printable import display_path
from derivcheck.results import Report, Result, passes

if TYPE_CHECKING:
    from derivcheck.check.evidence.slips import Link, Placement

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PlannedCheck:
    """A check to run and where its result goes in the report.

    A step check also knows its chain (``chain_key``) and its ``link``: its
    position and the position of the step it is checked against.
    """

    file: str
    title: str
    chain: str
    kind: str
    line: int
    expr: str
    previous: Step | None
    step: Step | None
    task: Any  # StepTask for a step, NumberTask for a number
    chain_key: tuple = ()
    link: Link | None = None
    functions: tuple = ()
    warnings: tuple[str, ...] = ()
    relation: str = "=="
    cell: int | None = None
    alternative: object = None  # the step read another way (LaTeX \sum past '+'), run if it is wrong
    doubtful: tuple[str, ...] = ()  # notes that fail the step under --strict (a derivative 0 by absence)


def verify_paths(
    paths: Iterable[str],
    config: CheckConfig | None = None,
    progress: Progress | None = None,
    shard: Shard | None = None,
) -> Report:
    """Check every derivation found under ``paths`` and return the Report.

    With ``shard`` only the files of that shard are checked (see ``Shard``).
    A run that finds nothing to check is an error (exit 2), not a pass.
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
    for item in load_entries(entries, config):
        files.append(item.path)
        if isinstance(item, LoadError):
            errors.append(_error_result(item))
        else:
            loaded.append(item)
    report = verify_loaded(loaded, config, progress, errors, files)
    warnings = tuple(f"skipped {note}" for note in found.skipped) + report.warnings
    if report.results:
        return replace(report, warnings=warnings)
    if shard is not None and _another_shard_has_work(found.entries, shard, config):
        return replace(report, warnings=warnings + (_empty_shard_note(shard, len(files), len(found.entries)),))
    read = len(found.entries) if shard is not None else len(report.files)
    return replace(report, results=(_nothing_checked(paths, read),), warnings=warnings)


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
        if not sep or not 1 <= index <= count or count > 10_000:
            raise ValueError(f"--shard must be I/N with 1 <= I <= N <= 10000 (e.g. 2/4), not '{text}'")
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


def load_entries(entries: Iterable[str | LoadError], config: CheckConfig) -> list[LoadedFile | LoadError]:
    """Load the files found, in order; an entry that is already a LoadError (not found) stays one."""
    return [entry if isinstance(entry, LoadError) else load_file(entry, config.max_file_bytes) for entry in entries]


def verify_loaded(
    loaded: list[LoadedFile],
    config: CheckConfig,
    progress: Progress | None = None,
    errors: list[Result] | None = None,
    files: list[str] | None = None,
) -> Report:
    """Check already loaded files (used by verify_paths and by tests)."""
    from derivcheck.check.run.runner import RunStats, diagnose_wrong, run_tasks

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
                entries.append(_error_result(LoadError(doc.path, exc.line, exc.message, doc.cell)))
                continue
            entries.extend(checks)
            entries.extend(_notice_result(doc, notice) for notice in doc.notices)
            planned.extend(checks)
        per_file[item.path] = entries
    stats = RunStats()
    outcomes = run_tasks([p.task for p in planned], config, progress, stats)
    placements = place_slips(planned, outcomes, config, stats)
    outcomes = [placements[id(p)].outcome if id(p) in placements else o for p, o in zip(planned, outcomes)]
    outcomes = diagnose_wrong(outcomes, [_diagnosis(p) for p in planned], config, stats)
    other_readings = _other_readings(planned, outcomes, config, stats)
    by_check = dict(zip(map(id, planned), outcomes))
    steps_at = _steps_by_position(planned)
    results: list[Result] = list(errors or [])
    for path in per_file:
        entries = per_file[path]
        checked = [e for e in entries if isinstance(e, PlannedCheck)]
        notes = slip_notes(checked, placements, steps_at)
        for entry in entries:
            if isinstance(entry, Result):
                results.append(entry)
            else:
                placement = placements.get(id(entry))
                previous = steps_at[entry.chain_key][placement.against] if placement else entry.previous
                notes_of = (
                    notes.get(id(entry), ()) + entry.warnings + entry.doubtful + other_readings.get(id(entry), ())
                )
                results.append(_result(entry, by_check[id(entry)], config, notes_of, placement, previous))
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


def plan_document(doc: Document, config: CheckConfig) -> list[PlannedCheck]:
    """Parse a document and return its checks: adjacent steps, then numbers."""
    from derivcheck.check.evidence.slips import Link
    from derivcheck.check.ladder.engine import NumberTask, StepTask
    from derivcheck.check.limits import time_limit
    from derivcheck.check.screen.stability import StabilityTask
    from derivcheck.load.documents import chain_relation
    from derivcheck.parse.document import parse_document
    from derivcheck.parse.expressions import probable_every

    try:
        with time_limit(parse_budget(config)):
            parsed = parse_document(doc)
    except CheckTimeout:
        raise FormatError("reading the expressions took too long (an expression is far too large)", doc.line) from None
    except RecursionError:
        raise FormatError("an expression is nested too deeply", doc.line) from None
    symbols = tuple(parsed.symbols.values())
    functions = tuple(doc.functions)
    checks: list[PlannedCheck] = []
    for chain_index, chain in enumerate(parsed.chains):
        conditions = parsed.assume + chain.when
        warnings = probable_every(conditions, parsed.symbols)
        anchor, anchor_index = chain.steps[0], 0
        since_anchor: list[str] = []
        for position, current in enumerate(chain.steps[1:], start=1):
            # Past a step marked wrong, the relation to the anchor is what the
            # skipped steps and this one conclude together (the strictest).
            since_anchor.append(current.step.rel)
            relation = chain_relation(since_anchor)
            task = StepTask(anchor.expr, current.expr, conditions, symbols, relation)
            doubtful = tuple(dict.fromkeys((*(chain.steps[0].notes if position == 1 else ()), *current.notes)))
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
                    (doc.path, doc.line, id(doc), chain_index),
                    Link(position, anchor_index, current.step.wrong is not None, current.step.expr.line),
                    functions,
                    warnings=warnings if position == 1 else (),
                    relation=relation,
                    cell=doc.cell,
                    alternative=_alternative_task(current.step, anchor.expr, conditions, parsed)
                    if relation == "==" else None,
                    doubtful=doubtful,
                )
            )
            if current.step.wrong is None:
                anchor, anchor_index = current, position
                since_anchor = []
    for number in parsed.numbers:
        checks.append(
            PlannedCheck(
                doc.path, doc.title, "numbers", "number", number.claim.line,
                number.claim.expr.text, None, None, NumberTask(number), cell=doc.cell,
            )
        )
    for claim in parsed.stability:
        checks.append(
            PlannedCheck(
                doc.path, doc.title, "stability", "stability", claim.claim.line,
                claim.claim.expr.text, None, None, StabilityTask.from_parsed(claim),
            )
        )
    return checks


def place_slips(planned: list[PlannedCheck], outcomes: list, config: CheckConfig, stats=None) -> dict:
    """Place every step in its chain (see ``check.slips``), running the re-checks it needs.

    Returns ``{id(check): Placement}`` for every step check.
    """
    from derivcheck.bounds import MAX_SLIP_ROUNDS as MAX_ROUNDS
    from derivcheck.check.evidence.slips import walk
    from derivcheck.check.ladder.engine import StepTask
    from derivcheck.check.run.runner import run_tasks

    chains: dict[tuple, list[int]] = {}
    for index, check in enumerate(planned):
        if check.link is not None:
            chains.setdefault(check.chain_key, []).append(index)
    rechecked: dict[tuple, dict] = {key: {} for key in chains}
    placements: dict[int, Placement] = {}
    for round_number in range(MAX_ROUNDS + 1):
        wanted: list[tuple[tuple, tuple[int, int], StepTask]] = []
        for key, members in chains.items():
            links = [_link(planned[i]) for i in members]
            placed, needed = walk(links, [outcomes[i] for i in members], rechecked[key])
            for i, placement in zip(members, placed):
                placements[id(planned[i])] = placement
            exprs = _exprs_by_position([planned[i] for i in members])
            for k, anchor in needed:
                task = planned[members[k]].task
                if task.relation != "==":
                    continue  # an inequality step is reported as checked (never re-checked)
                wanted.append((key, (k, anchor), StepTask(exprs[anchor], task.current, task.conditions, task.symbols)))
        if not wanted or round_number == MAX_ROUNDS:
            break  # a re-check never run leaves the step as it was checked: never a pass it did not earn
        found = run_tasks([task for _, _, task in wanted], config, stats=stats)
        for (key, pair, _), outcome in zip(wanted, found):
            rechecked[key][pair] = outcome
    return placements


def _exprs_by_position(members: list[PlannedCheck]) -> dict:
    exprs = {0: members[0].task.previous}
    for check in members:
        exprs[_link(check).position] = check.task.current
    return exprs


def _link(check: PlannedCheck) -> Link:
    if check.link is None:
        raise ValueError("a number claim has no place in a chain")
    return check.link


def _steps_by_position(planned: list[PlannedCheck]) -> dict[tuple, dict[int, Step]]:
    out: dict[tuple, dict[int, Step]] = {}
    for check in planned:
        if check.link is None or check.previous is None or check.step is None:
            continue
        steps = out.setdefault(check.chain_key, {})
        steps.setdefault(check.link.previous, check.previous)
        steps[check.link.position] = check.step
    return out


def _diagnosis(check: PlannedCheck):
    """The task that explains a step if it is reported wrong (against the step it was checked with)."""
    from derivcheck.check.evidence.diagnose import DiagnoseTask, writes_decimals

    if check.link is None or check.relation != "==":
        return None
    task = check.task
    decimals = writes_decimals(check.expr, check.previous.expr.text if check.previous else "")
    return DiagnoseTask(
        task.previous, task.current, check.expr, task.conditions, task.symbols, check.functions, decimals
    )


def slip_notes(checks: list[PlannedCheck], placements: dict, steps_at: dict) -> dict[int, tuple[str, ...]]:
    """Human notes that say where each wrong step stands in its chain (from the typed roles)."""
    from derivcheck.check.evidence.slips import Role

    notes: dict[int, tuple[str, ...]] = {}
    by_chain: dict[tuple, list[PlannedCheck]] = {}
    for check in checks:
        if check.link is not None:
            by_chain.setdefault(check.chain_key, []).append(check)
    for key, members in by_chain.items():
        first = True
        for position, check in enumerate(members):
            placement = placements[id(check)]
            if placement.role is Role.SLIP or placement.role is Role.ANOTHER_ERROR:
                lead = "first error in this chain" if first else "another error in this chain"
                first = False
                # The steps after it, up to the first that does not follow from it (linear overall).
                after = (members[i] for i in range(position + 1, len(members)) if not _link(members[i]).erratum)
                consistent: list[str] = []
                for member in after:
                    role = placements[id(member)].role
                    if role is Role.RESUMES and not consistent:
                        anchor = placements[id(member)].against
                        notes[id(check)] = (
                            f"{lead}; only this step is a slip: the next step (line {member.line}) equals "
                            f"line {steps_at[key][anchor].expr.line}, the last correct step, so the chain goes on",
                        )
                        break
                    if role is not Role.FOLLOWS_SLIP:
                        break
                    consistent.append(str(member.line))
                if id(check) in notes:
                    continue
                if consistent:
                    notes[id(check)] = (
                        f"{lead}; the error propagates: line{'s' if len(consistent) > 1 else ''} "
                        f"{', '.join(consistent)} follow{'' if len(consistent) > 1 else 's'} from this step "
                        "(not counted as new errors)",
                    )
                else:
                    notes[id(check)] = (lead,)
            elif placement.role is Role.RESUMES:
                notes[id(check)] = (
                    f"checked against line {steps_at[key][placement.against].expr.line}, the last correct "
                    f"step before the slip at line {placement.slip_line}",
                )
            elif placement.role is Role.FOLLOWS_SLIP:
                notes[id(check)] = (
                    f"consistent with the wrong step at line {placement.slip_line}: it follows from it "
                    "(the error is counted there)",
                )
    return notes


def _result(
    check: PlannedCheck,
    outcome,
    config: CheckConfig,
    notes: tuple[str, ...] = (),
    placement=None,
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


def _alternative_task(step: Step, anchor, conditions, parsed):
    """The check of a LaTeX step's other reading (a \\sum covering the terms after it), or None."""
    from derivcheck.check.ladder.engine import StepTask
    from derivcheck.parse.expressions import parse_expression

    if step.alternative is None or parsed.scope is None:
        return None
    try:
        other = parse_expression(step.alternative, parsed.scope)
    except FormatError:
        return None
    return StepTask(anchor, other, conditions, tuple(parsed.symbols.values()))


def _other_readings(planned: list[PlannedCheck], outcomes: list, config: CheckConfig, stats=None) -> dict:
    """Notes for wrong LaTeX steps whose other reading holds: the step fails only as read."""
    from derivcheck.check.outcome import Verdict
    from derivcheck.check.run.runner import run_tasks

    wrong = [i for i, (check, outcome) in enumerate(zip(planned, outcomes))
             if check.alternative is not None and outcome.verdict is Verdict.WRONG]
    if not wrong:
        return {}
    tried = run_tasks([planned[i].alternative for i in wrong], config, stats=stats)
    notes = {}
    for index, outcome in zip(wrong, tried):
        if outcome.verdict in (Verdict.PROVED, Verdict.PROVED_FOR_SIZES):
            notes[id(planned[index])] = (
                "the step fails only as read, (Σ …) + …: with the \\sum covering the terms after it, it holds "
                f"({outcome.verdict.value}); write \\sum(… + …) if the sum covers both",
            )
    return notes


def _as_written(step: Step) -> str:
    return (step.latex if step.latex is not None else step.expr.text).strip()


def _with_file_line(result: Result, cell_lines: dict[str, dict[int, tuple[int, ...]]]) -> Result:
    """A notebook's result with the line of the .ipynb file that holds its cell line."""
    from derivcheck.load.notebook import file_line

    if result.cell is None or result.file not in cell_lines:
        return result
    return replace(result, file_line=file_line(cell_lines[result.file], result.cell, result.line))


def _notice_result(doc: Document, notice) -> Result:
    return Result(doc.path, notice.line, "note", None, True, title=doc.title, message=notice.text, cell=doc.cell)


def _error_result(error: LoadError) -> Result:
    return Result(error.path, error.line, "error", None, False, message=error.message, cell=error.cell)
