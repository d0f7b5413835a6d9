"""Exceptions raised inside derivcheck; they never reach a user as a traceback."""

from __future__ import annotations


class FormatError(Exception):
    """Text that cannot be read as the derivation format, at a line if known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class CheckTimeout(BaseException):
    """The time budget of one check ran out.

    Derived from BaseException so that a broad ``except Exception`` inside
    SymPy or our own code cannot swallow it.
    """
