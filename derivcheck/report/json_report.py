"""``--format json``: one JSON object, docs/format.md's "Machine-readable output"."""

from __future__ import annotations

from typing import TextIO

from derivcheck.report.encoding import json_text
from derivcheck.report.fields import report_fields
from derivcheck.results import Report


def write_json(report: Report, stream: TextIO, *, color: bool | None = None, verbose: bool = False) -> None:
    """Write the report as one JSON object (it always holds every result's evidence; no colors)."""
    stream.write(json_text(report_fields(report)) + "\n")
