"""Small builders shared by the tests: derivations from Python values, checked in process."""

from __future__ import annotations

import yaml

from derivcheck.api import verify_loaded
from derivcheck.config import CheckConfig
from derivcheck.load import LoadedFile
from derivcheck.load.documents import documents_from_text

FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)


def derivation(steps, symbols=None, assume=None, functions=None, cases=None, numbers=None, title="t"):
    """Return the YAML text of a derivation built from Python values."""
    doc = {"title": title, "symbols": symbols if symbols is not None else {"x": "real"}}
    if functions:
        doc["functions"] = functions
    if assume:
        doc["assume"] = assume
    if steps:
        doc["steps"] = steps
    if cases:
        doc["cases"] = cases
    if numbers:
        doc["numbers"] = numbers
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def verify_text(text: str, config: CheckConfig = FAST, path: str = "test.yaml"):
    """Verify YAML text as if it were a file; return the Report."""
    loaded = LoadedFile(path, tuple(documents_from_text(text, path)), "yaml")
    return verify_loaded([loaded], config, files=[path])


def step_verdicts(report) -> list[str]:
    return [r.verdict.value for r in report.results if r.kind == "step"]
