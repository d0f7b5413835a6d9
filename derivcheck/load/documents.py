"""Build the document model from YAML node trees, checking keys and shapes."""

from __future__ import annotations

from pathlib import Path

from derivcheck.bounds import MAX_YAML_DOCUMENTS as MAX_DOCUMENTS
from derivcheck.errors import FormatError
from derivcheck.load.common import (
    check_keys,
    equations_to_solve,
    expr_text,
    plain_text,
    read_conditions,
    read_definitions,
    read_dependencies,
    read_functions,
    read_symbols,
)
from derivcheck.load.latex import with_latex_steps
from derivcheck.load.yamltree import Mapping, Node, Scalar, Sequence, read_yaml_documents
from derivcheck.model import (
    Chain,
    Document,
    LoadError,
    NumberClaim,
    NumberValue,
    StabilityClaim,
    Step,
    Text,
)

TOP_KEYS = (
    "title", "source", "symbols", "functions", "define", "depends", "assume", "steps", "cases", "numbers", "stability",
    "solve", "solutions",
)
STEP_KEYS = ("expr", "latex", "by", "wrong", "rel")
CASE_KEYS = ("when", "steps")
NUMBER_KEYS = ("expr", "at", "is", "tol")
STABILITY_KEYS = ("expr", "over", "at", "stable", "rtol")
RELATIONS = ("==", "<=", "<", ">=", ">")
_RELATION_WORDS = {"=": "==", "≤": "<=", "≥": ">=", "=<": "<=", "=>": ">="}


def read_text_file(path: Path, max_bytes: int) -> str:
    """Return the UTF-8 text of ``path``; FormatError for size, binary or encoding trouble."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FormatError(f"cannot read file: {exc.strerror}") from None
    if size > max_bytes:
        raise FormatError(
            f"file is {size} bytes, over the limit of {max_bytes} bytes "
            "(raise it with --max-file-size if this is really a derivation)"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read file: {exc.strerror}") from None
    if b"\x00" in data:
        raise FormatError("file holds binary data (a NUL byte); a derivation is UTF-8 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FormatError("file is not valid UTF-8 text", line) from None


def documents_from_text(
    text: str, path: str, line_offset: int = 0
) -> list[Document | LoadError]:
    """Parse every YAML document of ``text`` into a Document or a LoadError."""
    out: list[Document | LoadError] = []
    try:
        for count, root in enumerate(read_yaml_documents(text, line_offset), start=1):
            if count > MAX_DOCUMENTS:
                raise FormatError(
                    f"more than {MAX_DOCUMENTS} YAML documents in one file; split it into several files",
                    root.line if root is not None else None,
                )
            if root is None or _is_empty_document(root):
                continue
            try:
                out.append(build_document(root, path))
            except FormatError as exc:
                out.append(LoadError(path, exc.line, exc.message))
    except FormatError as exc:
        out.append(LoadError(path, exc.line, exc.message))
    if not out:
        out.append(LoadError(path, None, "no derivation in the file (it is empty)"))
    return out


def _is_empty_document(root: Node) -> bool:
    # "---" with nothing after it (before the next "---" or the end) composes to
    # an empty null scalar; it holds no derivation and is skipped.
    return isinstance(root, Scalar) and root.is_null and root.raw == ""


def build_document(root: Node, path: str) -> Document:
    """Return the Document held by one YAML document's root node."""
    if not isinstance(root, Mapping):
        raise FormatError(
            "a derivation is a mapping with keys " + ", ".join(TOP_KEYS), root.line
        )
    check_keys(root, TOP_KEYS, "top-level")
    title = root.get("title")
    if title is None:
        raise FormatError("missing required key 'title'", root.line)
    if not isinstance(title, Scalar) or title.is_null or not title.raw.strip():
        raise FormatError("'title' must be one line of text", title.line)
    if root.get("symbols") is None:
        raise FormatError(
            "missing required key 'symbols' (write 'symbols: {}' when there is none)", root.line
        )
    if not any(root.get(k) is not None for k in ("steps", "cases", "numbers", "stability")):
        raise FormatError(
            "a derivation needs one of 'steps', 'cases', 'numbers', 'stability'", root.line
        )
    source = root.get("source")
    chains: list[Chain] = []
    steps = root.get("steps")
    if steps is not None:
        chains.append(Chain("steps", _steps(steps, "steps"), (), steps.line))
    cases = root.get("cases")
    if cases is not None:
        chains.extend(_cases(cases))
    numbers = root.get("numbers")
    stability = root.get("stability")
    chains, equations = equations_to_solve(chains, root.get("solve"), root.get("solutions"))
    return with_latex_steps(Document(
        path=path,
        title=title.raw.strip(),
        line=root.line,
        source=plain_text(source, "source") if source is not None else None,
        symbols=read_symbols(root.get("symbols")),
        functions=read_functions(root.get("functions")),
        definitions=read_definitions(root.get("define")),
        dependencies=read_dependencies(root.get("depends")),
        assume=read_conditions(root.get("assume"), "assume"),
        chains=tuple(chains),
        numbers=(*(_numbers(numbers) if numbers is not None else ()), *equations.claims),
        stability=_stability(stability) if stability is not None else (),
        notices=equations.notices,
    ))


def _steps(node: Node, label: str) -> tuple[Step, ...]:
    if not isinstance(node, Sequence):
        raise FormatError(f"'{label}' must be a list of expressions", node.line)
    steps: list[Step] = []
    for item in node.items:
        if isinstance(item, Mapping):
            check_keys(item, STEP_KEYS, "step")
            latex = item.get("latex")
            if latex is not None and item.get("expr") is not None:
                raise FormatError("a step has either 'expr' or 'latex', not both", item.line)
            expr = expr_text(item.get("expr") if latex is None else latex, "a step", item.line)
            by, wrong, rel = item.get("by"), item.get("wrong"), item.get("rel")
            steps.append(
                Step(
                    expr,
                    by=plain_text(by, "by") if by is not None else None,
                    wrong=_erratum_text(wrong) if wrong is not None else None,
                    latex=expr.text if latex is not None else None,
                    rel=_relation(rel) if rel is not None else "==",
                )
            )
        else:
            steps.append(Step(expr_text(item, "a step", item.line)))
    if len(steps) < 2:
        raise FormatError(
            f"the chain '{label}' has {len(steps)} step; a chain needs at least two "
            "(each step is checked against the one before it)",
            node.line,
        )
    if steps[0].wrong is not None:
        raise FormatError("the first step of a chain cannot be marked 'wrong'", steps[0].expr.line)
    if steps[0].rel != "==":
        raise FormatError(
            "the first step of a chain cannot carry 'rel' (it relates a step to the one before it)",
            steps[0].expr.line,
        )
    _check_direction(steps)
    return tuple(steps)


def _relation(node: Node) -> str:
    text = node.raw.strip() if isinstance(node, Scalar) and not node.is_null else ""
    text = _RELATION_WORDS.get(text, text)
    if text not in RELATIONS:
        shown = node.raw.strip() if isinstance(node, Scalar) else "a list or mapping"
        raise FormatError(
            f"'rel' must be one of {', '.join(RELATIONS)} (relating the step before to this one), "
            f"not '{shown}'",
            node.line,
        )
    return text


def _check_direction(steps: list[Step]) -> None:
    """A chain goes one way: <= and < (a lower bound upwards) or >= and > (downwards), never both."""
    first: Step | None = None
    for step in steps:
        if step.rel == "==":
            continue
        if first is None:
            first = step
        elif (step.rel[0] == "<") != (first.rel[0] == "<"):
            allowed = "<=, < and ==" if first.rel[0] == "<" else ">=, > and =="
            raise FormatError(
                f"'rel: {step.rel}' goes the other way from 'rel: {first.rel}' at line "
                f"{first.expr.line}; one chain may mix only {allowed} (start a new chain "
                "or a case for the other direction)",
                step.expr.line,
            )


def _erratum_text(node: Node) -> str:
    if isinstance(node, Scalar) and not node.is_null and node.raw.strip():
        return node.raw
    raise FormatError("'wrong' takes a short text saying what the erratum is", node.line)


def _cases(node: Node) -> list[Chain]:
    if not isinstance(node, Sequence):
        raise FormatError("'cases' must be a list of {when, steps}", node.line)
    chains = []
    for number, item in enumerate(node.items, start=1):
        if not isinstance(item, Mapping):
            raise FormatError("each case is a mapping with 'when' and 'steps'", item.line)
        check_keys(item, CASE_KEYS, "case")
        when, steps = item.get("when"), item.get("steps")
        if when is None:
            raise FormatError("a case needs 'when' (its condition)", item.line)
        if steps is None:
            raise FormatError("a case needs 'steps'", item.line)
        label = f"cases[{number}]"
        chains.append(Chain(label, _steps(steps, label), read_conditions(when, "when"), item.line))
    return chains


def _numbers(node: Node) -> tuple[NumberClaim, ...]:
    if not isinstance(node, Sequence):
        raise FormatError("'numbers' must be a list of {expr, at, is}", node.line)
    out = []
    for item in node.items:
        if not isinstance(item, Mapping):
            raise FormatError("each number claim is a mapping with 'expr', 'at', 'is'", item.line)
        check_keys(item, NUMBER_KEYS, "number")
        expr = expr_text(item.get("expr"), "a number claim", item.line)
        claimed = item.get("is")
        if claimed is None:
            raise FormatError("a number claim needs 'is' (the claimed value)", item.line)
        at = item.get("at")
        bindings: tuple[tuple[str, NumberValue], ...] = ()
        if at is not None and not (isinstance(at, Scalar) and at.is_null):
            if not isinstance(at, Mapping):
                raise FormatError("'at' must map names to values, e.g. {x: 0}", at.line)
            bindings = tuple((name, _number_value(value, f"the value of '{name}'")) for name, value in at.items)
        value = _number_value(claimed, "'is'")
        tol = item.get("tol")
        tol_value = _number_value(tol, "'tol'") if tol is not None else None
        out.append(NumberClaim(expr, bindings, value, tol_value, expr.line))
    return tuple(out)


def _stability(node: Node) -> tuple[StabilityClaim, ...]:
    if not isinstance(node, Sequence):
        raise FormatError("'stability' must be a list of {expr, over, at, stable}", node.line)
    out = []
    for item in node.items:
        if not isinstance(item, Mapping):
            raise FormatError(
                "each stability claim is a mapping with 'expr', 'over', 'stable' (and 'at', 'rtol')",
                item.line,
            )
        check_keys(item, STABILITY_KEYS, "stability")
        expr = expr_text(item.get("expr"), "a stability claim", item.line)
        over = item.get("over")
        if over is None or not isinstance(over, Mapping) or not over.items:
            raise FormatError(
                "a stability claim needs 'over': the range of at least one symbol, e.g. {x: [-1000, 1000]}",
                (over or item).line,
            )
        ranges = []
        for (name, value), line in zip(over.items, over.key_lines):
            if not isinstance(value, Sequence) or len(value.items) != 2:
                raise FormatError(
                    f"the range of '{name}' must be a list [low, high], e.g. [-1000, 1000]", line
                )
            low, high = (_one_number(end, f"the range of '{name}'") for end in value.items)
            ranges.append((name, low, high))
        stable = item.get("stable")
        if stable is None:
            raise FormatError("a stability claim needs 'stable: true' or 'stable: false' (the claim)", item.line)
        if not isinstance(stable, Scalar) or stable.tag != "tag:yaml.org,2002:bool":
            raise FormatError("'stable' must be true or false", stable.line)
        at = item.get("at")
        bindings: tuple = ()
        if at is not None and not (isinstance(at, Scalar) and at.is_null):
            if not isinstance(at, Mapping):
                raise FormatError("'at' must map the other symbols to values, e.g. {y: 0.5}", at.line)
            bindings = tuple((name, _one_number(value, f"the value of '{name}'")) for name, value in at.items)
        rtol = item.get("rtol")
        out.append(
            StabilityClaim(
                expr,
                tuple(ranges),
                bindings,
                stable.raw.strip().lower() in ("true", "yes", "on"),
                _one_number(rtol, "'rtol'") if rtol is not None else None,
                item.line,
            )
        )
    return tuple(out)


def _one_number(node: Node, what: str) -> Text:
    if not isinstance(node, Scalar) or node.is_null or not node.raw.strip():
        raise FormatError(f"{what} must be one number", node.line)
    return Text(node.raw, node.line)
def _number_value(node: Node, what: str) -> NumberValue:
    items = node.items if isinstance(node, Sequence) else (node,)
    texts = []
    for item in items:
        if not isinstance(item, Scalar) or item.is_null:
            raise FormatError(f"{what} must be a number or a list of numbers", item.line)
        texts.append(Text(item.raw, item.line))
    return NumberValue(tuple(texts), isinstance(node, Sequence), node.line)

