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


def _junit(report: Report, stream: TextIO, **options) -> None:
    from derivcheck.report.junit import write_junit

    write_junit(report, stream)


def _github(report: Report, stream: TextIO, **options) -> None:
    from derivcheck.report.github import write_github

    write_github(report, stream)


def _sarif(report: Report, stream: TextIO, **options) -> None:
    from derivcheck.report.sarif import write_sarif

    write_sarif(report, stream)


REPORTERS: dict[str, Callable[..., None]] = {
    "text": _text,
    "json": _json,
    "junit": _junit,
    "github": _github,
    "sarif": _sarif,
}
