"""FileViews -> Markdown pages; the math delimiters are chosen by ``PageOptions.math``.

Each chain of a YAML derivation is one ``aligned`` block, a step per row with
its number and verdict mark; below it a numbered list gives each step's line,
verdict, evidence and the author's reason, as text that wraps (free text never
goes inside the math, where Markdown and TeX escaping would fight). A post's
LaTeX derivation is kept as the author wrote it, with a mark after each
checked expression (``latex_marks``); a notebook keeps its prose and code cells.
"""

from __future__ import annotations

import re

from derivcheck.load.latex import latex_blocks
from derivcheck.load.markdown import Block
from derivcheck.render.boxes import Box
from derivcheck.render.expressions import layout_expression
from derivcheck.render.latex import escape_text, to_latex
from derivcheck.render.latex_marks import mark_display
from derivcheck.render.views import (
    RELATION_LATEX,
    ChainView,
    DocumentView,
    ErrorView,
    FileView,
    NumberView,
    PageOptions,
    StabilityView,
    StepView,
    note_parts,
    one_line,
    place_in_blocks,
    post_view,
    stability_summary,
)

SUFFIX = ".md"
# A bare < or > in Markdown math can be read as HTML: use the TeX names.
_RELATION_MARKDOWN = {"<": "\\lt", ">": "\\gt"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$&#])")


def escape_markdown(text: str) -> str:
    """Return ``text`` as literal Markdown: one line, controls as escapes, every character that could be
    markup escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))


DEFAULT = PageOptions()


def inline_math(box: Box, style: str = "github") -> str:
    """Inline math: GitHub's robust ``$`…`$``, ``$…$`` (dollars) or ``\\(…\\)`` (brackets)."""
    return inline_latex(to_latex(box), style)


def inline_latex(latex: str, style: str = "github") -> str:
    """LaTeX text as inline math in a style of ``PageOptions.math``."""
    if style == "dollars":
        return f"${latex}$"
    if style == "brackets":
        return f"\\({latex}\\)"
    return f"$`{latex}`$"


def display_math(lines: list[str], style: str = "github") -> list[str]:
    """Lines of LaTeX as display math: ``$$`` lines, or ``\\[`` and ``\\]`` (brackets)."""
    opening, closing = ("\\[", "\\]") if style == "brackets" else ("$$", "$$")
    return [opening, *lines, closing]


def page(view: FileView, source_href: str | None = None, options: PageOptions = DEFAULT) -> str:
    """Return the Markdown page of one input file."""
    if view.kind == "markdown" and view.text is not None:
        return post(view, options)
    if view.kind == "notebook" and view.cells:
        return notebook(view, options)
    name = escape_markdown(view.path.replace("\\", "/").rsplit("/", 1)[-1])
    where = source_link(view.path, source_href, options)
    lines = [f"# {escape_markdown(view.title)}", "", f"{where} · {escape_markdown(view.summary())}", ""]
    if len(view.documents) != 1:
        lines[0] = f"# {name}"
    for part in view.parts:
        if isinstance(part, ErrorView):
            lines += [_error(part, options), ""]
        else:
            lines += document(part, level=2 if len(view.documents) != 1 else 0, options=options)
    return "\n".join(lines).rstrip() + "\n"


def source_link(path: str, source_href: str | None, options: PageOptions = DEFAULT) -> str:
    """The input's path, linked to ``source_href`` when there is one (``render_paths`` chooses it)."""
    shown = f"`{path}`"
    return f"[{shown}]({_href(source_href)})" if source_href and options.source_links else shown


def document(
    doc: DocumentView, level: int = 2, in_post: bool = False, options: PageOptions = DEFAULT
) -> list[str]:
    """Return the lines of one derivation; ``level`` is its heading level (0: no heading).

    Inside a post (``in_post``) cases and numbers get bold lead-ins, not
    headings, so that the post's own outline stays as the author wrote it.
    """
    math = options.math
    out: list[str] = []
    if level:
        out += [f"{'#' * level} {escape_markdown(doc.title)}", ""]
    if doc.source:
        out += [f"*Source:* {escape_markdown(doc.source)}", ""]
    if doc.definitions:
        out += ["Where " + ", ".join(inline_math(d, math) for d in doc.definitions) + ".", ""]
    if doc.assume:
        out += ["Assuming " + ", ".join(inline_math(a, math) for a in doc.assume) + ".", ""]
    for error in doc.errors:
        out += [_error(error, options), ""]
    sub = "#" * (max(level, 1) + 1) + " "
    for chain in doc.chains:
        if chain.when:
            conditions = ", ".join(inline_math(w, math) for w in chain.when)
            out += [f"**When** {conditions}:" if in_post else f"{sub}When {conditions}", ""]
        out += chain_lines(chain, options)
    if doc.numbers:
        out += ["**Numbers:**" if in_post else f"{sub}Numbers", ""] + numbers_table(doc.numbers, options)
    if doc.stability:
        out += ["**Stability:**" if in_post else f"{sub}Stability", ""] + stability_table(doc.stability, options)
    return out


def stability_table(claims: tuple[StabilityView, ...], options: PageOptions = DEFAULT) -> list[str]:
    """A table of stability claims: mark, expression, ranges, claimed, found, points, evidence (and line)."""
    math = options.math
    columns = ["", "expression", "over", "claimed", "found", "points", "evidence"]
    columns += [] if options.reader else ["line"]
    out = [table_header(columns)]
    for claim in claims:
        mark = f"{claim.mark.symbol} {escape_markdown(claim.mark.label)}" if claim.mark else ""
        over = ", ".join(inline_math(b, math) for b in claim.over + claim.at)
        points = str(claim.evidence.get("points", "")) if claim.evidence else ""
        cells = [mark, inline_math(claim.box, math), over, claim.claim, claim.found or "", points,
                 escape_markdown(stability_summary(claim))] + ([] if options.reader else [str(claim.line)])
        out.append("| " + " | ".join(cells) + " |")
    return out + [""]


def chain_lines(chain: ChainView, options: PageOptions = DEFAULT) -> list[str]:
    """The aligned display math of a chain and the numbered notes of its steps."""
    rows = []
    for number, step in enumerate(chain.steps, start=1):
        relation = _RELATION_MARKDOWN.get(step.relation, RELATION_LATEX[step.relation])
        relation = f"{relation}{{}}" if relation else ""
        tag = f"({number})" + (f" {step.mark.tag}" if step.mark else "")
        rows.append(f"{relation}& {to_latex(step.box)} && \\text{{{escape_text(tag)}}}")
    rows = [row + " \\\\" for row in rows[:-1]] + rows[-1:]
    out = display_math(["\\begin{aligned}", *rows, "\\end{aligned}"], options.math) + [""]
    # A reader page names no line: the first step, unchecked, may have nothing else to say.
    out += [f"{number}. {step_note(step, options) or 'start'}" for number, step in enumerate(chain.steps, start=1)]
    return out + [""]


def step_note(step: StepView, options: PageOptions = DEFAULT) -> str:
    """One line on a step: verdict, line, evidence, the author's reason, the erratum."""
    parts = note_parts(
        step,
        escape=escape_markdown,
        strong=lambda t: f"**{t}**",
        emphasis=lambda t: f"*{t}*",
        math=lambda source: inline_math(layout_expression(source), options.math),
        reader=options.reader,
    )
    return " — ".join(parts)


def table_header(columns: list[str]) -> str:
    """A Markdown table's header and rule: ``| | claim | at |`` then ``|---|---|---|``."""
    head = "|" + "".join(f" {column} |" if column else " |" for column in columns)
    return head + "\n|" + "---|" * len(columns)


def numbers_table(numbers: tuple[NumberView, ...], options: PageOptions = DEFAULT) -> list[str]:
    """A table: mark, claim, values, claimed, computed (and line)."""
    columns = ["", "claim", "at", "claimed", "computed"] + ([] if options.reader else ["line"])
    out = [table_header(columns)]
    for number in numbers:
        mark = f"{number.mark.symbol} {escape_markdown(number.mark.label)}" if number.mark else ""
        at = ", ".join(inline_math(a, options.math) for a in number.at)
        computed = escape_markdown(number.computed) if number.computed is not None else ""
        cells = [mark, inline_math(number.box, options.math), at, escape_markdown(number.claimed), computed]
        out.append("| " + " | ".join(cells + ([] if options.reader else [str(number.line)])) + " |")
    return out + [""]


def index(entries: list[tuple[FileView, str]], title: str = "Derivations") -> str:
    """An index page linking every page, grouped by folder, with each file's verdicts."""
    lines = [f"# {escape_markdown(title)}", "", "Rendered by `derivcheck render`. Marks: ✓ proved, "
             "✓≤N proved for sizes up to N, ≈ numeric (sampled, not proved), ✗ wrong (a counterexample; "
             "for a step marked wrong in the source: the erratum is confirmed), ? unknown.", ""]
    folder = None
    for view, href in entries:
        here = href.rsplit("/", 1)[0] if "/" in href else ""
        if here != folder:
            folder = here
            if here:
                lines += ["", f"## {escape_markdown(here)}", ""]
        name = escape_markdown(href.rsplit("/", 1)[-1].rsplit(".", 1)[0])
        titles = "; ".join(escape_markdown(d.title) for d in view.documents)
        if view.kind == "markdown" and view.text is not None:
            titles = escape_markdown(view.title)
        lines.append(f"- [{name}]({_href(href)}): {titles} — {escape_markdown(view.summary())}")
    return "\n".join(lines).rstrip() + "\n"


def combined(views: list[FileView], title: str = "Derivations", options: PageOptions = DEFAULT) -> str:
    """All pages one after the other (output to a terminal)."""
    return "\n---\n\n".join(page(v, options=options) for v in views)


def _error(error: ErrorView, options: PageOptions = DEFAULT) -> str:
    where = f"line {error.line}" if error.line else "file"
    if error.cell is not None:
        where = f"cell {error.cell}, {where}"
    return f"> **⚠ Not readable ({where}):** {escape_markdown(error.message)}"


def _href(href: str) -> str:
    return href.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def post(view: FileView, options: PageOptions = DEFAULT) -> str:
    """The post itself: each fenced derivation block replaced by its rendering (indentation kept), each
    LaTeX derivation kept as written with its marks and, below it, the notes of the rows that need one."""
    original = view.original if view.original is not None else view.text or ""
    lines = original.split("\n")
    if options.prose_math and options.math != "github":
        lines = github_math_as(lines, options.math)
    by_block, loose = place_in_blocks(view, lambda part: part)
    out: list[str] = [line for part in loose for line in _post_part(part, options)]
    latex = {b.fence_line for b in latex_blocks(view.original)} if view.original is not None else set()
    position = 0
    for block in view.blocks:
        out += lines[position : block.fence_line - 1]
        parts = by_block[block.fence_line]
        if block.fence_line in latex:
            kept = lines[block.fence_line - 1 : block.end_line]
            out += _latex_derivation(kept, block.fence_line, parts, options)
        else:
            out += _fenced_derivation(block, parts, options)
        position = block.end_line
    out += lines[position:]
    return "\n".join(out).rstrip() + "\n"


def _fenced_derivation(block: Block, parts: list[DocumentView | ErrorView], options: PageOptions) -> list[str]:
    rendered = [line for part in parts for line in _post_part(part, options)]
    while rendered and not rendered[-1]:
        rendered.pop()
    prefixed = [(block.indent + line) if line else block.indent.rstrip() for line in rendered]
    if prefixed:
        prefixed[0] = block.lead + rendered[0]
    return prefixed


def _latex_derivation(
    kept: list[str], first_line: int, parts: list[DocumentView | ErrorView], options: PageOptions
) -> list[str]:
    """The author's comment and display math, marked, then the notes of its marked expressions."""
    documents = [p for p in parts if isinstance(p, DocumentView)]
    steps = [s for d in documents for c in d.chains for s in c.steps]
    text, noted = mark_display("\n".join(kept), first_line, steps, options)
    out = text.split("\n")
    notes = [f"- **\\[{number}\\]** {step_note(step, options)}" for number, step in noted]
    errors = [_error(p, options) for p in parts if isinstance(p, ErrorView)]
    errors += [_error(e, options) for d in documents for e in d.errors]
    for d in documents:
        if d.numbers:
            notes += ["", "**Numbers:**", "", *numbers_table(d.numbers, options)]
    if notes or errors:
        out += ["", *notes, *[line for error in errors for line in ("", error)], ""]
    return out


_GITHUB_INLINE = re.compile(r"\$`([^`\n]+)`\$")


def github_math_as(lines: list[str], style: str) -> list[str]:
    """A post's lines with GitHub's own math syntax (`` $`…`$ `` in prose, ```` ```math ```` blocks) in
    ``style``; fenced and indented code blocks are left alone."""
    from derivcheck.load.markdown import markdown_parser

    out = list(lines)
    code: set[int] = set()
    for token in markdown_parser().parse("\n".join(lines)):
        if token.type not in ("fence", "code_block") or not token.map:
            continue
        first, end = token.map
        if token.type == "fence" and token.info.strip() == "math" and end - first >= 2:
            opening, closing = display_math([], style)
            indent = out[first][: len(out[first]) - len(out[first].lstrip())]
            out[first] = indent + opening
            if out[end - 1].strip().startswith(token.markup):
                out[end - 1] = indent + closing
            continue
        code.update(range(first, end))
    return [line if number in code else _GITHUB_INLINE.sub(lambda m: inline_latex(m.group(1), style), line)
            for number, line in enumerate(out)]


def notebook(view: FileView, options: PageOptions = DEFAULT) -> str:
    """A notebook as Markdown: its markdown cells as posts (derivations marked), its code cells as code."""
    out: list[str] = [line for part in view.parts if part.cell is None for line in _post_part(part, options)]
    for number, kind, source in view.cells:
        if kind == "markdown":
            out += [marked_cell(view, number, source, options).rstrip("\n"), ""]
        elif kind == "code" and source.strip():
            fence = "`" * max(3, _longest_backtick_run(source) + 1)
            out += [f"{fence}python", source.rstrip("\n"), fence, ""]
    return "\n".join(out).rstrip() + "\n"


def marked_cell(view: FileView, number: int, source: str, options: PageOptions = DEFAULT) -> str:
    """Markdown cell ``number`` of a notebook as a post: its derivations marked, its errors shown."""
    parts = tuple(p for p in view.parts if p.cell == number)
    return post(post_view(view.path, "markdown", parts, view.checked, source), options)


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall("`+", text)), default=0)


def _post_part(part: DocumentView | ErrorView, options: PageOptions = DEFAULT) -> list[str]:
    """The lines of one part of a post: an error, or a derivation under its bold title."""
    if isinstance(part, ErrorView):
        return [_error(part, options), ""]
    return [f"**{escape_markdown(part.title)}**", ""] + document(part, level=0, in_post=True, options=options)
