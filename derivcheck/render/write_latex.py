"""FileViews -> complete LaTeX documents (article, amsmath): one ``align*`` per chain.

Free text (titles, ``by:``, errata, a post's prose) is escaped for text mode.
The document compiles with pdflatex for ASCII text and with lualatex or
xelatex for any text (the preamble picks the font setup for the engine).
"""

from __future__ import annotations

from markdown_it.token import Token

from derivcheck.render.expressions import layout_expression
from derivcheck.render.latex import escape_text, to_latex
from derivcheck.render.views import (
    RELATION_LATEX,
    ChainView,
    DocumentView,
    ErrorView,
    FileView,
    NumberView,
    StabilityView,
    StepView,
    note_parts,
    place_in_blocks,
    stability_summary,
)

SUFFIX = ".tex"

PREAMBLE = r"""\documentclass[11pt]{article}
% Rendered by derivcheck render. Any engine: pdflatex for ASCII text, lualatex or xelatex for all of Unicode.
\usepackage{iftex}
\ifPDFTeX
  \usepackage[utf8]{inputenc}
  \usepackage[T1]{fontenc}
  \usepackage{lmodern}
\else
  \usepackage{fontspec}
\fi
\usepackage{amsmath,amssymb}
\usepackage{xcolor}
\usepackage[margin=2.2cm]{geometry}
\usepackage[hidelinks]{hyperref}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.5em}
\allowdisplaybreaks
\newcommand{\dcok}{\ensuremath{\checkmark}}
\newcommand{\dcwrong}{\ensuremath{\times}}
\newcommand{\dcnum}{\ensuremath{\approx}}
"""

_SYMBOLS = {"✓": r"\dcok{}", "✗": r"\dcwrong{}", "≈": r"\dcnum{}", "≤": r"\ensuremath{\leq}"}


def page(view: FileView, source_href: str | None = None) -> str:
    """Return a complete LaTeX document for one input file."""
    is_post = view.kind == "markdown" and view.text is not None
    return _document(view.title, _file_body(view, section=True), maketitle=not is_post)


def combined(views: list[FileView], title: str = "Derivations") -> str:
    """One document holding every file, a section each."""
    if len(views) == 1:
        return page(views[0])
    return _document(title, "\n".join(_file_body(v, section=True, heading="section") for v in views))


def index(entries: list[tuple[FileView, str]], title: str = "Derivations") -> str:
    """A LaTeX document listing the rendered files (``\\input`` is left to the reader)."""
    items = "\n".join(
        f"  \\item \\texttt{{{escape_text(href)}}} --- {escape_text('; '.join(d.title for d in v.documents) or v.path)}"
        f" ({escape_text(v.summary())})"
        for v, href in entries
    )
    body = f"\\section*{{{escape_text(title)}}}\n\\begin{{itemize}}\n{items}\n\\end{{itemize}}" if entries else ""
    return _document(title, body)


def _document(title: str, body: str, maketitle: bool = True) -> str:
    return (
        PREAMBLE
        + f"\\title{{{escape_text(title)}}}\n\\date{{}}\n\\begin{{document}}\n"
        + ("\\maketitle\n\n" if maketitle else "\n")
        + body
        + "\n\\end{document}\n"
    )


def text(value: str) -> str:
    """Escaped text with the verdict symbols as LaTeX commands."""
    out = escape_text(value)
    for char, command in _SYMBOLS.items():
        out = out.replace(char, command)
    return out


def _file_body(view: FileView, section: bool, heading: str = "section") -> str:
    if view.kind == "markdown" and view.text is not None:
        return _post(view)
    out = [f"\\noindent\\texttt{{{escape_text(view.path)}}} --- {text(view.summary())}\n"]
    single = len(view.documents) == 1
    if heading == "section" and not single:
        out.insert(0, f"\\section*{{{escape_text(view.path)}}}")
    for part in view.parts:
        if isinstance(part, ErrorView):
            out.append(_error(part))
        else:
            out.append(document(part, "section" if single and heading == "section" else "subsection"))
    return "\n".join(out)


def document(doc: DocumentView, heading: str | None = "section") -> str:
    """The LaTeX of one derivation under a ``\\section*`` (or ``\\subsection*``; None: no heading)."""
    out = []
    if heading:
        out.append(f"\\{heading}*{{{escape_text(doc.title)}}}")
    if doc.source:
        out.append(f"\\textit{{Source:}} {escape_text(doc.source)}\n")
    if doc.definitions:
        out.append("Where " + ", ".join(f"${to_latex(d)}$" for d in doc.definitions) + ".\n")
    if doc.assume:
        out.append("Assuming " + ", ".join(f"${to_latex(a)}$" for a in doc.assume) + ".\n")
    out += [_error(e) for e in doc.errors]
    for chain in doc.chains:
        if chain.when:
            out.append("\\paragraph{When " + ", ".join(f"${to_latex(w)}$" for w in chain.when) + ".}")
        out.append(chain_align(chain))
    if doc.numbers:
        out.append("\\paragraph{Numbers.}")
        out.append(numbers_table(doc.numbers))
    if doc.stability:
        out.append("\\paragraph{Stability in float64.}")
        out.append(stability_table(doc.stability))
    return "\n".join(out) + "\n"


def chain_align(chain: ChainView) -> str:
    """An ``align*`` with a step per row and its number and mark, then the notes as a list."""
    rows = []
    for number, step in enumerate(chain.steps, start=1):
        relation = RELATION_LATEX[step.relation]
        relation = f"{relation}{{}}" if relation else ""
        mark = f" {text(step.mark.tag)}" if step.mark else ""
        rows.append(f"  {relation}& {to_latex(step.box)} && \\text{{({number}){mark}}}")
    notes = "\n".join(f"  \\item {_note(step)}" for step in chain.steps)
    return (
        "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"
        "\\begin{enumerate}\\small\n" + notes + "\n\\end{enumerate}\n"
    )


def _note(step: StepView) -> str:
    parts = note_parts(
        step,
        escape=text,
        strong=lambda t: f"\\textbf{{{t}}}",
        emphasis=lambda t: f"\\emph{{{t}}}",
        math=lambda source: f"${to_latex(layout_expression(source))}$",
    )
    return " --- ".join(parts)


def numbers_table(numbers: tuple[NumberView, ...]) -> str:
    """Number claims as a tabular: mark, claim, values, claimed, computed, line."""
    rows = []
    for number in numbers:
        mark = f"{text(number.mark.symbol)} {text(number.mark.label)}" if number.mark else ""
        at = ", ".join(f"${to_latex(a)}$" for a in number.at)
        rows.append(
            f"  {mark} & ${to_latex(number.box)}$ & {at} & {escape_text(number.claimed)} & "
            f"{escape_text(number.computed or '')} & {number.line} \\\\"
        )
    return (
        "\\begin{center}\\small\n\\begin{tabular}{llllll}\n"
        "  & claim & at & claimed & computed & line \\\\ \\hline\n"
        + "\n".join(rows)
        + "\n\\end{tabular}\n\\end{center}\n"
    )


def stability_table(claims: tuple[StabilityView, ...]) -> str:
    """Stability claims as a tabular: mark, expression, ranges, claimed, found, points, line; evidence below."""
    rows = []
    for claim in claims:
        mark = f"{text(claim.mark.symbol)} {text(claim.mark.label)}" if claim.mark else ""
        over = ", ".join(f"${to_latex(b)}$" for b in claim.over + claim.at)
        points = str(claim.evidence.get("points", "")) if claim.evidence else ""
        rows.append(
            f"  {mark} & ${to_latex(claim.box)}$ & {over} & {claim.claim} & {claim.found or ''} "
            f"& {points} & {claim.line} \\\\"
        )
        summary = stability_summary(claim)
        if summary:
            rows.append(f"  \\multicolumn{{7}}{{p{{0.9\\linewidth}}}}{{\\footnotesize {text(summary)}}} \\\\")
    return (
        "\\begin{center}\\small\n\\begin{tabular}{lllllll}\n"
        "  & expression & over & claimed & found & points & line \\\\ \\hline\n" + "\n".join(rows)
        + "\n\\end{tabular}\n\\end{center}\n"
    )


def _error(error: ErrorView) -> str:
    where = f"line {error.line}" if error.line else "file"
    return f"\\textbf{{Not readable ({where}):}} {escape_text(error.message)}\n"


def _post(view: FileView) -> str:
    """The post's prose as LaTeX (headings, paragraphs, lists, code), derivation blocks rendered in place."""
    from derivcheck.load.latex import latex_blocks
    from derivcheck.load.markdown import is_derivation_info, markdown_parser

    rendered, loose = place_in_blocks(
        view, lambda part: _error(part) if isinstance(part, ErrorView) else document(part, "subsection")
    )
    # A LaTeX derivation is the author's display, kept with its marks: the ones of its block.
    kept = {b.fence_line for b in latex_blocks(view.original)} if view.original is not None else set()
    parts, _ = place_in_blocks(view, lambda part: part)
    out = list(loose)
    lists: list[str] = []
    for token in markdown_parser().parse(view.text or ""):
        kind = token.type
        if kind == "heading_open":
            level = int(token.tag[1])
            out.append(("\\section*{", "\\subsection*{", "\\subsubsection*{")[min(level, 3) - 1])
        elif kind == "heading_close":
            out.append("}\n")
        elif kind == "paragraph_close":
            out.append("\n\n")
        elif kind == "inline":
            out.append(_inline(token.children or []))
        elif kind in ("bullet_list_open", "ordered_list_open"):
            lists.append("itemize" if kind == "bullet_list_open" else "enumerate")
            out.append(f"\\begin{{{lists[-1]}}}\n")
        elif kind in ("bullet_list_close", "ordered_list_close"):
            out.append(f"\\end{{{lists.pop()}}}\n")
        elif kind == "list_item_open":
            out.append("\\item ")
        elif kind == "blockquote_open":
            out.append("\\begin{quote}\n")
        elif kind == "blockquote_close":
            out.append("\\end{quote}\n")
        elif kind in ("fence", "code_block"):
            if kind == "fence" and token.map and token.map[0] + 1 in kept:
                out.append(_kept_display(view, token.map[0] + 1, token.map[1], parts[token.map[0] + 1]))
            elif kind == "fence" and is_derivation_info(token.info) and token.map and token.map[0] + 1 in rendered:
                out.append("\n".join(rendered[token.map[0] + 1]))
            else:
                lines = token.content.rstrip("\n").split("\n")
                code = "\\\\\n".join(f"\\texttt{{{escape_text(line) or '~'}}}" for line in lines)
                out.append(f"\n\\begin{{quote}}\\small\n{code}\n\\end{{quote}}\n")
        elif kind == "hr":
            out.append("\n\\medskip\\hrule\\medskip\n")
    return "".join(out)


def _kept_display(view: FileView, first: int, end: int, parts: list[DocumentView | ErrorView]) -> str:
    """The author's display math of the LaTeX derivation on lines ``first``..``end``, marked, then its notes."""
    from derivcheck.render.latex_marks import LATEX_SYMBOLS, display_start, mark_display
    from derivcheck.render.views import PageOptions

    lines = (view.original or "").split("\n")[first - 1 : end]
    steps = [s for p in parts if isinstance(p, DocumentView) for c in p.chains for s in c.steps]
    marked, noted = mark_display("\n".join(lines), first, steps, PageOptions(), LATEX_SYMBOLS)
    out = ["\n" + marked[display_start(marked) :].strip() + "\n"]
    if noted:
        items = "\n".join(f"\\item[{number}.] {_note(step)}" for number, step in noted)
        out.append(f"\\begin{{itemize}}\n{items}\n\\end{{itemize}}\n")
    out += [_error(p) for p in parts if isinstance(p, ErrorView)]
    out += [_error(e) for p in parts if isinstance(p, DocumentView) for e in p.errors]
    return "".join(out)


def _inline(children: list[Token]) -> str:
    out = []
    for child in children:
        kind = child.type
        if kind == "text":
            out.append(escape_text(child.content, strip=False))
        elif kind == "code_inline":
            out.append(f"\\texttt{{{escape_text(child.content)}}}")
        elif kind in ("softbreak", "hardbreak"):
            out.append(" " if kind == "softbreak" else "\\\\\n")
        elif kind == "em_open":
            out.append("\\emph{")
        elif kind == "strong_open":
            out.append("\\textbf{")
        elif kind in ("em_close", "strong_close"):
            out.append("}")
        elif kind == "image":
            out.append(escape_text(child.content or ""))
    return "".join(out)
