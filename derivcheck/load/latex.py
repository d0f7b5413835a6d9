"""Derivations written as LaTeX display math, declared by a ``<!-- derivcheck … -->`` comment.

The comment holds the YAML of a derivation without ``steps``; it applies to
the first display-math block after it (``$$…$$``, ``\\[…\\]`` or a math
environment). The block is cut into rows (``\\\\``) and each row at its
top-level relations; every expression becomes a Step whose ``latex`` is the
text as written and whose ``expr`` is its reading in the Python syntax
(``derivcheck.parse.latex``). Every step points at the line where its row
starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from derivcheck.errors import FormatError
from derivcheck.load.common import (
    Block,
    check_keys,
    equations_to_solve,
    markdown_parser,
    plain_text,
    read_conditions,
    read_definitions,
    read_dependencies,
    read_functions,
    read_symbols,
)
from derivcheck.load.yamltree import Mapping, Node, Scalar, Sequence, read_yaml_documents
from derivcheck.model import (
    Chain,
    Definition,
    Document,
    FunctionDecl,
    LoadError,
    Step,
    Text,
)

if TYPE_CHECKING:
    from derivcheck.parse.latex import Names, Token

COMMENT_KEYS = (
    "title", "source", "symbols", "functions", "define", "depends", "assume", "cases", "wrong", "log", "prime",
    "iterates",
    "solve", "solutions",
)
TRANSPARENT = {
    "equation",
    "equation*",
    "align",
    "align*",
    "aligned",
    "split",
    "gather",
    "gather*",
    "gathered",
    "multline",
    "multline*",
    "eqnarray",
    "eqnarray*",
    "alignat",
    "alignat*",
    "alignedat",
    "flalign",
    "flalign*",
    "displaymath",
    "math",
}
CASE_ENVS = {"cases", "aligned", "array", "dcases"}
CHECKED = {"=": "=", "coloneqq": ":=", "triangleq": "≜"}
_COMMENT = re.compile(r"^[ \t]*<!--\s*derivcheck\b", re.MULTILINE)
_DISPLAY = re.compile(r"\$\$|\\\[|\\begin\{([A-Za-z]+\*?)\}")


@dataclass(frozen=True)
class Segment:
    """An expression of a row: its tokens, and the relation that comes before it (None: none)."""

    tokens: list
    relation: str | None
    relation_token: object | None


@dataclass(frozen=True)
class Row:
    """One row of a display: its number, the line where it starts, segments and annotation."""

    number: int
    line: int
    segments: list
    by: str | None
    cases: list | None = None  # [(tokens of the value, tokens of the condition)]
    condition: list | None = None  # tokens after \quad that may be the row's condition (i = j)


def code_lines(text: str) -> set[int]:
    """0-based lines inside fenced or indented code blocks (their comments are not declarations)."""
    lines: set[int] = set()
    for token in markdown_parser().parse(text):
        if token.type in ("fence", "code_block") and token.map:
            lines.update(range(token.map[0], token.map[1]))
    return lines


@dataclass(frozen=True)
class DefinitionDisplay:
    """A display marked ``<!-- derivcheck define -->``: its rows define quantities for the derivations after it."""

    body: str
    line: int
    col: int


def latex_documents(text: str, path: str, cell: int | None = None) -> list[tuple[int, Document | LoadError]]:
    """Return (line, document or error) for every derivcheck comment of a Markdown text.

    A comment ``<!-- derivcheck define -->`` marks the display after it as
    definitions: every derivation after it reads its rows as ``define:`` entries.
    """
    code = code_lines(text)
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    out: list[tuple[int, Document | LoadError]] = []
    matches = [m for m in _COMMENT.finditer(text) if _line_of(starts, m.start()) - 1 not in code]
    displays: list[DefinitionDisplay] = []
    for number, match in enumerate(matches):
        line = _line_of(starts, match.start())
        limit = matches[number + 1].start() if number + 1 < len(matches) else len(text)
        try:
            if _marks_definitions(text, match):
                displays.append(_definition_display(text, match, limit, starts, code))
                continue
            document = _document_at(text, match, limit, starts, path, code, tuple(displays))
            out.append((line, replace(document, cell=cell)))
        except FormatError as exc:
            out.append((line, LoadError(path, exc.line or line, exc.message, cell)))
    return out


_DEFINE_MARK = re.compile(r"\s*define\s*-->")


def _marks_definitions(text: str, match: re.Match) -> bool:
    """Whether the comment at ``match`` is ``<!-- derivcheck define -->`` (a display of definitions follows)."""
    return _DEFINE_MARK.match(text, match.end()) is not None


def _definition_display(text: str, match: re.Match, limit: int, starts: list[int], code: set[int]) -> DefinitionDisplay:
    line = _line_of(starts, match.start())
    display = _find_display(text, text.find("-->", match.end()) + 3, limit, starts, code)
    if display is None:
        raise FormatError(
            "no display math after this '<!-- derivcheck define -->' comment (its rows would define quantities)", line
        )
    body, offset, _ = display
    body_line = _line_of(starts, offset)
    return DefinitionDisplay(body, body_line, offset - starts[body_line - 1] + 1)


def latex_blocks(text: str) -> list:
    """The lines each LaTeX derivation takes in a post, as ``Block`` items: from its comment to the
    end of its display math (``render`` puts the rendering there)."""
    code = code_lines(text)
    starts = [0] + [m.end() for m in re.finditer("\n", text)]
    matches = [m for m in _COMMENT.finditer(text) if _line_of(starts, m.start()) - 1 not in code]
    blocks = []
    for number, match in enumerate(matches):
        if _marks_definitions(text, match):
            continue  # a display of definitions: shown as written
        limit = matches[number + 1].start() if number + 1 < len(matches) else len(text)
        close = text.find("-->", match.end())
        try:
            display = _find_display(text, close + 3, limit, starts, code) if close >= 0 else None
        except FormatError:
            display = None
        if display is None:
            continue
        line = _line_of(starts, match.start())
        end_line = _line_of(starts, max(display[2] - 1, 0))
        blocks.append(Block(text[match.start() : display[2]], line, line, end_line))
    return blocks


def _line_of(starts: list[int], offset: int) -> int:
    import bisect

    return bisect.bisect_right(starts, offset)


def _document_at(
    text: str,
    match: re.Match,
    limit: int,
    starts: list[int],
    path: str,
    code: set[int],
    displays: tuple[DefinitionDisplay, ...] = (),
) -> Document:
    line = _line_of(starts, match.start())
    close = text.find("-->", match.end())
    if close < 0:
        raise FormatError("the <!-- derivcheck comment opened here is never closed (add -->)", line)
    body_start = match.end()
    first_newline = text.find("\n", body_start)
    if 0 <= first_newline < close and not text[body_start:first_newline].strip():
        body_start = first_newline + 1
    yaml_text = text[body_start:close]
    yaml_line = _line_of(starts, body_start)
    roots = [r for r in read_yaml_documents(yaml_text, yaml_line - 1) if r is not None]
    if len(roots) != 1 or not isinstance(roots[0], Mapping):
        raise FormatError("a derivcheck comment holds one YAML mapping (title, symbols, functions, …)", line)
    root = roots[0]
    display = _find_display(text, close + 3, limit, starts, code)
    if display is None:
        raise FormatError(
            "no display math ($$…$$, \\[…\\] or an equation environment) after this derivcheck comment", line
        )
    body, body_offset, _ = display
    body_line = _line_of(starts, body_offset)
    body_col = body_offset - starts[body_line - 1] + 1
    return build_latex_document(root, body, body_line, body_col, path, line, displays)


def _find_display(text: str, start: int, limit: int, starts: list[int], code: set[int]) -> tuple[str, int, int] | None:
    """The first display math after ``start``: its body, where the body starts, where the display ends."""
    position = start
    while True:
        match = _DISPLAY.search(text, position, limit)
        if match is None:
            return None
        if _line_of(starts, match.start()) - 1 in code:
            position = match.end()
            continue
        if match.group(0) == "$$":
            end = text.find("$$", match.end())
            if end < 0:
                raise FormatError("'$$' is never closed", _line_of(starts, match.start()))
            return text[match.end() : end], match.end(), end + 2
        if match.group(0) == "\\[":
            end = text.find("\\]", match.end())
            if end < 0:
                raise FormatError("'\\[' is never closed", _line_of(starts, match.start()))
            return text[match.end() : end], match.end(), end + 2
        env = match.group(1)
        if env not in TRANSPARENT:
            position = match.end()
            continue
        end = _environment_end(text, env, match.end())
        if end < 0:
            raise FormatError(f"\\begin{{{env}}} is never closed", _line_of(starts, match.start()))
        return text[match.start() : end], match.start(), end


def _environment_end(text: str, env: str, start: int) -> int:
    opening, closing = f"\\begin{{{env}}}", f"\\end{{{env}}}"
    depth, position = 1, start
    while depth:
        next_close = text.find(closing, position)
        if next_close < 0:
            return -1
        next_open = text.find(opening, position, next_close)
        if next_open >= 0:
            depth, position = depth + 1, next_open + len(opening)
        else:
            depth, position = depth - 1, next_close + len(closing)
    return position


# -- the comment ---------------------------------------------------------------------------------


def build_latex_document(
    root: Mapping,
    body: str,
    body_line: int,
    body_col: int,
    path: str,
    comment_line: int,
    displays: tuple[DefinitionDisplay, ...] = (),
) -> Document:
    """Return the Document of a comment's YAML and the display-math text it declares.

    ``displays``: the displays of definitions before the comment; their rows are read as ``define`` entries.
    """
    from derivcheck.parse.latex import names_from_declarations, tokenize

    check_keys(root, COMMENT_KEYS, "derivcheck comment")
    title = root.get("title")
    if title is None or not isinstance(title, Scalar) or title.is_null or not title.raw.strip():
        raise FormatError("the derivcheck comment needs 'title' (one line of text)", root.line)
    if root.get("symbols") is None:
        raise FormatError("missing required key 'symbols' (write 'symbols: {}' when there is none)", root.line)
    symbols = read_symbols(root.get("symbols"))
    functions = read_functions(root.get("functions"))
    log_base = _log_base(root.get("log"))
    prime = root.get("prime")
    if prime is not None and (not isinstance(prime, Scalar) or prime.is_null or not prime.raw.strip()):
        raise FormatError("'prime' names the variable of a prime on an expression, e.g. 'prime: x'", prime.line)
    definitions = read_definitions(root.get("define"))
    names = names_from_declarations(
        symbols, functions, log_base, prime.raw.strip() if prime is not None else None, definitions,
        _iterates(root.get("iterates")),
    )
    dependencies = read_dependencies(root.get("depends"))
    for dependency in dependencies:  # written like a symbol (L) or a vector (p_j)
        names.symbols.setdefault(dependency.name, "vector" if dependency.index is not None else "scalar")
    for display in displays:
        definitions = (*definitions, *_displayed_definitions(display, names, definitions))
    wrong = _wrong_map(root.get("wrong"))
    tokens = tokenize(body, body_line, body_col)
    rows = split_rows(tokens, body)
    introduced: list[FunctionDecl | Definition] = []
    chains, notices = build_chains(rows, names, wrong, body, comment_line, introduced)
    functions = (*functions, *(d for d in introduced if isinstance(d, FunctionDecl)))
    definitions = (*definitions, *(d for d in introduced if isinstance(d, Definition)))
    chains, equations = equations_to_solve(chains, root.get("solve"), root.get("solutions"))
    notices.extend(equations.notices)
    cases = root.get("cases")
    if cases is not None:
        conditions = read_conditions(cases, "cases")
        chains = [
            replace(chain, label=f"{chain.label}, when {when.text.strip()}", when=(when,))
            for when in conditions
            for chain in chains
        ]
    source = root.get("source")
    return Document(
        path=path,
        title=title.raw.strip(),
        line=comment_line,
        source=plain_text(source, "source") if source is not None else None,
        symbols=symbols,
        functions=functions,
        definitions=definitions,
        dependencies=dependencies,
        assume=read_conditions(root.get("assume"), "assume"),
        chains=tuple(chains),
        notices=tuple(notices),
        numbers=equations.claims,
    )


_TYPEFACES_OF_NAMES = ("mathcal", "mathbf", "mathrm", "boldsymbol", "bm", "mathit", "operatorname", "mathbb")


def _displayed_definitions(
    display: DefinitionDisplay, names: Names, earlier: tuple[Definition, ...]
) -> list[Definition]:
    """The rows ``L = …``, ``p_k = …`` of a display of definitions, as ``define`` entries (``names`` learns them)."""
    from derivcheck.parse.latex import read_expression, tokenize

    out: list[Definition] = []
    taken = {d.name: d.line for d in earlier}
    for row in split_rows(tokenize(display.body, display.line, display.col), display.body):
        segments = row.segments
        if row.cases is not None or len(segments) != 2 or segments[1].relation not in CHECKED:
            raise FormatError(
                f"row {row.number} of the definitions: a definition row is 'name = expression' "
                "(L = …, or p_k = … for each element)",
                row.line,
            )
        name, index = _defined_head(segments[0].tokens, row)
        if names.is_declared(name) and name not in taken:
            raise FormatError(
                f"'{name}' is declared in the derivcheck comment and defined at line {row.line}; keep one", row.line
            )
        if name in taken:
            raise FormatError(f"'{name}' is defined twice (lines {taken[name]} and {row.line})", row.line)
        bound = frozenset(index.split(", ")) if index is not None else frozenset()
        try:
            reading = read_expression(_drop_punctuation(segments[1].tokens), names, bound=bound)
        except FormatError as exc:
            raise FormatError(f"row {row.number} of the definitions: {exc.message}", exc.line or row.line) from None
        names.symbols[name] = "vector" if index is not None else "scalar"
        taken[name] = row.line
        out.append(Definition(name, index, reading.text(row.line), row.line))
    return out


def _defined_head(tokens: list, row: Row) -> tuple[str, str | None]:
    """The name and the index of a definition's left side: ``L``, ``\\mathcal{L}``, ``p_k``, ``p_{k}``."""
    from derivcheck.parse.latex import _ignorable

    parts = [
        t for t in tokens
        if not _ignorable(t) and t.text not in ("{", "}") and not (t.kind == "macro" and t.text in _TYPEFACES_OF_NAMES)
    ]
    if len(parts) > 2 and parts[1].text == "(" and parts[-1].text == ")":
        parts = parts[:1]  # L(w_0, w_1) = …: the quantity L, written with the names it is of
    words = ["".join(t.text for t in parts)]
    if any(t.text == "_" for t in parts):
        at = next(k for k, t in enumerate(parts) if t.text == "_")
        words = ["".join(t.text for t in parts[:at]), "".join(t.text for t in parts[at + 1 :])]
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", words[0]) or any(
        t.kind not in ("letter", "macro", "digit", "char") for t in parts
    ):
        raise FormatError(
            f"row {row.number} of the definitions: the left side names the quantity defined "
            "(L, \\mathcal{L}, or p_k for each element p_k)",
            row.line,
        )
    if len(words) == 2 and not re.fullmatch(r"[A-Za-z](?:,[A-Za-z])*", words[1]):
        raise FormatError(
            f"row {row.number} of the definitions: an element is defined with index letters (p_k = …, y_{{a,b}} = …)",
            row.line,
        )
    return words[0], (", ".join(words[1].split(",")) if len(words) == 2 else None)


def _iterates(node: Node | None) -> tuple[str, ...]:
    """The names under ``iterates`` (``[w, h]``): their superscripts count iterations."""
    if node is None or (isinstance(node, Scalar) and node.is_null):
        return ()
    items = node.items if isinstance(node, Sequence) else [node]
    names = []
    for item in items:
        if not isinstance(item, Scalar) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", item.raw.strip()):
            raise FormatError("'iterates' lists names whose superscript counts iterations, e.g. [w, h]", item.line)
        names.append(item.raw.strip())
    return tuple(names)


def _log_base(node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, Scalar) and not node.is_null and re.fullmatch(r"[0-9]+|[A-Za-z]\w*", node.raw.strip()):
        if node.raw.strip() in ("e", "E"):
            return None
        return node.raw.strip()
    raise FormatError(
        "'log' gives the base of \\log: a whole number such as 2 or 10, or e", getattr(node, "line", None)
    )


def _wrong_map(node: Node | None) -> dict[tuple[int, int | None], tuple[str, int]]:
    if node is None:
        return {}
    if not isinstance(node, Mapping):
        raise FormatError("'wrong' maps a row number to the erratum, e.g. {3: sign slip}", node.line)
    out = {}
    for (key, value), line in zip(node.items, node.key_lines):
        match = re.fullmatch(r"\s*(\d+)(?:\.(\d+))?\s*", key)
        if not match:
            raise FormatError(
                f"'wrong' key '{key}' is not a row number (write 3, or 3.2 for the second expression of row 3)", line
            )
        if not isinstance(value, Scalar) or value.is_null or not value.raw.strip():
            raise FormatError("'wrong' takes a short text saying what the erratum is", line)
        at = (int(match.group(1)), int(match.group(2)) if match.group(2) else None)
        out[at] = (value.raw, line)
    return out


# -- rows ----------------------------------------------------------------------------------------


def _env_name(tokens: list, k: int) -> tuple[str, int] | None:
    """The name of ``\\begin{name}``/``\\end{name}`` at ``tokens[k]`` and the index after it."""
    if k + 1 >= len(tokens) or tokens[k + 1].text != "{":
        return None
    name = ""
    j = k + 2
    while j < len(tokens) and tokens[j].text != "}":
        name += tokens[j].text
        j += 1
    return name, j + 1


def split_rows(tokens: list, source: str) -> list[Row]:
    """Cut a display into rows; drop layout (environments, labels, tags, alignment)."""
    from derivcheck.parse.latex import MATRIX_ENVIRONMENTS

    flat = []
    k = 0
    while k < len(tokens):
        tok = tokens[k]
        if tok.kind == "macro" and tok.text in ("begin", "end"):
            named = _env_name(tokens, k)
            if named is None:
                raise FormatError(f"column {tok.col}: \\{tok.text} needs an environment name", tok.line)
            name, after = named
            if name in TRANSPARENT and not _inside_case(tokens, k):
                k = after
                continue
            if name == "array" and not _inside_case(tokens, k):
                # an array as the alignment of a chain (\begin{array}{rcl} a &=& b): layout, like aligned;
                # its column spec {rcl} goes with it
                k = _skip_group(tokens, after) if tok.text == "begin" else after
                continue
            if name not in TRANSPARENT and name not in CASE_ENVS and name not in MATRIX_ENVIRONMENTS:
                raise FormatError(
                    f"column {tok.col}: the environment '{name}' is not read "
                    "(equation, align, split, gather, multline, aligned, cases and pmatrix, bmatrix, matrix are)",
                    tok.line,
                )
            flat.extend(tokens[k:after])
            k = after
            continue
        if tok.kind == "macro" and tok.text in ("hspace", "vspace", "hskip"):
            # spacing with its argument: \hspace{…} is wide spacing, read as \qquad (it separates a row's
            # parts: an annotation, a definition and its consequence, two claims); \vspace is layout
            k += 1
            if k < len(tokens) and tokens[k].text == "*":
                k += 1
            k = _skip_group(tokens, k)
            if tok.text == "hspace":
                flat.append(replace(tok, text="qquad"))
            continue
        if tok.kind == "macro" and tok.text in ("label", "tag", "eqref", "ref"):
            k += 1
            if k < len(tokens) and tokens[k].text == "*":
                k += 1
            k = _skip_group(tokens, k)
            continue
        flat.append(tok)
        k += 1
    flat = _without_row_spacing(flat)
    rows: list[list] = [[]]
    depth = 0
    for tok in flat:
        if tok.kind == "char" and tok.text == "{" or (tok.kind == "macro" and tok.text == "begin"):
            depth += 1
        elif tok.kind == "char" and tok.text == "}" or (tok.kind == "macro" and tok.text == "end"):
            depth -= 1
        if depth == 0 and tok.kind == "macro" and tok.text in ("\\", "cr", "newline"):
            rows.append([])
            continue
        rows[-1].append(tok)
    # Every row has one number: the cases of a case split are rows of their own (case k of the
    # split in row n is row n + k - 1), so the rows after the split count on from its last case.
    out = []
    number = 1
    for row in (r for r in rows if _meaningful(r)):
        read = _read_row(number, row, source)
        out.append(read)
        number += max(1, len(read.cases or ()))
    return out


def _without_row_spacing(tokens: list) -> list:
    """Drop the extra space a row break may ask for: ``\\\\[1em]``, ``\\\\[4pt]`` (layout, not math)."""
    out = []
    k = 0
    while k < len(tokens):
        tok = tokens[k]
        out.append(tok)
        k += 1
        if tok.kind == "macro" and tok.text == "\\" and k < len(tokens) and tokens[k].text == "[":
            end = next((j for j in range(k + 1, min(k + 12, len(tokens))) if tokens[j].text == "]"), None)
            inside = "".join(t.text for t in tokens[k + 1 : end]) if end is not None else ""
            if end is not None and re.fullmatch(r"-?[0-9.]*\s*(em|ex|pt|mm|cm|in|mu|bp|pc)", inside):
                k = end + 1
    return out


def _inside_case(tokens: list, k: int) -> bool:
    # an aligned environment right after \left\{ is a case split
    j = k - 1
    while j >= 0 and tokens[j].kind == "macro" and tokens[j].text in (" ", ",", ";", "quad"):
        j -= 1
    if tokens[k].text == "begin":
        return j >= 1 and tokens[j].key in ("\\{", "\\lbrace") and tokens[j - 1].text == "left"
    # \end{aligned} followed by \right.
    named = _env_name(tokens, k)
    return named is not None and named[1] < len(tokens) and tokens[named[1]].text == "right"


def _skip_group(tokens: list, k: int) -> int:
    if k >= len(tokens) or tokens[k].text != "{":
        return k
    depth = 0
    while k < len(tokens):
        if tokens[k].text == "{":
            depth += 1
        elif tokens[k].text == "}":
            depth -= 1
            if depth == 0:
                return k + 1
        k += 1
    return k


def _meaningful(row: list) -> bool:
    from derivcheck.parse.latex import _ignorable

    return any(not _ignorable(t) and not (t.kind == "char" and t.text in "&.,;") for t in row)


def _top_level(row: list[Token]) -> Iterator[tuple[int, Token, int]]:
    """Yield (index, token, depth) with the grouping depth of each token."""
    depth = 0
    for k, tok in enumerate(row):
        opening = (tok.kind == "char" and tok.text in "{([") or (tok.kind == "macro" and tok.text in ("left", "begin"))
        closing = (tok.kind == "char" and tok.text in "})]") or (tok.kind == "macro" and tok.text in ("right", "end"))
        if closing:
            depth = max(depth - 1, 0)
        yield k, tok, depth
        if opening:
            depth += 1


def _read_row(number: int, row: list, source: str) -> Row:
    from derivcheck.parse.latex import RELATIONS

    line = row[0].line
    by = None
    # annotation: after a top-level \quad, \qquad or && (the rest of the row)
    cut = None
    seen_math = False
    claims: set[int] = set()  # wide spacing that starts a second claim of the row
    for k, tok, depth in _top_level(row):
        if depth == 0 and seen_math:
            if tok.kind == "macro" and tok.text in ("quad", "qquad") and not _next_to_arrow(row, k):
                if _starts_claim(row, k):
                    claims.add(id(tok))
                    continue
                cut = k
                break
            if tok.kind == "char" and tok.text == "&" and k + 1 < len(row) and row[k + 1].text == "&":
                cut = k
                break
            if tok.kind == "char" and tok.text == "," and _prose_follows(row, k + 1):
                cut = k  # "…, \ for one-hot labels, …": a remark after the expression
                break
        if not (tok.kind == "char" and tok.text == "&") and _has_math([tok]):
            seen_math = True
    condition = None
    if cut is not None:
        by = _annotation(row[cut:], source)
        condition = _condition_tokens(row[cut:])
        row = row[:cut]
    elif (
        len(row) >= 2
        and row[-1].kind == "arg"
        and row[-2].text == "text"
        and not re.fullmatch(r"\s*\w+\s*", row[-1].text)
    ):
        by = row[-1].text.strip()
        row = row[:-2]
    row = [t for _, t, depth in _top_level(row) if depth or not (t.kind == "char" and t.text == "&")]
    segments = []
    current: list = []
    relation = relation_token = None
    cases = None
    k = 0
    levels = list(_top_level(row))
    while k < len(row):
        tok, depth = row[k], levels[k][2]
        is_relation = depth == 0 and (
            (tok.kind == "char" and tok.text in "=<>")
            or (tok.kind == "macro" and tok.text in RELATIONS)
            or (tok.kind == "char" and tok.text == ":" and k + 1 < len(row) and row[k + 1].text == "=")
        )
        if (
            depth == 0
            and tok.kind == "macro"
            and tok.text == "left"
            and k + 1 < len(row)
            and row[k + 1].key in ("\\{", "\\lbrace")
            and k + 2 < len(row)
            and row[k + 2].text == "begin"
        ):
            cases, k = _read_cases(row, k, source)
            continue
        if (
            depth == 0
            and tok.kind == "macro"
            and tok.text == "begin"
            and (env := _env_name(row, k)) is not None
            and env[0] in ("cases", "dcases")
        ):
            cases, k = _read_cases(row, k, source)
            continue
        if id(tok) in claims:  # a second claim: a new expression with no relation before it
            segments.append(Segment(_drop_punctuation(current), relation, relation_token))
            current, relation, relation_token = [], None, None
            k += 1
            continue
        if is_relation:
            segments.append(Segment(current, relation, relation_token))
            current = []
            if tok.text == ":":
                relation, relation_token = ":=", tok
                k += 2
                continue
            relation, relation_token = tok.text, tok
        else:
            current.append(tok)
        k += 1
    segments.append(Segment(_drop_punctuation(current), relation, relation_token))
    return Row(number, line, segments, by, cases, condition)


ARROWS = ("rightarrow", "Rightarrow", "implies", "longrightarrow", "Longrightarrow")


def _starts_claim(row: list, k: int) -> bool:
    """Whether the wide spacing at ``k`` separates two claims (``a = b \\qquad c = d``), not a remark.

    What follows must hold a relation at its top level and not start with words;
    a comma before the spacing makes the rest a remark or the row's condition (``…, \\quad i = j``).
    """
    from derivcheck.parse.latex import NAME_MACROS, _ignorable

    j = k - 1
    while j >= 0 and _ignorable(row[j]):
        j -= 1
    if j < 0 or (row[j].kind == "char" and row[j].text in ",;&"):
        return False
    before, rest = row[:k], row[k + 1 :]
    if not _has_relation(before):
        return False
    first = next((t for t in rest if not _ignorable(t)), None)
    words = NAME_MACROS - {"operatorname", "mathrm"}
    if first is None or first.kind == "prose" or (first.kind == "macro" and first.text in words):
        return False
    return _has_relation(rest)


def _has_relation(tokens: list) -> bool:
    """Whether ``tokens`` hold a relation at their top level."""
    from derivcheck.parse.latex import RELATIONS

    return any(
        depth == 0 and ((t.kind == "char" and t.text in "=<>") or (t.kind == "macro" and t.text in RELATIONS))
        for _, t, depth in _top_level(tokens)
    )


def _next_to_arrow(row: list, k: int) -> bool:
    """Whether the spacing at ``k`` stands beside an arrow (``\\quad \\Rightarrow``): a separator, not a remark."""
    from derivcheck.parse.latex import _ignorable

    for step in (1, -1):
        j = k + step
        while 0 <= j < len(row) and _ignorable(row[j]):
            j += step
        if 0 <= j < len(row) and row[j].kind == "macro" and row[j].text in ARROWS:
            return True
    return False


def _condition_tokens(tokens: list) -> list | None:
    """The tokens of an annotation that could be a condition (``\\quad i = j``, ``, \\quad \\text{if } i \\ne j``)."""
    from derivcheck.parse.latex import _ignorable

    kept = [t for t in tokens if not _ignorable(t) and not (t.kind == "char" and t.text in "&,")]
    if (
        len(kept) > 2
        and kept[0].kind == "macro"
        and kept[0].text in ("text", "mbox", "textrm")
        and kept[1].kind == "arg"
        and kept[1].text.strip() in ("if", "for", "when")
    ):
        kept = kept[2:]
    kept = _drop_punctuation(kept)
    return kept or None


def _prose_follows(row: list, k: int) -> bool:
    """Whether the first token at ``k`` that is not spacing starts words (\text{…} or a non-ASCII letter)."""
    from derivcheck.parse.latex import NAME_MACROS, _ignorable

    while k < len(row) and _ignorable(row[k]):
        k += 1
    if k >= len(row):
        return False
    tok = row[k]
    if tok.kind == "macro" and tok.text in NAME_MACROS - {"operatorname", "mathrm"}:
        return True
    return tok.kind == "prose"


def _comma_at(token: Token) -> Token:
    """A comma token standing where the '&' of a case row was."""
    return replace(token, text=",")


def _has_math(tokens: list) -> bool:
    from derivcheck.parse.latex import _ignorable

    return any(not _ignorable(t) for t in tokens)


def _annotation(tokens: list, source: str) -> str | None:
    texts = [t.text.strip() for t in tokens if t.kind == "arg"]
    if texts:
        return " ".join(x for x in texts if x) or None
    raw = source[tokens[0].end : tokens[-1].end].strip() if tokens else ""
    raw = re.sub(r"^(?:[&\s]|\\[ ,;:!])+", "", raw)
    return raw or None


def _without_trailing_spacing(tokens: list) -> list:
    from derivcheck.parse.latex import _ignorable

    out = list(tokens)
    while out and _ignorable(out[-1]):
        out.pop()
    return out


def _drop_punctuation(tokens: list) -> list:
    from derivcheck.parse.latex import _ignorable

    out = list(tokens)
    while out and (_ignorable(out[-1]) or (out[-1].kind == "char" and out[-1].text in ".,;")):
        out.pop()
    return out


def _read_cases(row: list[Token], k: int, source: str) -> tuple[list[tuple[list[Token], list[Token], int]], int]:
    """Read ``\\left\\{ \\begin{aligned} … \\right.`` or ``\\begin{cases}…``: (value, condition) pairs."""
    start = k
    if row[k].text == "left":
        k += 2
    named = _env_name(row, k)
    if named is None:
        raise FormatError("a case split needs \\begin{aligned} or \\begin{cases} after \\left\\{", row[start].line)
    name, k = named
    depth = 1
    body_start = k
    while k < len(row):
        tok = row[k]
        if tok.kind == "macro" and tok.text == "begin":
            depth += 1
        elif tok.kind == "macro" and tok.text == "end":
            depth -= 1
            if depth == 0:
                break
        k += 1
    if k >= len(row):
        raise FormatError(f"\\begin{{{name}}} is never closed", row[start].line)
    body = row[body_start:k]
    closing = _env_name(row, k)
    if closing is None:
        raise FormatError(f"\\end{{{name}}} needs its name in braces", row[k].line)
    _, k = closing
    if k < len(row) and row[k].text == "right":
        k += 2
    rows: list[list] = [[]]
    for tok in body:
        if tok.kind == "macro" and tok.text == "\\":
            rows.append([])
        else:
            rows[-1].append(tok)
    cases = []
    for case in rows:
        if not _meaningful(case):
            continue
        amps = [
            j
            for j, tok, depth in _top_level(case)
            if depth == 0 and tok.kind == "char" and tok.text == "&" and _has_math(case[:j])
        ]
        if amps:  # cases style: value & condition
            case = (
                [t for t in case[: amps[0]] if t.text != "&"]
                + [_comma_at(case[amps[0]])]
                + [t for t in case[amps[0] + 1 :] if t.text != "&"]
            )
        case = [t for t in case if not (t.kind == "char" and t.text == "&")]
        split = None
        for j, tok, depth in _top_level(case):
            if depth == 0 and tok.kind == "char" and tok.text == ",":
                split = j
                break
        if split is None:
            raise FormatError("a case is written 'value, condition' (e.g. p_i, j = i)", case[0].line)
        condition = _drop_punctuation(case[split + 1 :])
        while condition and condition[0].kind == "char" and condition[0].text == ",":
            condition = condition[1:]
        condition = [
            t
            for t in condition
            if not (t.kind == "macro" and t.text in ("text",))
            and not (t.kind == "arg" and t.text.strip() in ("if", "for", "when", ""))
        ]
        cases.append((_drop_punctuation(case[:split]), condition, case[0].line))
    return cases, k


# -- chains --------------------------------------------------------------------------------------


def _source_text(tokens: list, source: str) -> str:
    if not tokens:
        return ""
    return " ".join(source[tokens[0].offset : tokens[-1].end].split())


_HEAD = re.compile(r"([A-Za-z]+)(?:\(([A-Za-z]+(?:,[A-Za-z]+)*)\))?\Z")


def _definition_row(row: Row, names: Names) -> tuple[str, tuple[str, ...] | None, list, int] | None:
    """``f(x) = body \\rightarrow claim`` with ``f`` not declared: (name, params or None, body tokens, arrow index)."""
    from derivcheck.parse.latex import _ignorable

    segments = row.segments
    arrow = next((k for k, seg in enumerate(segments) if seg.relation in ARROWS), None)
    if arrow is None or arrow != 2 or segments[1].relation != "=" or segments[0].relation is not None:
        return None
    head = "".join(t.text for t in segments[0].tokens if not _ignorable(t))
    match = _HEAD.match(head)
    if match is None or names.is_declared(match.group(1)):
        return None
    params = tuple(match.group(2).split(",")) if match.group(2) else None
    return match.group(1), params, segments[1].tokens, arrow


def build_chains(
    rows: list[Row],
    names: Names,
    wrong: dict[tuple[int, int | None], tuple[str, int]],
    source: str,
    comment_line: int,
    introduced: list[FunctionDecl | Definition] | None = None,
) -> tuple[list[Chain], list[Text]]:
    """Return the chains and the notices of not-checked rows of a display.

    A row ``f(x) = e^x \\rightarrow claim`` with ``f`` not declared defines ``f``
    (a FunctionDecl, or a Definition for a plain name, appended to ``introduced``)
    and checks the claim after the arrow.
    """
    from derivcheck.parse.latex import DOTS, RELATIONS, _ignorable, read_expression

    chains: list[Chain] = []
    notices: list[Text] = []
    used_wrong: set = set()
    current: list[Step] = []
    first_row = None

    conditions = {row.number: row for row in rows if row.condition}

    def close_chain(last_row: int) -> None:
        nonlocal current, first_row
        if len(current) == 1 and not any(n.line == current[0].expr.line for n in notices):
            notices.append(
                Text(
                    f"row {first_row}: '{_short_latex(current[0].latex or current[0].expr.text)}' stands alone "
                    "(no '=' before or after it in the display): it is not checked",
                    current[0].expr.line,
                )
            )
        if len(current) >= 2:
            label = f"row {first_row}" if first_row == last_row else f"rows {first_row}-{last_row}"
            when = row_condition(conditions.get(first_row)) if first_row == last_row else None
            if when is not None:
                label = f"{label}, when {when.text}"
            chains.append(Chain(label, tuple(current), (when,) if when else (), current[0].expr.line))
        current, first_row = [], None

    def row_condition(row: Row | None) -> Text | None:
        """A one-row chain's condition after \\quad (``i = j``) when it reads as one on declared names."""
        if row is None or row.condition is None:
            return None
        try:
            return condition_text(row.condition, names, row.line)
        except FormatError:
            return None

    def step_of(tokens: list, row: Row, position: int, first: bool = False) -> Step:
        mark = wrong.get((row.number, position)) or (None if first else wrong.get((row.number, None)))
        if mark is not None:
            used_wrong.add((row.number, position) if (row.number, position) in wrong else (row.number, None))
        try:
            reading = read_expression(tokens, names, lenient=mark is not None)
        except FormatError as exc:
            raise FormatError(f"row {row.number}: {exc.message}", exc.line or row.line) from None
        return Step(
            reading.text(row.line),
            by=row.by,
            wrong=mark[0] if mark is not None else None,
            latex=_source_text(_without_trailing_spacing(tokens), source),
            notes=tuple(reading.notes),
            alternative=reading.alternative_text(row.line),
        )

    last_row = 0
    previous_relation_open = False
    for row in rows:
        defined = _definition_row(row, names) if introduced is not None and row.cases is None else None
        if defined is not None and introduced is not None:
            close_chain(last_row)
            name, params, body_tokens, arrow = defined
            body_tokens = _drop_punctuation(body_tokens)
            introduced.append(_introduce(name, params, body_tokens, names, row))
            shown = f"{name}({', '.join(params)})" if params else name
            notices.append(
                Text(
                    f"row {row.number}: defines {shown} = {_short_latex(_source_text(body_tokens, source))}; "
                    "the claim after the arrow is checked with it",
                    row.line,
                )
            )
            claim = list(row.segments[arrow].tokens)
            while claim and _ignorable(claim[0]):
                claim = claim[1:]
            row = replace(row, segments=[Segment(claim, None, None), *row.segments[arrow + 1 :]])
            previous_relation_open = False
        if row.cases is not None:
            close_chain(last_row)
            lhs = row.segments[0].tokens if row.segments else []
            if not lhs or len(row.segments) != 2 or row.segments[1].relation != "=":
                raise FormatError(
                    f"row {row.number}: a case split is written 'expression = \\left\\{{ … \\right.'", row.line
                )
            for number, (value, condition, line) in enumerate(row.cases, start=1):
                case_row = Row(row.number + number - 1, line, [], row.by)
                head = step_of(lhs, Row(row.number, row.line, [], None), 1, first=True)
                if head.wrong is not None:
                    raise FormatError(
                        f"row {row.number}.1: the expression a case split starts from cannot be marked 'wrong' "
                        f"(mark a case: its row, {row.number} to {row.number + len(row.cases) - 1})",
                        row.line,
                    )
                value_step = step_of(value, case_row, 1 if case_row.number != row.number else 2)
                when = condition_text(condition, names, line)
                chains.append(Chain(f"row {case_row.number}, case {number}", (head, value_step), (when,), row.line))
            last_row = row.number + len(row.cases) - 1
            continue
        position = 0
        for index, segment in enumerate(row.segments):
            relation = segment.relation
            tokens = segment.tokens
            is_dots = bool(tokens) and all(t.kind == "macro" and t.text in DOTS for t in tokens if t.kind != "char")
            if index == 0 and not tokens:
                continue  # the row starts with its relation: it continues the chain
            if index == 0 and relation is None and not previous_relation_open:
                close_chain(last_row)
            elif index > 0 and relation is None:  # the row's second claim (after wide spacing)
                close_chain(row.number)
            if not tokens:
                previous_relation_open = True
                break
            if is_dots:
                notices.append(
                    Text(
                        f"row {row.number}: '\\ldots' stands for steps not written out; "
                        "the chain is not checked across it",
                        row.line,
                    )
                )
                close_chain(row.number if index > 0 else last_row)
                continue
            rel = INEQUALITIES.get(relation or "=", "==")
            if rel != "==" and current and _goes_other_way(current, rel):
                # a chain concludes one way: start again from the expression before the relation
                restart = replace(current[-1], wrong=None, rel="==", by=None)
                close_chain(row.number if index > 0 else last_row)
                current, first_row = [restart], row.number
            if relation is not None and relation not in CHECKED and relation not in INEQUALITIES:
                shown = ("\\" + relation) if relation in RELATIONS and relation not in "=<>" else relation
                symbol = RELATIONS.get(relation, relation)
                notices.append(
                    Text(
                        f"row {row.number}: the relation '{shown}' ({symbol}) is not an equality nor an inequality: "
                        "the expressions on either side are not checked against each other",
                        segment.relation_token.line if segment.relation_token is not None else row.line,
                    )
                )
                close_chain(row.number if index > 0 else last_row)
            position += 1
            step = step_of(tokens, row, position, first=not current)
            if current and rel != "==":
                step = replace(step, rel=rel)
            if not current:
                first_row = row.number
                if step.wrong is not None:
                    raise FormatError(
                        f"row {row.number}: the first expression of a chain cannot be marked 'wrong'", row.line
                    )
            current.append(step)
            previous_relation_open = False
        last_row = row.number
    close_chain(last_row)
    unused = set(wrong) - used_wrong
    if unused:
        first = min(unused, key=lambda at: (at[0], at[1] or 0))
        (row_number, part), (_, line) = first, wrong[first]
        shown = f"{row_number}.{part}" if part else str(row_number)
        raise FormatError(
            f"'wrong' names row {shown}, which holds no step of the display below ({_row_count(rows)} rows, "
            "each case of a case split counted as a row)",
            line,
        )
    if not chains and not notices:
        raise FormatError(
            "the display math after this derivcheck comment has no relation to check (a chain needs 'a = b')",
            comment_line,
        )
    return chains, notices


def _row_count(rows: list[Row]) -> int:
    """How many numbered rows a display has (the last row's number, its cases counted)."""
    if not rows:
        return 0
    last = rows[-1]
    return last.number + max(1, len(last.cases or ())) - 1


INEQUALITIES = {
    "<": "<",
    "lt": "<",
    ">": ">",
    "gt": ">",
    "le": "<=",
    "leq": "<=",
    "leqslant": "<=",
    "ge": ">=",
    "geq": ">=",
    "geqslant": ">=",
}


def _introduce(
    name: str, params: tuple[str, ...] | None, tokens: list[Token], names: Names, row: Row
) -> FunctionDecl | Definition:
    """The function (``f(x) = …``) or quantity (``y = …``) a definition row introduces; ``names`` learns it."""
    from derivcheck.parse.latex import _ignorable, read_expression

    while tokens and _ignorable(tokens[-1]):
        tokens = tokens[:-1]
    try:
        reading = read_expression(tokens, names)
    except FormatError as exc:
        raise FormatError(f"row {row.number}: {exc.message}", exc.line or row.line) from None
    body = reading.text(row.line)
    if params is None:
        names.symbols[name] = "scalar"
        return Definition(name, None, body, row.line)
    names.functions[name] = params
    names.bodies[name] = body.text
    return FunctionDecl(name, params, body, row.line)


def _short_latex(text: str, width: int = 60) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= width else one_line[: width - 1] + "…"


def _goes_other_way(steps: list, rel: str) -> bool:
    """Whether ``rel`` goes against the direction of the inequalities already in the chain."""
    earlier = [s.rel for s in steps if s.rel != "=="]
    return bool(earlier) and (earlier[0][0] == "<") != (rel[0] == "<")


_CONDITION_OPS = {
    "=": "==",
    "neq": "!=",
    "ne": "!=",
    "<": "<",
    ">": ">",
    "le": "<=",
    "leq": "<=",
    "ge": ">=",
    "geq": ">=",
    "lt": "<",
    "gt": ">",
}


def condition_text(tokens: list[Token], names: Names, line: int) -> Text:
    """A case condition in LaTeX (``j = i``, ``x \\geq 0``) as a condition in the Python syntax."""
    from derivcheck.parse.latex import comparison, read_expression

    parts: list = [[]]
    ops = []
    for _k, tok, depth in _top_level(tokens):
        key = tok.text
        if depth == 0 and ((tok.kind == "char" and key in "=<>") or (tok.kind == "macro" and key in _CONDITION_OPS)):
            ops.append(_CONDITION_OPS[key])
            parts.append([])
        else:
            parts[-1].append(tok)
    if not ops or any(not p for p in parts):
        raise FormatError("a case needs a condition such as 'j = i' or 'x \\geq 0' after its comma", line)
    return comparison([read_expression(p, names) for p in parts], ops, line)


def with_latex_steps(document: Document) -> Document:
    """Read the ``latex:`` steps of a YAML document (their ``expr`` becomes the reading)."""
    from derivcheck.parse.latex import (
        RELATIONS,
        names_from_declarations,
        read_expression,
        tokenize,
    )

    if not any(step.latex is not None for chain in document.chains for step in chain.steps):
        return document
    names = names_from_declarations(document.symbols, document.functions, definitions=document.definitions)
    chains = []
    for chain in document.chains:
        steps = []
        for step in chain.steps:
            if step.latex is None:
                steps.append(step)
                continue
            tokens = tokenize(step.latex, step.expr.line)
            for _, tok, depth in _top_level(tokens):
                if depth == 0 and (
                    (tok.kind == "char" and tok.text in "=<>") or (tok.kind == "macro" and tok.text in RELATIONS)
                ):
                    raise FormatError(
                        f"a 'latex:' step is one expression; '{tok.key}' at column {tok.col} is a "
                        "relation (write each expression as its own step)",
                        step.expr.line,
                    )
            reading = read_expression(_drop_punctuation(tokens), names, lenient=step.wrong is not None)
            steps.append(
                replace(
                    step,
                    expr=reading.text(step.expr.line),
                    notes=tuple(reading.notes),
                    alternative=reading.alternative_text(step.expr.line),
                )
            )
        chains.append(replace(chain, steps=tuple(steps)))
    return replace(document, chains=tuple(chains))
