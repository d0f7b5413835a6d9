"""Loading: files on disk -> documents (or load errors, as values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from derivcheck.errors import FormatError
from derivcheck.load.discover import (  # noqa: F401
    MARKDOWN_SUFFIXES,
    NOTEBOOK_SUFFIXES,
    YAML_SUFFIXES,
    Discovery,
    find_files,
)
from derivcheck.load.documents import documents_from_text, read_text_file
from derivcheck.load.markdown import documents_from_markdown
from derivcheck.load.notebook import cell_line_map, documents_from_notebook
from derivcheck.model import Document, LoadError


@dataclass(frozen=True)
class LoadedFile:
    """One input file: its documents and load errors, in file order."""

    path: str
    items: tuple[Document | LoadError, ...]
    kind: str  # "yaml", "markdown" or "notebook"
    # A notebook: the file line of each line of each cell (``notebook.cell_line_map``).
    cell_lines: dict[int, tuple[int, ...]] = field(default_factory=dict, compare=False)


def discover(paths: list[str]) -> list[str | LoadError]:
    """Return the files to check: files as given, directories searched recursively (sorted).

    See ``discover.find_files`` for the rules (hidden files, symbolic links,
    FIFOs and devices) and for the list of what was skipped.
    """
    return find_files(list(paths)).entries


def load_file(path: str, max_bytes: int) -> LoadedFile:
    """Read one YAML or Markdown file into its documents; failures become LoadError items."""
    suffix = Path(path).suffix.lower()
    kind = "markdown" if suffix in MARKDOWN_SUFFIXES else "notebook" if suffix in NOTEBOOK_SUFFIXES else "yaml"
    try:
        text = read_text_file(Path(path), max_bytes)
        if kind == "yaml":
            return LoadedFile(path, tuple(documents_from_text(text, path)), kind)
        if kind == "notebook":
            items = tuple(documents_from_notebook(text, path))
            return LoadedFile(path, items, kind, cell_line_map(text) if items else {})
        return LoadedFile(path, tuple(documents_from_markdown(text, path)), kind)
    except FormatError as exc:
        return LoadedFile(path, (LoadError(path, exc.line, exc.message),), kind)
