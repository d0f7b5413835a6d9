"""FileViews -> standalone HTML pages with presentation MathML.

No script, no external resource: the style is inline, the mathematics is
MathML that browsers typeset natively, and the page works offline. Every
piece of text from a file is escaped; a post's own raw HTML is not passed
through, and its remote images become links.
"""

from __future__ import annotations

import html
from typing import Any

from markdown_it.token import Token

from derivcheck.render.boxes import Box
from derivcheck.render.expressions import layout_expression
from derivcheck.render.mathml import author_math, math_element
from derivcheck.render.plot import error_plot
from derivcheck.render.views import (
    ChainView,
    DocumentView,
    ErrorView,
    FileView,
    NumberView,
    StabilityView,
    StepView,
    place_in_blocks,
    stability_summary,
    visible,
)

SUFFIX = ".html"


def escape(text: str, quote: bool = True) -> str:
    """Text from a file as HTML text: markup escaped, controls as visible escapes (ESC as ``\\x1b``)."""
    return html.escape(visible(text), quote)

STYLE = """
:root { color-scheme: light; --ink: #1d232b; --muted: #5d6773; --rule: #dde2e8; --paper: #fdfdfc;
  --ok: #1d7a3a; --sizes: #2b7a5f; --numeric: #1f5fa8; --bad: #b3261e; --unknown: #9a5b00; --erratum: #7a3fa0; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--paper); color: var(--ink);
  font: 17px/1.6 "Source Serif 4", "Source Serif Pro", Charter, "Bitstream Charter", Georgia, "DejaVu Serif", serif; }
main { max-width: 58rem; margin: 0 auto; padding: 2.5rem 1.5rem 4rem; }
h1, h2, h3, .file, .verdict, .note, table.numbers, nav, footer {
  font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", sans-serif; }
h1 { font-size: 1.7rem; line-height: 1.25; margin: 0 0 .3rem; }
h2 { font-size: 1.25rem; margin: 2.6rem 0 .4rem; padding-top: 1rem; border-top: 1px solid var(--rule); }
h3 { font-size: 1rem; margin: 1.4rem 0 .3rem; color: var(--muted); font-weight: 600; }
.file { color: var(--muted); font-size: .9rem; margin: 0 0 1.5rem; }
.file code { font-size: .85rem; }
p { margin: .5rem 0; }
.source, .where, .assume { color: var(--muted); font-size: .95rem; }
math { font-family: "STIX Two Math", "Latin Modern Math", "Cambria Math", "Libertinus Math", math; font-size: 1.08em; }
.scroll { overflow-x: auto; margin: .4rem 0 1rem; }
table.chain { border-collapse: collapse; }
table.chain td { padding: .35rem .5rem; vertical-align: middle; border-bottom: 1px solid #eef1f4; }
table.chain tr:last-child td { border-bottom: none; }
td.rel { text-align: right; padding-right: .2rem; white-space: nowrap; }
td.expr { white-space: nowrap; }
td.side { min-width: 15rem; max-width: 24rem; }
.verdict { font-size: .88rem; font-weight: 600; white-space: nowrap; }
.note { display: block; font-size: .82rem; color: var(--muted); line-height: 1.4; }
.mark { display: inline-block; min-width: 1.4em; }
.read-as math { font-size: 1em; }
code.latex { font-size: .9rem; white-space: pre-wrap; }
.proved .verdict { color: var(--ok); } .sizes .verdict { color: var(--sizes); }
.numeric .verdict { color: var(--numeric); } .wrong .verdict { color: var(--bad); }
.unknown .verdict { color: var(--unknown); } .erratum .verdict { color: var(--erratum); }
.erratum-missed .verdict, .noted .verdict { color: var(--bad); }
tr.wrong td, tr.erratum-missed td { background: #fdf3f2; }
tr.erratum td { background: #f8f3fb; }
tr.evidence td { border-bottom: 1px solid #eef1f4; font-size: .86rem; color: var(--ink); padding-top: 0;
  font-family: system-ui, sans-serif; }
.error { border-left: 4px solid var(--bad); background: #fdf1f0; padding: .5rem .8rem; margin: 1rem 0;
  font-family: system-ui, sans-serif; font-size: .92rem; }
table.numbers { border-collapse: collapse; font-size: .9rem; margin: .5rem 0 1rem; }
table.numbers th, table.numbers td { padding: .3rem .7rem; border-bottom: 1px solid var(--rule); text-align: left; }
table.numbers th { color: var(--muted); font-weight: 600; }
.derivation-block { margin: 1.5rem 0; padding: .2rem 1rem .4rem; border-left: 3px solid var(--rule); }
.derivation-block h2 { border-top: none; margin-top: .8rem; padding-top: 0; font-size: 1.1rem; }
pre { background: #f4f5f7; padding: .8rem 1rem; overflow-x: auto; font-size: .88rem; line-height: 1.45; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .9em; }
blockquote { margin: 1rem 0; padding-left: 1rem; border-left: 3px solid var(--rule); color: var(--muted); }
a { color: #1f5fa8; }
nav ul { padding-left: 1.2rem; } nav li { margin: .3rem 0; } nav .summary { color: var(--muted); font-size: .88rem; }
footer { margin-top: 3rem; color: var(--muted); font-size: .8rem; }
"""

LEGEND = (
    "✓ proved · ✓≤N proved for sizes up to N · ≈ numeric (sampled, not proved) · "
    "✗ wrong (for a step the source marks wrong: erratum confirmed) · ? unknown"
)


def page(view: FileView, source_href: str | None = None) -> str:
    """Return the standalone HTML page of one input file."""
    return _document(view.title, _file_body(view, source_href))


def index(entries: list[tuple[FileView, str]], title: str = "Derivations") -> str:
    """An index page linking every page, grouped by folder."""
    body = [f"<h1>{escape(title)}</h1>", f'<p class="file">{escape(LEGEND)}</p>', "<nav>"]
    folder = None
    open_list = False
    for view, href in entries:
        here = href.rsplit("/", 1)[0] if "/" in href else ""
        if here != folder or not open_list:
            if open_list:
                body.append("</ul>")
            folder = here
            if here:
                body.append(f"<h3>{escape(here)}</h3>")
            body.append("<ul>")
            open_list = True
        titles = "; ".join(d.title for d in view.documents) or view.path
        if view.kind == "markdown" and view.text is not None:
            titles = view.title
        name = href.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        body.append(
            f'<li><a href="{escape(href, quote=True)}">{escape(name)}</a>: {escape(titles)} '
            f'<span class="summary">— {escape(view.summary())}</span></li>'
        )
    if open_list:
        body.append("</ul>")
    body.append("</nav>")
    return _document(title, "\n".join(body))


def combined(views: list[FileView], title: str = "Derivations") -> str:
    """One page holding every file (output to a terminal or a single file)."""
    if len(views) == 1:
        return page(views[0])
    parts = [f"<h1>{escape(title)}</h1>", f'<p class="file">{escape(LEGEND)}</p>']
    parts += [f'<section class="input">{_file_body(v, None, heading=2)}</section>' for v in views]
    return _document(title, "\n".join(parts))


def _document(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n<footer>Rendered by derivcheck render. {escape(LEGEND)}</footer>\n</main>\n</body>\n</html>\n"
    )


def _file_body(view: FileView, source_href: str | None, heading: int = 1) -> str:
    if view.kind == "markdown" and view.text is not None:
        return _post(view)
    out = []
    single = len(view.documents) == 1
    title = view.title if single else view.path.replace("\\", "/").rsplit("/", 1)[-1]
    out.append(f"<h{heading}>{escape(title)}</h{heading}>")
    name = f"<code>{escape(view.path)}</code>"
    if source_href:
        name = f'<a href="{escape(source_href, quote=True)}">{name}</a>'
    out.append(f'<p class="file">{name} · {escape(view.summary())}</p>')
    for part in view.parts:
        if isinstance(part, ErrorView):
            out.append(_error(part))
        else:
            out.append(document(part, heading=None if single else heading + 1))
    return "\n".join(out)


def document(doc: DocumentView, heading: int | None = 2) -> str:
    """The HTML of one derivation; ``heading`` is the level of its title (None: no title)."""
    out = []
    if heading:
        out.append(f"<h{heading}>{escape(doc.title)}</h{heading}>")
    if doc.source:
        out.append(f'<p class="source">Source: {escape(doc.source)}</p>')
    if doc.definitions:
        out.append('<p class="where">Where ' + ", ".join(_math(d) for d in doc.definitions) + ".</p>")
    if doc.assume:
        out.append('<p class="assume">Assuming ' + ", ".join(_math(a, False) for a in doc.assume) + ".</p>")
    out += [_error(e) for e in doc.errors]
    sub = min((heading or 2) + 1, 6)
    for chain in doc.chains:
        if chain.when:
            out.append(f"<h{sub}>When " + ", ".join(_math(w, False) for w in chain.when) + f"</h{sub}>")
        out.append(chain_table(chain))
    if doc.numbers:
        out.append(f"<h{sub}>Numbers</h{sub}>")
        out.append(numbers_table(doc.numbers))
    if doc.stability:
        out.append(f"<h{sub}>Stability in float64</h{sub}>")
        out.append(stability_table(doc.stability))
    return "\n".join(out)


def stability_table(claims: tuple[StabilityView, ...]) -> str:
    """Stability claims as a table, each with its evidence and a plot of the float64 relative error."""
    rows = [
        "<tr><th></th><th>expression</th><th>over</th><th>claimed</th><th>found</th><th>points</th><th>line</th></tr>"
    ]
    for claim in claims:
        tone = claim.mark.tone if claim.mark else "unchecked"
        mark = ""
        if claim.mark:
            mark = f'<span class="verdict">{escape(claim.mark.symbol)} {escape(claim.mark.label)}</span>'
        over = ", ".join(_math(b, False) for b in claim.over + claim.at)
        points = escape(str(claim.evidence.get("points", ""))) if claim.evidence else ""
        rows.append(
            f'<tr class="{tone}" id="L{claim.line}"><td>{mark}</td><td>{_math(claim.box)}</td><td>{over}</td>'
            f"<td>{escape(claim.claim)}</td><td>{escape(claim.found or '')}</td>"
            f"<td>{points}</td><td>{claim.line}</td></tr>"
        )
        evidence = escape(stability_summary(claim))
        plot = error_plot(claim.evidence)
        if evidence or plot:
            rows.append(f'<tr class="evidence {tone}"><td></td><td colspan="6">{evidence}<br>{plot}</td></tr>')
    return '<div class="scroll"><table class="numbers stability">\n' + "\n".join(rows) + "\n</table></div>"


def chain_table(chain: ChainView) -> str:
    """A chain as a table: relation, the step in MathML, its verdict and reason; evidence below wrong steps."""
    rows = []
    for step in chain.steps:
        tone = step.mark.tone if step.mark else "first" if not step.relation else "unchecked"
        relation = f"<math><mo>{escape(step.relation)}</mo></math>" if step.relation else ""
        rows.append(
            f'<tr class="step {tone}" id="L{step.line}"><td class="rel">{relation}</td>'
            f'<td class="expr">{step_math(step)}</td><td class="side">{_side(step)}</td></tr>'
        )
        evidence = _evidence(step)
        if evidence:
            rows.append(f'<tr class="evidence {tone}"><td></td><td colspan="2">{evidence}</td></tr>')
    return '<div class="scroll"><table class="chain">\n' + "\n".join(rows) + "\n</table></div>"


def step_math(step: StepView) -> str:
    """A step as its author wrote it: LaTeX typeset from the author's text (as code when it cannot be),
    otherwise the expression typeset from what was read."""
    if step.latex is None:
        return _math(step.box)
    authored = author_math(step.latex)
    return authored if authored is not None else f'<code class="latex">{escape(step.latex)}</code>'


def _side(step: StepView) -> str:
    parts = []
    if step.mark is not None:
        parts.append(
            f'<span class="verdict"><span class="mark">{escape(step.mark.symbol)}</span>'
            f"{escape(step.mark.label)}</span>"
        )
    note = f"line {step.line}"
    if step.against is not None:
        note += f", checked against line {step.against}"
    if step.by:
        note += f" · {escape(step.by)}"
    parts.append(f'<span class="note">{note}</span>')
    if step.latex is not None:  # what was checked, beside the author's text
        parts.append(f'<span class="note read-as">read as {_math(step.box, False)}</span>')
    return "".join(parts)


def _evidence(step: StepView) -> str:
    mark = step.mark
    parts = []
    if step.erratum:
        parts.append(f"<strong>Erratum:</strong> {escape(step.erratum)}")
    shown = ("wrong", "erratum", "erratum-missed", "unknown", "numeric", "noted")
    if mark is not None and mark.tone in shown and mark.detail:
        label = "Counterexample" if mark.tone in ("wrong", "erratum") else "Evidence"
        parts.append(f"<strong>{label}:</strong> {escape(mark.detail)}")
    if mark is not None and mark.suggestion:
        parts.append("A step that would hold here: " + _math(layout_expression(mark.suggestion), False))
    parts += [escape(note) for note in step.notes]
    return "<br>".join(parts)


def numbers_table(numbers: tuple[NumberView, ...]) -> str:
    """Number claims as a table: mark, claim, values, claimed, computed."""
    rows = ["<tr><th></th><th>claim</th><th>at</th><th>claimed</th><th>computed</th><th>line</th></tr>"]
    for number in numbers:
        tone = number.mark.tone if number.mark else "unchecked"
        mark = ""
        if number.mark:
            mark = f'<span class="verdict">{escape(number.mark.symbol)} {escape(number.mark.label)}</span>'
        at = ", ".join(_math(a, False) for a in number.at)
        rows.append(
            f'<tr class="{tone}" id="L{number.line}"><td>{mark}</td><td>{_math(number.box)}</td><td>{at}</td>'
            f"<td>{escape(number.claimed)}</td><td>{escape(number.computed or '')}</td><td>{number.line}</td></tr>"
        )
    return '<div class="scroll"><table class="numbers">\n' + "\n".join(rows) + "\n</table></div>"


def _math(box: Box, display: bool = True) -> str:
    return math_element(box, display)


def _error(error: ErrorView) -> str:
    where = f"line {error.line}" if error.line else "file"
    return f'<div class="error"><strong>Not readable ({where}):</strong> {escape(error.message)}</div>'


def _post(view: FileView) -> str:
    """The post as HTML (CommonMark), each derivation block replaced by its rendering."""
    from derivcheck.load.markdown import is_derivation_info, markdown_parser

    rendered, loose = place_in_blocks(
        view, lambda part: _error(part) if isinstance(part, ErrorView) else document(part, heading=2)
    )
    md = markdown_parser()
    rules = md.renderer.rules  # type: ignore[attr-defined]  # RendererHTML's, not in the protocol
    plain_fence, plain_image = rules["fence"], rules["image"]

    def fence(self: object, tokens: list[Token], idx: int, options: object, env: object) -> str:
        token = tokens[idx]
        if is_derivation_info(token.info) and token.map and token.map[0] + 1 in rendered:
            inner = "\n".join(rendered[token.map[0] + 1])
            return f'<div class="derivation-block">\n{inner}\n</div>\n'
        return plain_fence(tokens, idx, options, env)

    def image(self: Any, tokens: list[Token], idx: int, options: object, env: object) -> str:
        token = tokens[idx]
        src = str(token.attrGet("src") or "")
        if src.startswith(("http:", "https:", "//")):
            alt = self.renderInlineAsText(token.children or [], options, env)
            return f'<a href="{escape(src, quote=True)}">[image: {escape(alt)}]</a>'
        return plain_image(tokens, idx, options, env)

    md.add_render_rule("fence", fence)
    md.add_render_rule("image", image)
    body = md.render(view.text or "")
    return "\n".join(loose) + body + f'<p class="file"><code>{escape(view.path)}</code> · {escape(view.summary())}</p>'
