"""``--format junit``: JUnit XML, one ``testcase`` per result, for CI test-report viewers."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import TextIO

from derivcheck.printable import display_path, printable
from derivcheck.report.fields import finding_rule, result_fields, result_message
from derivcheck.results import Report, Result

_NAME_WIDTH = 80
# Characters XML 1.0 cannot hold at all (not even escaped).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Keys of result_fields already in the testcase's attributes or message.
_SHOWN = ("file", "line", "file_line", "kind", "verdict", "passes", "message")


def write_junit(report: Report, stream: TextIO, *, color: bool | None = None, verbose: bool = False) -> None:
    """Write the report as JUnit XML: a ``testsuite`` per file, a ``testcase`` per result."""
    root = junit_tree(report)
    ET.indent(root)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(root, encoding="unicode"))
    stream.write("\n")


def junit_tree(report: Report) -> ET.Element:
    """Return the ``testsuites`` element of a report."""
    by_file: dict[str, list[Result]] = {path: [] for path in report.files}
    for result in report.results:
        by_file.setdefault(result.file, []).append(result)
    root = ET.Element("testsuites", name="derivcheck")
    for path, results in by_file.items():
        root.append(_suite(path, results))
    _count(root, [r for rs in by_file.values() for r in rs])
    return root


def _suite(path: str, results: list[Result]) -> ET.Element:
    suite = ET.Element("testsuite", name=_xml_text(display_path(path)))
    _count(suite, results)
    for result in results:
        suite.append(_testcase(result))
    return suite


def _count(element: ET.Element, results: list[Result]) -> None:
    errors = sum(1 for r in results if r.is_error)
    failures = sum(1 for r in results if not r.passes and not r.is_error)
    elapsed = sum(r.outcome.elapsed for r in results if r.outcome is not None)
    element.set("tests", str(len(results)))
    element.set("failures", str(failures))
    element.set("errors", str(errors))
    element.set("skipped", str(sum(1 for r in results if r.kind == "note")))
    element.set("time", f"{elapsed:.3f}")


def _testcase(result: Result) -> ET.Element:
    case = ET.Element(
        "testcase",
        classname=_xml_text(display_path(result.file)),
        name=_xml_text(testcase_name(result)),
        file=_xml_text(display_path(result.file)),
    )
    if result.line_in_file is not None:  # a notebook: the line of the .ipynb file; the name gives the cell
        case.set("line", str(result.line_in_file))
    case.set("time", f"{result.outcome.elapsed:.3f}" if result.outcome is not None else "0.000")
    if result.kind == "note":  # a LaTeX row that is not checked (a relation that is not '=')
        ET.SubElement(case, "skipped", message=_xml_text(printable(result.message)))
        return case
    if result.passes:
        if result.doubtful:  # a note that fails the step only under --strict
            ET.SubElement(case, "system-out").text = _xml_text("\n".join(printable(note) for note in result.doubtful))
        return case
    rule = finding_rule(result)
    tag = "error" if result.is_error else "failure"
    problem = ET.SubElement(
        case, tag, message=_xml_text(result_message(result)), type=rule.id if rule else tag
    )
    problem.text = _xml_text(evidence_text(result))
    return case


def testcase_name(result: Result) -> str:
    """Return a testcase name: the line, then a short form of the step or number."""
    where = f"line {result.line}" if result.line is not None else "file"
    if result.cell is not None:
        where = f"cell {result.cell}, {where}"
    if result.is_error:
        return f"{where}: cannot be read"
    if result.kind == "note":
        return f"{where}: not checked"
    what = " ".join(result.expr.split())
    if len(what) > _NAME_WIDTH:
        what = what[: _NAME_WIDTH - 1] + "…"
    label = "number" if result.kind == "number" else result.chain or "step"
    return printable(f"{where}: {label}: {what}")


def evidence_text(result: Result) -> str:
    """Return the message, then every other field of the JSON result as ``key: value`` lines."""
    lines = [result_message(result)]
    for key, value in result_fields(result).items():
        if key in _SHOWN or value in (None, "", [], {}):
            continue
        if key == "stability" and isinstance(value, dict):
            value = {k: v for k, v in value.items() if k != "series"}
        lines.append(printable(f"{key}: {_plain(value)}"))
    return "\n".join(lines)


def _plain(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} = {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
