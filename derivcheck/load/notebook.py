"""Derivations in Jupyter notebooks: the markdown cells, read as Markdown posts.

Only markdown cells are read (code cells are never run, nor read). Each
document and error carries its cell (1-based, counting every cell) and lines
counted within that cell.
"""

from __future__ import annotations

import json
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
