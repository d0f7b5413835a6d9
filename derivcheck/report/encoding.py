"""Output streams that cannot take UTF-8, and readers that go away.

With ``PYTHONIOENCODING=ascii`` (or a C locale without UTF-8) every format
still prints: the marks have ASCII stand-ins (``✓`` -> ``ok``, ``≠`` ->
``!=``…) and any other character becomes a backslash escape (``\\u03c3``),
which inside a JSON string is the same character again.
"""

from __future__ import annotations

import codecs
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from derivcheck.printable import UNSAFE_PAST_C0

ERRORS = "derivcheck-ascii"
MARKS = {
    "✓": "ok", "✗": "x", "⚠": "!", "—": "--", "…": "...", "·": "-", "×": "x", "−": "-",
    "≈": "~", "≠": "!=", "≤": "<=", "≥": ">=", "∈": "in", "∉": "not in", "∂": "d",
    "∑": "Sum", "∏": "Product", "→": "->", "‘": "'", "’": "'", "“": '"', "”": '"',
}


def _ascii_stand_in(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    parts = []
    for char in text:
        if char in MARKS:
            parts.append(MARKS[char])
        elif ord(char) <= 0xFFFF:
            parts.append(f"\\u{ord(char):04x}")
        else:
            parts.append(f"\\U{ord(char):08x}")
    return "".join(parts), error.end


codecs.register_error(ERRORS, _ascii_stand_in)


# Characters JSON may hold raw that a terminal or log viewer takes for line
# breaks or controls (C1, U+2028/U+2029, bidirectional overrides), and lone
# surrogates (not UTF-8). json.dumps already escapes C0 controls.
_JSON_UNSAFE = re.compile(f"[{UNSAFE_PAST_C0}]")


def json_text(data: object) -> str:
    """``data`` as indented JSON with no raw control character: each is a ``\\uXXXX`` escape.

    The escapes decode to the same text, so the data is exact; outside
    strings JSON has only ASCII, so escaping the serialized text is safe.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def can_encode(stream: TextIO, text: str = "✓✗≠…—") -> bool:
    """Whether ``stream``'s encoding can write ``text`` as it is."""
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def use_ascii_fallback(*streams: TextIO) -> None:
    """Let each stream write ASCII stand-ins for what its encoding cannot take, instead of failing.

    On a stream that cannot encode the marks that is the marks and every other
    non-ASCII character; on a UTF-8 stream only a lone surrogate (a byte of a
    file name that is not UTF-8, should one reach a writer unescaped) becomes
    an escape, never invalid UTF-8 and never an error. Text that encodes is
    written unchanged.
    """
    for stream in streams:
        if stream is None or getattr(stream, "errors", None) == ERRORS:
            continue
        reconfigure = getattr(stream, "reconfigure", None)  # only a TextIOWrapper has it (tests capture output)
        if reconfigure is None:
            continue
        try:
            reconfigure(errors=ERRORS)
        except (ValueError, OSError):
            pass


class OutputFailed(Exception):
    """Writing the report failed (a full disk, an I/O error): the output's fault, not the input's.

    The message says what could not be written and why, in one line.
    """


@contextmanager
def guarded_output(stream: TextIO, name: str = "standard output") -> Iterator[None]:
    """Write a report to ``stream``: a reader that went away ends it quietly, any other failure is OutputFailed.

    A closed pipe (``| head -1``) is no error: no traceback, no message. A
    write that fails otherwise (``ENOSPC`` on a full disk, ``EIO``) raises
    OutputFailed naming ``name``. Either way ``stream`` is pointed at
    /dev/null so that Python's flush at exit cannot fail a second time.
    """
    try:
        yield
    except SystemExit:
        # rich's Console answers a broken pipe with SystemExit(1) after pointing
        # stdout at /dev/null; the reporters never exit for any other reason.
        return
    except BrokenPipeError:
        _discard_output(stream)
    except OSError as exc:
        _discard_output(stream)
        raise OutputFailed(f"cannot write the report to {name}: {exc.strerror or exc}") from None


def _discard_output(stream: TextIO) -> None:
    """Point ``stream``'s file at /dev/null: what is still buffered goes nowhere, and no later flush fails."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):  # pragma: no cover - not a real file
        pass
