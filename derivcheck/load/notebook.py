"""Derivations in Jupyter notebooks: the markdown cells, read as Markdown posts.

Only markdown cells are read (code cells are never run, nor read). Each
document and error carries its cell (1-based, counting every cell) and lines
counted within that cell.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace

from derivcheck.bounds import MAX_NOTEBOOK_CELLS as MAX_CELLS
from derivcheck.errors import FormatError
from derivcheck.load.markdown import documents_from_markdown
from derivcheck.model import Document, LoadError


def documents_from_notebook(text: str, path: str) -> list[Document | LoadError]:
    """Return the documents of every markdown cell of a notebook, in cell order."""
    cells = notebook_cells(text)
    items: list[Document | LoadError] = []
    for number, kind, source in cells:
        if kind != "markdown" or "derivcheck" not in source and "```" not in source:
            continue
        for item in documents_from_markdown(source, path):
            items.append(replace(item, cell=number))
    return items


def notebook_cells(text: str) -> list[tuple[int, str, str]]:
    """Return (cell number, cell type, source text) of every cell; FormatError if it is no notebook."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        line = getattr(exc, "lineno", None)
        raise FormatError("not a Jupyter notebook: the file is not valid JSON", line) from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise FormatError("not a Jupyter notebook: no 'cells' list (only nbformat 4 notebooks are read)")
    cells = data["cells"]
    if len(cells) > MAX_CELLS:
        raise FormatError(f"the notebook has {len(cells)} cells (limit {MAX_CELLS})")
    out = []
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            raise FormatError(f"cell {number} of the notebook is not a JSON object")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise FormatError(f"cell {number}: 'source' must be text or a list of lines")
        out.append((number, str(cell.get("cell_type", "")), source))
    return out


def cell_line_map(text: str) -> dict[int, tuple[int, ...]]:
    """The line of the ``.ipynb`` file that holds each line of each cell's source.

    ``result[cell][k - 1]`` is the file line of line ``k`` of that cell (cells
    1-based, counting every cell). A source written as a list of strings has
    one JSON string per line, usually each on its own file line; a source
    written as one string lies on one file line. Empty when the notebook's
    layout cannot be followed (duplicate keys, nesting too deep).
    """
    import bisect

    located = _located_strings(text)
    if located is None:
        return {}
    starts = [0] + [match.end() for match in re.finditer("\n", text)]
    pieces: dict[int, list[tuple[int, str]]] = {}
    for path, offset, value in located:
        if len(path) >= 3 and path[0] == "cells" and isinstance(path[1], int) and path[2] == "source":
            pieces.setdefault(path[1] + 1, []).append((bisect.bisect_right(starts, offset), value))
    out: dict[int, tuple[int, ...]] = {}
    for cell, parts in pieces.items():
        lines: list[int] = []
        at_line_start = True
        for file_line, value in parts:
            if value:
                lines.extend([file_line] * ((1 if at_line_start else 0) + value[:-1].count("\n")))
                at_line_start = value.endswith("\n")
        out[cell] = tuple(lines)
    return out


def file_line(lines: dict[int, tuple[int, ...]], cell: int, line: int | None) -> int | None:
    """The file line of ``line`` of ``cell`` (its first line when None), or None when unknown."""
    mapped = lines.get(cell, ())
    if not mapped:
        return None
    index = (line or 1) - 1
    return mapped[min(max(index, 0), len(mapped) - 1)]


def _located_strings(text: str) -> list[tuple[tuple[object, ...], int, str]] | None:
    """Every string value of a JSON text with its path and the offset of its opening quote.

    Python's pure scanner reports where each value string starts; the decoded
    value, walked in the same (document) order, gives each string its path.
    None when the two do not line up (a duplicate key) or the nesting is too deep.
    """
    import json.decoder
    import json.scanner

    decoder = json.JSONDecoder()
    offsets: list[int] = []

    def parse_string(source: str, end: int, strict: bool = True) -> tuple[str, int]:
        offsets.append(end - 1)
        return json.decoder.scanstring(source, end, strict)  # type: ignore[attr-defined]

    decoder.parse_string = parse_string  # type: ignore[attr-defined]
    scan = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    start = len(text) - len(text.lstrip(" \t\n\r"))
    try:
        value, _ = scan(text, start)
    except (ValueError, StopIteration, RecursionError):
        return None
    paths: list[tuple[tuple[object, ...], str]] = []
    stack: list[tuple[tuple[object, ...], object]] = [((), value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            paths.append((path, node))
        elif isinstance(node, dict):
            stack.extend(((*path, key), child) for key, child in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend(((*path, index), child) for index, child in reversed(list(enumerate(node))))
    if len(paths) != len(offsets):
        return None
    return [(path, offset, string) for (path, string), offset in zip(paths, offsets)]
