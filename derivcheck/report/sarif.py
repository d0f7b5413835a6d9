"""``--format sarif``: SARIF 2.1.0, one run, for code-scanning dashboards."""

from __future__ import annotations

import hashlib
import os
import posixpath
from pathlib import Path
from typing import TextIO
from urllib.parse import quote_from_bytes

from derivcheck.report.encoding import json_text
from derivcheck.report.fields import RULES, Rule, finding_level, finding_rule, result_fields, result_message
from derivcheck.results import Report, Result

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SOURCE_ROOT = "%SRCROOT%"


def write_sarif(report: Report, stream: TextIO, *, color: bool | None = None, verbose: bool = False) -> None:
    """Write the report as one SARIF 2.1.0 log."""
    stream.write(json_text(sarif_log(report)) + "\n")


def sarif_log(report: Report) -> dict:
    """Return the SARIF log of a report: one run, a result per finding."""
    from derivcheck.version import __version__

    rule_index = {rule.id: index for index, rule in enumerate(RULES)}
    results = []
    for result in report.results:
        level, rule = finding_level(result), finding_rule(result)
        if level is None or rule is None:
            continue
        results.append(_result(result, level, rule.id, rule_index[rule.id]))
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "derivcheck",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(rule) for rule in RULES],
                    }
                },
                "invocations": [
                    {"executionSuccessful": True, "exitCode": report.exit_code}
                ],
                "results": results,
            }
        ],
    }


def _rule(rule: Rule) -> dict:
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.help},
        "help": {"text": rule.help},
        "defaultConfiguration": {"level": rule.level},
    }


def _result(result: Result, level: str, rule_id: str, rule_index: int) -> dict:
    location = {"uri": artifact_uri(result.file)}
    if not location["uri"].startswith("file:"):
        location["uriBaseId"] = SOURCE_ROOT
    return {
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "level": level,
        "message": {"text": result_message(result)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": location,
                    "region": {"startLine": result.line_in_file or 1},
                }
            }
        ],
        "partialFingerprints": {"derivcheck/v1": _fingerprint(result, rule_id)},
        "properties": {"derivcheck": result_fields(result)},
    }


def artifact_uri(path: str) -> str:
    """Return a path as given as a URI: relative with forward slashes, or ``file:`` when absolute.

    The URI is made of the name's bytes, so a name that is not UTF-8 is
    percent-encoded exactly (byte 0xff is ``%FF``).
    """
    given = Path(path)
    if given.is_absolute():
        return given.as_uri()
    return quote_from_bytes(os.fsencode(posixpath.normpath(given.as_posix())), safe="/")


def _fingerprint(result: Result, rule_id: str) -> str:
    """Return an id of a finding that survives moving it to another line."""
    key = "\0".join((result.file, rule_id, result.title, result.chain, result.expr, result.message))
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]
