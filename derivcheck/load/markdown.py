"""Derivations inside Markdown: fenced code blocks whose info string is ``derivation``."""

from __future__ import annotations

from dataclasses import dataclass

from markdown_it import MarkdownIt

from derivcheck.errors import FormatError

INFO = "derivation"


@dataclass(frozen=True)
class Block:
    """The text of one fenced derivation block and the file line of its first content line."""

    text: str
    first_line: int


def derivation_blocks(text: str) -> list[Block]:
    """Return every ```derivation block of a Markdown text, in order.

    A derivation fence that is never closed is a FormatError at the fence's line.
    """
    lines = text.splitlines()
    blocks = []
    for token in MarkdownIt("commonmark").parse(text):
        if token.type != "fence" or token.info.strip().split(maxsplit=1)[:1] != [INFO]:
            continue
        start, end = token.map
        fence = lines[start].lstrip()[:3]
        closed = end - 1 > start and lines[end - 1].strip().startswith(fence[0] * 3)
        if not closed:
            raise FormatError(
                f"the ```{INFO} block opened here is never closed (add a line with {fence})", start + 1
            )
        blocks.append(Block(token.content, start + 2))
    return blocks
