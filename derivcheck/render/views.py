"""What a rendered page shows: documents typeset as boxes, each step with its verdict mark.

``collect_files`` loads the inputs, checks them (unless told not to) and
returns one FileView per input. The writers (``markdown``, ``html``,
``latex``) only format these views.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from derivcheck.check.outcome import Verdict
from derivcheck.config import CheckConfig
from derivcheck.load import LoadedFile
from derivcheck.load.latex import latex_blocks
from derivcheck.load.markdown import Block, scan_blocks
from derivcheck.model import Document, LoadError, NumberClaim, NumberValue, StabilityClaim
from derivcheck.printable import printable
from derivcheck.render.boxes import Box, Fenced, Op, row
from derivcheck.render.expressions import (
    layout_condition,
    layout_definition,
    layout_expression,
    layout_name,
)
from derivcheck.results import Report, Result

COMMA = Op(",", ",", "sep")


Rendered = TypeVar("Rendered")

@dataclass(frozen=True)
class Mark:
    """A verdict as a reader sees it: a symbol, a label, a tone for colour, the evidence in words.

    ``tone`` is ``proved``, ``sizes``, ``numeric``, ``wrong``, ``unknown``,
    ``erratum`` (a step marked wrong and refuted, as it should be) or
    ``erratum-missed`` (marked wrong but not refuted) or ``noted`` (proved, but failing
    because of a note, e.g. an absent variable under ``--strict``).
    """

    symbol: str
    label: str
    tone: str
    passes: bool
    detail: str = ""
    suggestion: str | None = None
    bound: int | None = None
    # A counterexample as data (names as written, values as computed) and both sides there:
    # reader pages show them as math with short decimals.
    point: tuple[tuple[str, str], ...] = ()
    values: tuple[str, ...] = ()

    @property
    def tag(self) -> str:
        """The symbol with the size bound (``✓≤4``), for a narrow column beside the math."""
        return f"{self.symbol}≤{self.bound}" if self.bound else self.symbol


@dataclass(frozen=True)
class StepView:
    """One step: its typeset expression, its line, the author's reason and its verdict mark.

    ``relation`` is empty for the first step of a chain, ``≠`` for a step shown
    wrong, else ``=``; an inequality step shows its own ``≤ < ≥ >`` (crossed
    out, ``≰ ≮ ≱ ≯``, when shown wrong); ``against`` is the line the step was checked against
    when that is not the step just before (after a step marked ``wrong:``).
    """

    box: Box
    text: str
    line: int
    by: str | None = None
    erratum: str | None = None
    mark: Mark | None = None
    relation: str = "="
    against: int | None = None
    notes: tuple[str, ...] = ()
    cell: int | None = None  # the notebook cell that holds the step
    latex: str | None = None  # a LaTeX step: the author's text of it


@dataclass(frozen=True)
class ChainView:
    """A chain of steps, with the typeset conditions of its case (none for the top level)."""

    label: str
    when: tuple[Box, ...]
    steps: tuple[StepView, ...]
    line: int


@dataclass(frozen=True)
class NumberView:
    """A number claim: the expression, the values it is taken at, the claimed and computed values."""

    box: Box
    text: str
    at: tuple[Box, ...]
    claimed: str
    computed: str | None
    mark: Mark | None
    line: int


@dataclass(frozen=True)
class StabilityView:
    """A stability claim: the expression, its ranges and values, what was claimed and what was found.

    ``evidence`` is the check's JSON-ready evidence (points, worst or first
    failing point, the error series for a plot); empty when not checked.
    """

    box: Box
    text: str
    over: tuple[Box, ...]
    at: tuple[Box, ...]
    claim: str
    found: str | None
    mark: Mark | None
    line: int
    evidence: dict = field(default_factory=dict)


MATH_STYLES = ("github", "dollars", "brackets")


@dataclass(frozen=True)
class PageOptions:
    """How a page is written.

    ``math``: the delimiters of the math derivcheck writes in Markdown —
    ``github`` (``$`…`$`` and ``$$``), ``dollars`` (``$…$`` and ``$$``, for
    Jekyll, Hugo, Quarto, MathJax pages) or ``brackets`` (``\\(…\\)`` and
    ``\\[…\\]``, for MkDocs with pymdownx.arithmatex). ``reader``: a published
    page — no source lines, counterexamples as math with short decimals.
    ``source_url``: a pattern for the link to each input (``{path}`` is its
    path); ``source_links=False`` links nothing. ``marks=False`` leaves the
    author's LaTeX without verdict marks; ``tooltips`` puts each mark's
    evidence in a MathJax tooltip (``\\texttip``) too. ``prose_math``: the
    GitHub-only math of a post's prose (`` $`…`$ ``, ```` ```math ```` blocks)
    is written in the ``math`` style too.
    """

    math: str = "github"
    reader: bool = False
    source_url: str | None = None
    source_links: bool = True
    marks: bool = True
    tooltips: bool = False
    prose_math: bool = True


# How each relation of a step is shown: Unicode (MathML), and LaTeX.
RELATION_SIGNS = {"==": "=", "<=": "≤", "<": "<", ">=": "≥", ">": ">"}
CROSSED = {"=": "≠", "≤": "≰", "<": "≮", "≥": "≱", ">": "≯"}
RELATION_LATEX = {
    "": "", "=": "=", "≠": "\\neq", "≤": "\\le", "<": "<", "≥": "\\ge", ">": ">",
    "≰": "\\nleq", "≮": "\\nless", "≱": "\\ngeq", "≯": "\\ngtr",
}


@dataclass(frozen=True)
class ErrorView:
    """Something that could not be read or checked, at its line when known."""

    line: int | None
    message: str
    cell: int | None = None


@dataclass(frozen=True)
class DocumentView:
    """One derivation, typeset."""

    title: str
    line: int
    source: str | None
    definitions: tuple[Box, ...]
    assume: tuple[Box, ...]
    chains: tuple[ChainView, ...]
    numbers: tuple[NumberView, ...]
    errors: tuple[ErrorView, ...] = ()
    stability: tuple[StabilityView, ...] = ()
    cell: int | None = None  # the notebook cell that holds the derivation

    def marks(self) -> list[Mark]:
        """Every verdict mark of the document, steps first."""
        out = [s.mark for c in self.chains for s in c.steps if s.mark is not None]
        out += [n.mark for n in self.numbers if n.mark is not None]
        return out + [c.mark for c in self.stability if c.mark is not None]


@dataclass(frozen=True)
class FileView:
    """One input file: its documents and errors in file order.

    For a Markdown post, ``text`` is the whole post with each LaTeX derivation
    turned into an empty fenced block of the same lines (``latex_as_fences``),
    ``original`` the post as written, and ``blocks`` its derivation blocks; each
    part belongs to the block whose lines hold it. For a notebook, ``cells``
    holds every cell as (number, type, source).
    """

    path: str
    kind: str
    parts: tuple[DocumentView | ErrorView, ...]
    checked: bool
    text: str | None = None
    blocks: tuple[Block, ...] = field(default=())
    original: str | None = None
    cells: tuple[tuple[int, str, str], ...] = field(default=())

    @property
    def documents(self) -> list[DocumentView]:
        return [p for p in self.parts if isinstance(p, DocumentView)]

    @property
    def errors(self) -> list[ErrorView]:
        out = [p for p in self.parts if isinstance(p, ErrorView)]
        return out + [e for d in self.documents for e in d.errors]

    @property
    def title(self) -> str:
        """A post's first heading, else the first document's title, else the file name."""
        if self.text is not None:
            heading = _first_heading(self.text)
            if heading:
                return heading
        docs = self.documents
        return docs[0].title if docs else self.path.replace("\\", "/").rsplit("/", 1)[-1]

    def marks(self) -> list[Mark]:
        return [m for d in self.documents for m in d.marks()]

    def summary(self) -> str:
        """``12 steps and 2 numbers: 11 proved, 1 erratum refuted`` or why there is none."""
        steps = sum(len(c.steps) - 1 for d in self.documents for c in d.chains)
        numbers = sum(len(d.numbers) for d in self.documents)
        claims = sum(len(d.stability) for d in self.documents)
        errors = len(self.errors)
        tail = f"; {_plural(errors, 'error')}" if errors else ""
        if not self.documents and not errors:
            return "no derivation blocks (nothing to check)" if self.kind != "yaml" else "nothing to check"
        head = " and ".join(
            _plural(count, word)
            for count, word in ((steps, "step"), (numbers, "number"), (claims, "stability claim"))
            if count
        ) or "nothing to check"
        if not self.checked:
            return f"{head}, not checked{tail}"
        counts = Counter(m.tone for m in self.marks())
        words = [f"{counts[tone]} {TONE_WORDS[tone]}" for tone in TONE_WORDS if counts[tone]]
        return f"{head}: {', '.join(words) or 'none checked'}{tail}"


TONE_WORDS = {
    "proved": "proved",
    "sizes": "proved for sizes",
    "numeric": "numeric",
    "wrong": "wrong",
    "unknown": "unknown",
    "erratum": "erratum refuted",
    "erratum-missed": "erratum not refuted",
    "noted": "proved but failing (a note)",
}


def _first_heading(text: str) -> str | None:
    from derivcheck.load.markdown import markdown_parser

    tokens = markdown_parser().parse(text)
    for first, second in zip(tokens, tokens[1:]):
        if first.type == "heading_open" and second.type == "inline":
            return _one_line(second.content)
    return None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def collect_files(
    paths: list[str], config: CheckConfig, check: bool = True
) -> tuple[list[FileView], list[str]]:
    """Load, check and typeset every file under ``paths``; return the views and the missing paths.

    A Markdown file without derivation blocks found in a directory is left out
    (it is a README, not a post); one named on the command line is kept.
    """
    from derivcheck.api import load_paths, verify_loaded

    missing: list[str] = []
    loaded: list[LoadedFile] = []
    texts: dict[str, str] = {}
    named = set(paths)
    for item in load_paths(paths, config):
        if isinstance(item, LoadError):
            missing.append(item.path)
            continue
        if item.kind in ("markdown", "notebook"):
            if not item.items and item.path not in named:
                continue
            text = _read_post(item.path, config.max_file_bytes)
            if text is not None:
                texts[item.path] = text
        loaded.append(item)
    report = verify_loaded(loaded, config) if check and loaded else None
    return [file_view(item, report, texts.get(item.path)) for item in loaded], missing


ResultKey = tuple[str, int | None, int, str, str]


def file_view(item: LoadedFile, report: Report | None, text: str | None = None) -> FileView:
    """The view of one loaded file with the verdicts of ``report`` (None: not checked).

    ``text`` is the file as written: a post keeps it around its derivations, a
    notebook its cells.
    """
    results: dict[ResultKey, Result] = {}
    errors: list[Result] = []
    for result in report.results if report is not None else ():
        if result.file != item.path:
            continue
        if result.is_error:
            errors.append(result)
        elif result.line is not None:
            results[(result.file, result.cell, result.line, result.kind, result.expr)] = result
    if item.kind == "notebook":
        return _notebook_view(item, results, errors, report is not None, text)
    return _file_view(item, results, errors, report is not None, text if item.kind == "markdown" else None)


def _notebook_view(
    item: LoadedFile, results: dict[ResultKey, Result], errors: list[Result], checked: bool, text: str | None
) -> FileView:
    from derivcheck.errors import FormatError
    from derivcheck.load.notebook import notebook_cells

    view = _file_view(item, results, errors, checked, None)
    try:
        cells = tuple((n, kind, visible(source)) for n, kind, source in notebook_cells(text)) if text else ()
    except FormatError:
        cells = ()
    return replace(view, cells=cells)


def _read_post(path: str, max_bytes: int) -> str | None:
    from pathlib import Path

    from derivcheck.errors import FormatError
    from derivcheck.load.documents import read_text_file

    try:
        return read_text_file(Path(path), max_bytes)
    except FormatError:
        return None


def _file_view(
    item: LoadedFile,
    results: dict[ResultKey, Result],
    error_results: list[Result],
    checked: bool,
    text: str | None,
) -> FileView:
    known = {(e.cell, e.line, e.message) for e in item.items if isinstance(e, LoadError)}
    extra = [ErrorView(r.line, r.message, r.cell) for r in error_results if (r.cell, r.line, r.message) not in known]
    documents = [d for d in item.items if isinstance(d, Document)]
    parts: list[DocumentView | ErrorView] = []
    for entry in item.items:
        if isinstance(entry, LoadError):
            parts.append(ErrorView(entry.line, entry.message, entry.cell))
            continue
        mine = [e for e in extra if _owner(e, documents) is entry]
        parts.append(document_view(entry, results, checked, tuple(mine)))
    parts.extend(e for e in extra if _owner(e, documents) is None)
    return post_view(item.path, item.kind, tuple(parts), checked, text)


def post_view(
    path: str, kind: str, parts: tuple[DocumentView | ErrorView, ...], checked: bool, text: str | None
) -> FileView:
    """A FileView of ``parts``; with ``text`` (a post, or one cell of a notebook) the text and its blocks too."""
    if text is None:
        return FileView(path, kind, parts, checked)
    text = visible(text)
    fenced = latex_as_fences(text)
    return FileView(path, kind, parts, checked, fenced, tuple(scan_blocks(fenced)[0]), original=text)


def latex_as_fences(text: str) -> str:
    """The post with each LaTeX derivation (its comment to the end of its display math) turned into an
    empty ```derivation block of the same lines, so that every writer renders it in place."""
    blocks = latex_blocks(text)
    if not blocks:
        return text
    lines = text.split("\n")
    for block in blocks:
        first, last = block.fence_line - 1, block.end_line - 1
        if last <= first:
            continue  # comment and math on one line: the rendering goes before the post
        lines[first : last + 1] = ["```derivation"] + [""] * (last - first - 1) + ["```"]
    return "\n".join(lines)


def _owner(error: ErrorView, documents: list[Document]) -> Document | None:
    if error.line is None:
        return None
    before = [d for d in documents if d.cell == error.cell and d.line <= error.line]
    return max(before, key=lambda d: d.line) if before else None


def document_view(
    doc: Document,
    results: dict[ResultKey, Result] | None = None,
    checked: bool = False,
    errors: tuple[ErrorView, ...] = (),
) -> DocumentView:
    """Typeset one document; ``results`` (by file, line, kind, text as written) give the verdict marks."""
    results = results or {}
    chains = []
    for chain in sorted(doc.chains, key=lambda c: c.line):  # as written: cases may come before steps
        steps = []
        previous_line = None
        for position, step in enumerate(chain.steps):
            shown = (step.latex if step.latex is not None else step.expr.text).strip()
            result = results.get((doc.path, doc.cell, step.expr.line, "step", shown)) if position else None
            mark = mark_of(result) if result is not None else None
            relation = "" if position == 0 else RELATION_SIGNS.get(step.rel, "=")
            if relation and result is not None and result.verdict is Verdict.WRONG:
                relation = CROSSED[relation]
            against = None
            if result is not None and result.previous_line not in (None, previous_line):
                against = result.previous_line
            steps.append(
                StepView(
                    layout_expression(step.expr.text, step.expr.tree),
                    step.expr.text.strip(),
                    step.expr.line,
                    _one_line(step.by),
                    _one_line(step.wrong),
                    mark,
                    relation,
                    against,
                    tuple(result.notes) if result is not None else (),
                    doc.cell,
                    step.latex.strip() if step.latex is not None else None,
                )
            )
            previous_line = step.expr.line
        when = tuple(layout_condition(t.text, t.tree) for t in chain.when)
        chains.append(ChainView(chain.label, when, tuple(steps), chain.line))
    numbers = tuple(
        _number_view(doc, n, results.get((doc.path, doc.cell, n.line, "number", n.expr.text.strip())))
        for n in doc.numbers
    )
    stability = tuple(
        _stability_view(c, results.get((doc.path, doc.cell, c.line, "stability", c.expr.text.strip())))
        for c in getattr(doc, "stability", ())
    )
    definitions = tuple(
        layout_definition(f.name, f.params, f.body.text if f.body else None) for f in doc.functions
    )
    return DocumentView(
        title=_one_line(doc.title) or "",
        line=doc.line,
        source=_one_line(doc.source),
        definitions=definitions,
        assume=tuple(layout_condition(t.text) for t in doc.assume),
        chains=tuple(chains),
        numbers=numbers,
        errors=errors,
        stability=stability,
        cell=doc.cell,
    )


def _stability_view(claim: StabilityClaim, result: Result | None) -> StabilityView:
    over = tuple(
        row(
            layout_name(name),
            Op("\\in", "∈"),
            Fenced("[", "]", row(layout_expression(low.text), COMMA, layout_expression(high.text))),
        )
        for name, low, high in claim.over
    )
    at = tuple(row(layout_name(name), Op("=", "="), layout_expression(value.text)) for name, value in claim.at)
    evidence = {}
    if result is not None and result.outcome is not None:
        evidence = dict(result.outcome.stability or {})
    found = evidence.get("found")
    return StabilityView(
        layout_expression(claim.expr.text),
        claim.expr.text.strip(),
        over,
        at,
        "stable" if claim.stable else "unstable",
        found,
        stability_mark(result, found) if result is not None else None,
        claim.line,
        evidence,
    )


def stability_mark(result: Result, found: str | None) -> Mark:
    """The mark of a stability claim: confirmed (sampled evidence, never 'proved'), contradicted, or unknown."""
    detail = result.outcome.detail if result.outcome is not None else ""
    if result.passes:
        return Mark("≈", f"{found} as claimed (sampled)", "numeric", True, detail)
    if found:
        claim = "unstable" if found == "stable" else "stable"
        return Mark("✗", f"claimed {claim}, found {found}", "wrong", False, detail)
    return Mark("?", "unknown", "unknown", False, detail)


def stability_summary(view: StabilityView) -> str:
    """One line of evidence: the worst point of a stable expression, or the first failing point."""
    evidence = view.evidence
    first, worst = evidence.get("first_failing"), evidence.get("worst")
    if first:
        where = ", ".join(f"{k} = {v}" for k, v in first["at"].items())
        text = f"first failing at {where}: float64 {first['float64']}, true {first['true']}"
        if first.get("operation"):
            text += f"; {first['operation']}"
        return text
    if worst:
        where = ", ".join(f"{k} = {v}" for k, v in worst["at"].items())
        return f"worst relative error {worst['relative_error']} at {where}"
    return view.mark.detail if view.mark is not None else ""


def _number_view(doc: Document, claim: NumberClaim, result: Result | None) -> NumberView:
    at = tuple(row(layout_name(name), Op("=", "="), _value_box(value)) for name, value in claim.at)
    computed = None
    if result is not None and result.outcome is not None and result.outcome.value:
        computed = ", ".join(_short_number(v) for v in result.outcome.value)
    return NumberView(
        layout_expression(claim.expr.text),
        claim.expr.text.strip(),
        at,
        _node_text(claim.claimed),
        computed,
        mark_of(result) if result is not None else None,
        claim.line,
    )


def _value_box(value: NumberValue) -> Box:
    if not value.is_list:
        return layout_expression(value.items[0].text)
    items: list[Box] = []
    for i, item in enumerate(value.items):
        if i:
            items.append(COMMA)
        items.append(layout_expression(item.text))
    return Fenced("[", "]", row(*items) if items else row())


def _node_text(value: NumberValue) -> str:
    if not value.is_list:
        return value.items[0].text.strip()
    return "[" + ", ".join(item.text.strip() for item in value.items) + "]"


def _short_number(text: str, digits: int = 6) -> str:
    """A computed value shortened for a table (``0.145294766…`` becomes ``0.145295``)."""
    try:
        value = float(text)
    except ValueError:
        return text
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.{digits}g}"


def _one_line(text: str | None) -> str | None:
    return one_line(text) if text is not None else None


def one_line(text: str) -> str:
    """Text from a file on one line as a page shows it: white space one space, controls as escapes (``\\x1b``)."""
    return printable(" ".join(text.split()))


def visible(text: str) -> str:
    """Text from a file as a page shows it: line breaks and tabs kept, every other control,
    line-separator or bidirectional character written as an escape (ESC as ``\\x1b``)."""
    return "\n".join(printable(line) for line in text.replace("\r\n", "\n").split("\n"))


def mark_of(result: Result) -> Mark:
    """The reader's mark of one checked step or number."""
    outcome = result.outcome
    verdict = result.verdict
    if result.erratum is not None:
        if result.passes:
            return Mark("✗", "erratum, refuted as marked", "erratum", True, _counterexample(result), **_point(result))
        return Mark("!", f"marked wrong but {verdict}", "erratum-missed", False, _evidence(result))
    if verdict in (Verdict.PROVED, Verdict.PROVED_FOR_SIZES) and not result.passes:
        reason = "; ".join(result.doubtful or result.notes)
        return Mark("!", f"{verdict}, but failing", "noted", False, reason)
    if verdict is Verdict.PROVED:
        return Mark("✓", "proved", "proved", result.passes, _evidence(result))
    if verdict is Verdict.PROVED_FOR_SIZES:
        bound = outcome.size_bound if outcome is not None else None
        label = f"proved for sizes ≤ {bound}" if bound else "proved for sizes"
        return Mark("✓", label, "sizes", result.passes, _evidence(result), bound=bound)
    if verdict is Verdict.NUMERIC:
        return Mark("≈", "numeric", "numeric", result.passes, _evidence(result))
    if verdict is Verdict.WRONG:
        suggestion = result.outcome.suggestion if result.outcome is not None else None
        return Mark("✗", "wrong", "wrong", result.passes, _counterexample(result), suggestion, **_point(result))
    return Mark("?", "unknown", "unknown", result.passes, _evidence(result))


def _point(result: Result) -> dict:
    """The counterexample of a step and both sides there, as data for ``Mark``."""
    outcome = result.outcome
    if outcome is None or result.kind != "step":
        return {}
    values = tuple(outcome.values) if outcome.values and len(outcome.values) == 2 else ()
    return {"point": tuple((outcome.counterexample or {}).items()), "values": values}


def _evidence(result: Result) -> str:
    outcome = result.outcome
    if outcome is None:
        return ""
    if result.kind == "number":
        return "" if result.passes else _number_failure(result)
    if result.verdict is Verdict.NUMERIC and outcome.points:
        return f"equal at {outcome.points} sample points, no proof found"
    if result.verdict is Verdict.UNKNOWN:
        return outcome.detail or outcome.hint or ""
    if result.verdict is Verdict.PROVED_FOR_SIZES:
        return outcome.detail or ""
    return ""


def _number_failure(result: Result) -> str:
    outcome = result.outcome
    if outcome is None or not outcome.value:
        return outcome.detail if outcome else ""
    values = ", ".join(_short_number(v, 10) for v in outcome.value)
    return f"computed {values}"


def _counterexample(result: Result) -> str:
    outcome = result.outcome
    if outcome is None:
        return ""
    if result.kind == "number":
        return _number_failure(result)
    parts = []
    if outcome.counterexample:
        point = ", ".join(f"{name} = {value}" for name, value in outcome.counterexample.items())
        parts.append(f"at {point}")
    if outcome.values and len(outcome.values) == 2:
        before, this = (_short_number(v, 8) for v in outcome.values)
        parts.append(f"the step before is {before}, this step {this}")
    return ": ".join(parts) if parts else (outcome.detail or "")


def note_parts(
    step: StepView,
    *,
    escape: Callable[[str], str],
    strong: Callable[[str], str],
    emphasis: Callable[[str], str],
    math: Callable[[str], str],
    reader: bool = False,
) -> list[str]:
    """The pieces of one step's note (verdict, line, reason, erratum, evidence), each in a format's markup.

    ``escape`` escapes free text, ``strong``/``emphasis`` wrap escaped text, ``math``
    typesets a suggestion given as expression text. For ``reader`` pages
    (published, not reviewed) no source line is named and a counterexample is
    shown as math with short decimals (``reader_evidence``).
    """
    head = "" if reader else f"line {step.line}" if step.cell is None else f"cell {step.cell}, line {step.line}"
    if step.mark is not None:
        head = f"{escape(step.mark.symbol)} {strong(escape(step.mark.label))}" + (f", {head}" if head else "")
    if step.against is not None and not reader:
        head += f" (checked against line {step.against})"
    parts = [head] if head else []
    if step.by:
        parts.append(emphasis(escape(step.by)))
    if step.erratum:
        parts.append(f"erratum: {escape(step.erratum)}")
    evidence = reader_evidence(step.mark, math) if reader and step.mark is not None else None
    if evidence:
        parts.append(evidence)
    elif step.mark is not None and step.mark.detail:
        parts.append(escape(step.mark.detail))
    if step.mark is not None and step.mark.suggestion:
        parts.append("a step that would hold here: " + math(step.mark.suggestion))
    if not reader:  # the notes place the step among source lines
        parts += [escape(note) for note in step.notes]
    return parts


def reader_evidence(mark: Mark, math: Callable[[str], str]) -> str | None:
    """A counterexample for readers: ``at μ = 0, x₁ = 1: the step before is 0.25, this step 0.75``.

    Names are typeset as math (``mu`` as μ, ``z[2]`` as z₂) and values as short
    decimals; None when the mark has no counterexample as data.
    """
    if not mark.point:
        return None
    point = ", ".join(math(f"{name} == {short_decimal(value)}") for name, value in mark.point)
    text = f"at {point}"
    if len(mark.values) == 2:
        before, this = (short_decimal(v) for v in mark.values)
        text += f": the step before is {before}, this step {this}"
    return text


def short_decimal(text: str, digits: int = 4) -> str:
    """A value as a short decimal (``0.333333333333333`` as ``0.3333``); other text as it is."""
    return _short_number(text, digits)


def place_in_blocks(
    view: FileView, render_part: Callable[[DocumentView | ErrorView], Rendered]
) -> tuple[dict[int, list[Rendered]], list[Rendered]]:
    """Render each part of a Markdown post and group the results by the fenced block they came from.

    Returns ``(rendered, loose)``: rendered text by the block's fence line, and
    the parts that belong to no block (errors about the whole file).
    """
    rendered: dict[int, list[Rendered]] = {b.fence_line: [] for b in view.blocks}
    loose: list[Rendered] = []
    for part in view.parts:
        text = render_part(part)
        block = next((b for b in view.blocks if part.line and b.fence_line <= part.line <= b.end_line), None)
        (rendered[block.fence_line] if block else loose).append(text)
    return rendered, loose
