"""``--format github``: GitHub Actions workflow commands, so findings show on the pull request's lines."""

from __future__ import annotations

from typing import TextIO

from derivcheck.printable import display_path
from derivcheck.report.fields import finding_level, result_message
from derivcheck.results import Report, Result

TITLE = "derivcheck"


def write_github(report: Report, stream: TextIO, *, color: bool | None = None, verbose: bool = False) -> None:
    """Write one ``::error`` (or ``::warning`` for a passing ``numeric``) line per finding, then a summary."""
    for result in report.results:
        line = workflow_command(result)
        if line is not None:
            stream.write(line + "\n")
    counts = report.counts()
    stream.write(
        f"derivcheck: {len(report.files)} files, {counts['steps']} steps, {counts['numbers']} numbers; "
        f"{counts['failed']} not passing, {counts['errors']} unreadable, {counts['numeric']} numeric "
        f"(exit {report.exit_code})\n"
    )


def workflow_command(result: Result) -> str | None:
    """Return the workflow command of one result, or None when it has nothing to report."""
    level = finding_level(result)
    if level is None:
        return None
    properties = [f"file={escape_property(display_path(result.file))}"]
    if result.line_in_file is not None:  # a notebook: the line of the .ipynb file (the cell is in the message)
        properties.append(f"line={result.line_in_file}")
    properties.append(f"title={escape_property(TITLE)}")
    return f"::{level} {','.join(properties)}::{escape_data(result_message(result))}"


def escape_data(text: str) -> str:
    """Escape a workflow command's message: ``%``, carriage return and newline."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value: as a message, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
