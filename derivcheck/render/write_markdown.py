"""FileViews -> Markdown pages (GitHub flavour: ``$$`` display math, ``$`…`$`` inline math).

Each chain is one ``aligned`` block, a step per row with its number and
verdict mark; below it a numbered list gives each step's line, verdict,
evidence and the author's reason, as text that wraps (free text never goes
inside the math, where Markdown and TeX escaping would fight).
"""

from __future__ import annotations

import re

from derivcheck.render.boxes import Box
from derivcheck.render.expressions import layout_expression
from derivcheck.render.latex import escape_text, to_latex
from derivcheck.render.views import (
    RELATION_LATEX,
    StabilityView,
    stability_summary,
    ChainView,
    DocumentView,
    ErrorView,
    FileView,
    NumberView,
    StepView,
    note_parts,
    place_in_blocks,
)

SUFFIX = ".md"
# A bare < or > in Markdown math can be read as HTML: use the TeX names.
_RELATION_MARKDOWN = {"<": "\\lt", ">": "\\gt"}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~$&#])")


def escape_markdown(text: str) -> str:
    """Return ``text`` as literal Markdown: one line, every character that could be markup escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def inline_math(box: Box) -> str:
    """Inline math in GitHub's robust form ``$`…`$``."""
    return f"$`{to_latex(box)}`$"


def page(view: FileView, source_href: str | None = None) -> str:
    """Return the Markdown page of one input file."""
    if view.kind == "markdown" and view.text is not None:
        return _post(view)
    name = escape_markdown(view.path.replace("\\", "/").rsplit("/", 1)[-1])
    where = f"[`{view.path}`]({_href(source_href)})" if source_href else f"`{view.path}`"
    lines = [f"# {escape_markdown(view.title)}", "", f"{where} · {escape_markdown(view.summary())}", ""]
    if len(view.documents) != 1:
        lines[0] = f"# {name}"
    for part in view.parts:
        if isinstance(part, ErrorView):
            lines += [_error(part), ""]
        else:
            lines += document(part, level=2 if len(view.documents) != 1 else 0)
    return "\n".join(lines).rstrip() + "\n"


def document(doc: DocumentView, level: int = 2, in_post: bool = False) -> list[str]:
    """Return the lines of one derivation; ``level`` is its heading level (0: no heading).

    Inside a post (``in_post``) cases and numbers get bold lead-ins, not
    headings, so that the post's own outline stays as the author wrote it.
    """
    out: list[str] = []
    if level:
        out += [f"{'#' * level} {escape_markdown(doc.title)}", ""]
    if doc.source:
        out += [f"*Source:* {escape_markdown(doc.source)}", ""]
    if doc.definitions:
        out += ["Where " + ", ".join(inline_math(d) for d in doc.definitions) + ".", ""]
    if doc.assume:
        out += ["Assuming " + ", ".join(inline_math(a) for a in doc.assume) + ".", ""]
    for error in doc.errors:
        out += [_error(error), ""]
    sub = "#" * (max(level, 1) + 1) + " "
    for chain in doc.chains:
        if chain.when:
            conditions = ", ".join(inline_math(w) for w in chain.when)
            out += [f"**When** {conditions}:" if in_post else f"{sub}When {conditions}", ""]
        out += chain_lines(chain)
    if doc.numbers:
        out += ["**Numbers:**" if in_post else f"{sub}Numbers", ""] + numbers_table(doc.numbers)
    if doc.stability:
        out += ["**Stability:**" if in_post else f"{sub}Stability", ""] + stability_table(doc.stability)
    return out


def stability_table(claims: tuple[StabilityView, ...]) -> list[str]:
    """A table of stability claims: mark, expression, ranges, claimed, found, points, evidence."""
    out = ["| | expression | over | claimed | found | points | evidence | line |", "|---|---|---|---|---|---|---|---|"]
    for claim in claims:
        mark = f"{claim.mark.symbol} {escape_markdown(claim.mark.label)}" if claim.mark else ""
        over = ", ".join(inline_math(b) for b in claim.over + claim.at)
        points = str(claim.evidence.get("points", "")) if claim.evidence else ""
        out.append(
            f"| {mark} | {inline_math(claim.box)} | {over} | {claim.claim} | {claim.found or ''} | {points} "
            f"| {escape_markdown(stability_summary(claim))} | {claim.line} |"
        )
    return out + [""]


def chain_lines(chain: ChainView) -> list[str]:
    """The aligned display math of a chain and the numbered notes of its steps."""
    rows = []
    for number, step in enumerate(chain.steps, start=1):
        relation = _RELATION_MARKDOWN.get(step.relation, RELATION_LATEX[step.relation])
        relation = f"{relation}{{}}" if relation else ""
        tag = f"({number})" + (f" {step.mark.tag}" if step.mark else "")
        rows.append(f"{relation}& {to_latex(step.box)} && \\text{{{escape_text(tag)}}}")
    rows = [row + " \\\\" for row in rows[:-1]] + rows[-1:]
    out = ["$$", "\\begin{aligned}", *rows, "\\end{aligned}", "$$", ""]
    out += [f"{number}. {step_note(step)}" for number, step in enumerate(chain.steps, start=1)]
    return out + [""]


def step_note(step: StepView) -> str:
    """One line on a step: verdict, line, evidence, the author's reason, the erratum."""
    parts = note_parts(
        step,
        escape=escape_markdown,
        strong=lambda t: f"**{t}**",
        emphasis=lambda t: f"*{t}*",
        math=lambda source: inline_math(layout_expression(source)),
    )
    return " — ".join(parts)


def numbers_table(numbers: tuple[NumberView, ...]) -> list[str]:
    """A table: claim, values, claimed, computed, mark."""
    out = ["| | claim | at | claimed | computed | line |", "|---|---|---|---|---|---|"]
    for number in numbers:
        mark = f"{number.mark.symbol} {escape_markdown(number.mark.label)}" if number.mark else ""
        at = ", ".join(inline_math(a) for a in number.at)
        computed = escape_markdown(number.computed) if number.computed is not None else ""
        out.append(
            f"| {mark} | {inline_math(number.box)} | {at} | {escape_markdown(number.claimed)} "
            f"| {computed} | {number.line} |"
        )
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


def combined(views: list[FileView], title: str = "Derivations") -> str:
    """All pages one after the other (output to a terminal)."""
    return "\n---\n\n".join(page(v) for v in views)


def _error(error: ErrorView) -> str:
    where = f"line {error.line}" if error.line else "file"
    return f"> **⚠ Not readable ({where}):** {escape_markdown(error.message)}"


def _href(href: str) -> str:
    return href.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _post(view: FileView) -> str:
    """The post itself, each derivation block replaced by its rendering (indentation kept)."""
    lines = view.text.splitlines() if view.text is not None else []
    by_block, loose = place_in_blocks(view, _post_part)
    out: list[str] = [line for part in loose for line in part]
    position = 0
    for block in view.blocks:
        out += lines[position : block.fence_line - 1]
        rendered = [line for part in by_block[block.fence_line] for line in part]
        while rendered and not rendered[-1]:
            rendered.pop()
        prefixed = [(block.indent + line) if line else block.indent.rstrip() for line in rendered]
        if prefixed:
            prefixed[0] = block.lead + rendered[0]
        out += prefixed
        position = block.end_line
    out += lines[position:]
    return "\n".join(out).rstrip() + "\n"


def _post_part(part: DocumentView | ErrorView) -> list[str]:
    """The lines of one part of a post: an error, or a derivation under its bold title."""
    if isinstance(part, ErrorView):
        return [_error(part), ""]
    return [f"**{escape_markdown(part.title)}**", ""] + document(part, level=0, in_post=True)
