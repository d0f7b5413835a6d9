"""Derivations inside Markdown: fenced code blocks whose info string is ``derivation``.

Every other code block is ignored. Lines stay lines of the Markdown file: the
YAML of a block is read with the offset of its first content line, so every
result and error points into the post.
"""

from __future__ import annotations

import re

from derivcheck.errors import FormatError
from derivcheck.load.common import Block, markdown_parser
from derivcheck.load.documents import documents_from_text
from derivcheck.load.latex import latex_documents
from derivcheck.model import Document, LoadError

INFO = "derivation"
BOM = "\ufeff"
# The line breaks of CommonMark (and of markdown-it's token.map, and of GitHub's
# line numbers): only CR LF, CR and LF. Form feed, NEL, U+2028 and the other
# breaks str.splitlines() knows are characters within a line.
_LINE_BREAK = re.compile("\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The lines of a Markdown text as the Markdown parser counts them (CR LF, CR or LF end a line)."""
    return _LINE_BREAK.split(text)


def is_derivation_info(info: str) -> bool:
    """Whether a fence's info string marks a derivation block (its first word is ``derivation``)."""
    return info.strip().split(maxsplit=1)[:1] == [INFO]


def derivation_blocks(text: str) -> list[Block]:
    """Return every ```derivation block of a Markdown text, in order.

    A derivation fence that is never closed is a FormatError at the fence's line.
    """
    blocks, unclosed = scan_blocks(text)
    if unclosed is not None:
        raise unclosed
    return blocks


def documents_from_markdown(text: str, path: str) -> list[Document | LoadError]:
    """Return the documents of every derivation block and LaTeX derivation of a post, in file order.

    LaTeX derivations are display math declared by a ``<!-- derivcheck`` comment
    (``derivcheck.load.latex``); errors are values.

    An empty block and a fence that is never closed become a LoadError at the
    fence's line; the blocks before them still load.
    """
    blocks, unclosed = scan_blocks(text)
    placed: list[tuple[int, Document | LoadError]] = []
    for block in blocks:
        if not block.text.strip():
            placed.append((block.fence_line, LoadError(path, block.fence_line, f"the ```{INFO} block is empty")))
            continue
        for item in documents_from_text(block.text, path, line_offset=block.first_line - 1):
            placed.append((block.fence_line, item))
    if unclosed is not None:
        placed.append((unclosed.line or 0, LoadError(path, unclosed.line, unclosed.message)))
    placed.extend(latex_documents(text, path))
    placed.sort(key=lambda pair: pair[0])  # stable: a block's documents keep their order
    return [item for _, item in placed]


def scan_blocks(text: str) -> tuple[list[Block], FormatError | None]:
    """Return the derivation blocks up to the first unclosed one, and the error for that one (or None).

    A UTF-8 byte-order mark at the start is not text: the post is read as without it.
    """
    text = text.removeprefix(BOM)
    lines = split_lines(text)
    blocks: list[Block] = []
    for token in markdown_parser().parse(text):
        if token.type != "fence" or not is_derivation_info(token.info) or token.map is None:
            continue
        start, end = token.map
        opening = lines[start]
        fence = token.markup or opening.lstrip(" >\t")[:3]
        lead = opening[: opening.find(fence)] if fence in opening else ""
        indent = re.sub(r"[^>\s]", " ", lead)
        last = lines[end - 1].lstrip(" >\t") if end - 1 > start else ""
        closed = end - 1 > start and last.startswith(fence[0] * len(fence)) and not last.strip(fence[0] + " \t")
        if not closed:
            return blocks, FormatError(
                f"the ```{INFO} block opened here is never closed (add a line with {fence} after it)",
                start + 1,
            )
        blocks.append(Block(token.content, start + 2, start + 1, end, indent, lead))
    return blocks, None
