"""Reporters: the only code that writes results out. ``REPORTERS`` maps a format to its writer."""

from __future__ import annotations

from typing import Callable, TextIO

from derivcheck.results import Report


def _text(report: Report, stream: TextIO, **options) -> None:
    from derivcheck.report.text import write_text

    write_text(report, stream, **options)


def _json(report: Report, stream: TextIO, **options) -> None:
    from derivcheck.report.json_report import write_json

    write_json(report, stream)


REPORTERS: dict[str, Callable[..., None]] = {
    "text": _text,
    "json": _json,
}
