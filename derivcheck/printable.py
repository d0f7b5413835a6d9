"""Text from files, made safe to print: no control character reaches a terminal or a CI log raw.

A title, a ``by:``, an expression or a message can hold any character YAML or
Markdown lets through, and a file name any byte but ``/``. Printed raw, a
newline forges a line (a GitHub ``::stop-commands::``, a fake ``::warning``),
ESC moves the cursor, a bidirectional override reorders what is shown.
``printable`` escapes those characters; ``display_path`` writes a file name
so that it is printable *and* names exactly one file.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, the Unicode line and paragraph separators,
# bidirectional marks and overrides, and lone surrogates (the bytes of a file
# name that are not UTF-8, as os.fsdecode keeps them).
UNSAFE_PAST_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
"""The unsafe characters other than the C0 controls, as a regular-expression class body."""
_UNSAFE = re.compile(f"[\x00-\x1f{UNSAFE_PAST_C0}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_RAW_BYTES = range(0xDC80, 0xDD00)  # surrogateescape: byte 0xNN of a name is U+DCNN


def _escape(char: str) -> str:
    """The escape of one unsafe character: ``\\n``, ``\\x1b`` (C0), ``\\u0085`` (other), ``\\xff`` (a raw byte)."""
    code = ord(char)
    if code in _RAW_BYTES:
        return f"\\x{code - 0xDC00:02x}"  # only a byte >= 0x80 can be a raw byte: \xNN is never ambiguous
    if char in _NAMED:
        return _NAMED[char]
    if code < 0x80:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control, line-separator, bidirectional and lone-surrogate character escaped.

    A newline becomes ``\\n``, ESC ``\\x1b``, NEL ``\\u0085``, U+2028 ``\\u2028``,
    a byte of a file name that is not UTF-8 ``\\xff``. Tabs are kept. Other
    text is unchanged.
    """
    return _UNSAFE.sub(lambda match: match.group() if match.group() == "\t" else _escape(match.group()), text)


def display_path(path: str) -> str:
    """A file name as printed: as it is, or, when it holds a character ``printable`` escapes, in quotes.

    The quoted form (like git's) escapes ``\\`` and ``"`` too, and a name that
    starts with ``"`` is always quoted, so two files never print alike:
    ``a\\xffb.yaml`` with the byte 0xff is printed ``"a\\xffb.yaml"``.
    """
    if not _UNSAFE.search(path) and not path.startswith('"'):
        return path
    inner = path.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _UNSAFE.sub(lambda match: _escape(match.group()), inner) + '"'
