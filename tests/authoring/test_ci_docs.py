"""The pre-commit hook, docs/ci.md's snippets, and the help of every command."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from derivcheck.cli import app
from derivcheck.settings import KNOWN_KEYS, read_project_settings

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", DOC, flags=re.S | re.M)


def test_pre_commit_hook():
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "derivcheck" and hook["entry"] == "derivcheck verify --allow-empty"
    assert hook["language"] == "python"
    files = re.compile(hook["files"])
    for path in ("derivations/a.yaml", "derivations/sub/b.yml", "derivations/notes.md", "derivations/nb.ipynb"):
        assert files.search(path), path
    for path in (".github/workflows/ci.yml", ".pre-commit-config.yaml", "README.md", "derivations/a.txt"):
        assert not files.search(path), path


def test_docs_yaml_snippets_parse():
    snippets = [yaml.safe_load(text) for text in blocks("yaml")]
    configs = [s for s in snippets if isinstance(s, dict) and "repos" in s]
    hooks = [hook for config in configs for repo in config["repos"] for hook in repo["hooks"]]
    assert hooks and all(hook["id"] == "derivcheck" for hook in hooks)
    minimal, workflow = [s for s in snippets if isinstance(s, dict) and "jobs" in s]
    (job,) = minimal["jobs"].values()
    assert "strategy" not in job  # the minimal recipe is one job, before the sharded matrix
    first = [step.get("run", "") for step in job["steps"]]
    assert any('pip install "derivcheck @ git+https://' in run for run in first)
    assert any(run.startswith("derivcheck verify --format github") for run in first)
    saves = [step for step in job["steps"] if step.get("uses", "").startswith("actions/cache/save")]
    assert len(saves) == 1 and "default_branch" in saves[0]["if"]
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    runs = " ".join(step.get("run", "") for step in steps)
    uses = [step.get("uses", "") for step in steps]
    assert "derivcheck verify --format github" in runs
    assert "--format sarif > derivcheck.sarif" in runs
    assert any(u.startswith("actions/checkout") for u in uses)
    assert any(u.startswith("actions/setup-python") for u in uses)
    assert any(u.startswith("github/codeql-action/upload-sarif") for u in uses)
    assert "# yaml-language-server: $schema=" in DOC


def test_docs_toml_snippet_is_every_setting(tmp_path):
    (table,) = blocks("toml")
    assert list(tomllib.loads(table)["tool"]["derivcheck"]) == list(KNOWN_KEYS)
    (tmp_path / "pyproject.toml").write_text(table, encoding="utf-8")
    assert read_project_settings(tmp_path).strict is True


@pytest.mark.parametrize("command", [[], ["verify"], ["new"], ["schema"]])
def test_help_explains_with_an_example(command):
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example: derivcheck" in result.output


def test_verify_help_lists_the_formats():
    output = CliRunner().invoke(app, ["verify", "--help"]).output
    for name in ("junit", "github", "sarif"):
        assert name in output
