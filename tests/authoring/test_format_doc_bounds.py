"""docs/format.md documents 'rel' and 'stability' as the loader reads them, and its examples check."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from derivcheck.load.documents import RELATIONS, STABILITY_KEYS
from tests.helpers import verify_text

FORMAT = Path(__file__).resolve().parents[2] / "docs" / "format.md"


def section(title: str) -> str:
    text = FORMAT.read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def yaml_block(text: str) -> dict:
    (block,) = re.findall(r"```yaml\n(.*?)```", text, re.S)
    return yaml.safe_load(block)


def test_every_relation_and_stability_key_is_documented():
    inequality, stability = section("Inequality steps"), section("Stability claims")
    for relation in RELATIONS:
        assert f"`{relation}`" in inequality
    for key in STABILITY_KEYS:
        assert f"| `{key}` |" in stability
    assert "| `rel` |" in section("Steps")


def test_the_inequality_example_is_proved():
    doc = {"title": "doc", "symbols": {"x": "real"}, **yaml_block(section("Inequality steps"))}
    report = verify_text(yaml.safe_dump(doc))
    assert [r.verdict.value for r in report.results] == ["proved", "proved"]


def test_the_stability_example_is_confirmed():
    doc = {"title": "doc", "symbols": {"x": "real", "y": "real"}, **yaml_block(section("Stability claims"))}
    report = verify_text(yaml.safe_dump(doc))
    (result,) = report.results
    assert result.kind == "stability" and result.passes and result.verdict.value == "numeric"
