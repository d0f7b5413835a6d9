"""Reporters: the only code that writes results out.

A reporter is anything with the ``Reporter`` signature: the Report, a text
stream, and the explicit options ``color`` and ``verbose``. ``REPORTERS`` maps
each output format to its reporter; the command line's ``--format`` choices
and their help are built from it, so a reporter added here is a format of
the CLI (see docs/architecture.md, "How to add a reporter").
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Protocol, TextIO

from derivcheck.results import Report


class Reporter(Protocol):
    """Write a report to a stream.

    ``color``: True/False force colors on/off, None decides from the stream
    (only formats for people use it). ``verbose``: show the evidence of
    passing results too (each format decides what that adds).
    """

    def __call__(self, report: Report, stream: TextIO, *, color: bool | None = None, verbose: bool = False) -> None:
        ...


@dataclass(frozen=True)
class LazyReporter:
    """A reporter whose module is imported only when it writes (``import derivcheck.report`` stays light)."""

    module: str
    function: str
    description: str

    def __call__(self, report: Report, stream: TextIO, *, color: bool | None = None, verbose: bool = False) -> None:
        writer: Reporter = getattr(import_module(self.module), self.function)
        writer(report, stream, color=color, verbose=verbose)


REPORTERS: dict[str, LazyReporter] = {
    "text": LazyReporter("derivcheck.report.text", "write_text", "for people"),
    "json": LazyReporter("derivcheck.report.json_report", "write_json", "one JSON object, docs/format.md"),
    "junit": LazyReporter("derivcheck.report.junit", "write_junit", "JUnit XML test report"),
    "github": LazyReporter("derivcheck.report.github", "write_github", "GitHub Actions annotations"),
    "sarif": LazyReporter("derivcheck.report.sarif", "write_sarif", "SARIF 2.1.0 for code scanning"),
}
