"""``derivcheck new``: the skeleton verifies, validates, shows every key, and never overwrites."""

from __future__ import annotations

import contextlib
import json

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from derivcheck.authoring.schema import derivation_schema
from derivcheck.authoring.skeleton import default_title, skeleton_text
from derivcheck.cli import app
from derivcheck.load.documents import CASE_KEYS, NUMBER_KEYS, STEP_KEYS, TOP_KEYS, documents_from_text
from derivcheck.model import Document


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def skeleton(tmp_path_factory):
    path = tmp_path_factory.mktemp("new") / "my_loss.yaml"
    result = invoke("new", str(path), "--title", "My loss")
    assert result.exit_code == 0, result.output
    return path


def test_the_skeleton_verifies_strictly(skeleton):
    with contextlib.chdir(skeleton.parent):
        result = invoke("verify", "--no-cache", "--jobs", "1", "--strict", "--format", "json", skeleton.name)
    assert result.exit_code == 0, result.stdout
    data = json.loads(result.stdout)
    verdicts = [(r["kind"], r["verdict"], r["passes"]) for r in data["results"]]
    assert ("step", "wrong", True) in verdicts  # the erratum example is refuted
    assert ("number", "proved", True) in verdicts
    assert sum(1 for r in data["results"] if r.get("chain") == "steps") == 2  # a 3-step chain
    assert ("number", "proved", True) in verdicts and any(r["kind"] == "note" for r in data["results"])  # solve


def test_the_skeleton_is_realistic_sums_cases_and_numbers(skeleton):
    with contextlib.chdir(skeleton.parent):
        result = invoke("verify", "--no-cache", "--jobs", "1", "--strict", "--format", "json", skeleton.name)
    data = json.loads(result.stdout)
    sums = [r for r in data["results"] if r["kind"] == "step" and r["chain"] == "steps"]
    assert sums and all(r["verdict"] in ("proved", "proved for sizes") for r in sums)  # sums over a size C
    assert len({r["chain"] for r in data["results"] if r["kind"] == "step"}) == 4  # steps and three cases
    doc = yaml.safe_load(skeleton.read_text(encoding="utf-8"))
    assert any("Sum(" in str(s) for s in doc["steps"])
    assert any(isinstance(n["is"], list) for n in doc["numbers"])  # a list of values
    assert any("vector" in words for words in doc["symbols"].values())


def test_the_skeleton_validates_against_the_schema(skeleton):
    doc = yaml.safe_load(skeleton.read_text(encoding="utf-8"))
    jsonschema.validate(doc, derivation_schema(), cls=jsonschema.Draft202012Validator)
    assert doc["title"] == "My loss"


def test_the_skeleton_shows_every_key(skeleton):
    doc = yaml.safe_load(skeleton.read_text(encoding="utf-8"))
    assert list(doc) == list(TOP_KEYS)
    all_steps = doc["steps"] + [s for case in doc["cases"] for s in case["steps"]]
    step_keys = {k for s in all_steps if isinstance(s, dict) for k in s}
    assert step_keys == set(STEP_KEYS)
    assert set(doc["cases"][0]) == set(CASE_KEYS)
    assert {k for n in doc["numbers"] for k in n} == set(NUMBER_KEYS)
    assert "'f(t): null'" in skeleton.read_text(encoding="utf-8")  # the unknown-function form


def test_the_skeleton_is_commented(skeleton):
    text = skeleton.read_text(encoding="utf-8")
    lines = text.splitlines()
    comments = "\n".join(line for line in lines if line.lstrip().startswith("#"))
    for key in TOP_KEYS:  # each top-level key is explained right above it
        (index,) = [i for i, line in enumerate(lines) if line.startswith(f"{key}:")]
        assert lines[index - 1].startswith("#"), f"no comment above '{key}'"
    nested = set(STEP_KEYS + CASE_KEYS + NUMBER_KEYS) - set(TOP_KEYS) - {"expr"}
    for key in sorted(nested):  # and every nested key in a comment
        assert f"'{key}'" in comments, f"the comments never explain '{key}'"
    assert "derivcheck verify --strict my_loss.yaml" in text
    assert "yaml-language-server: $schema=" in text


@pytest.mark.parametrize(
    "title",
    ['A: "quoted" # not a comment', "{x: 1}, [y]", "back\\slash and $dollar", "ünïcode ∂L/∂z", "- dash", "null"],
)
def test_any_title_is_kept_as_text(title):
    text = skeleton_text(title)
    assert yaml.safe_load(text)["title"] == title
    (doc,) = documents_from_text(text, "t.yaml")
    assert isinstance(doc, Document) and doc.title == title


def test_a_title_is_one_line():
    assert yaml.safe_load(skeleton_text("two\nlines"))["title"] == "two lines"


def test_the_default_title_comes_from_the_file_name(tmp_path):
    assert default_title(tmp_path / "softmax_cross-entropy.yaml") == "softmax cross entropy"
    result = invoke("new", str(tmp_path / "kl_gradient.yml"))
    assert result.exit_code == 0
    assert yaml.safe_load((tmp_path / "kl_gradient.yml").read_text())["title"] == "kl gradient"


def test_new_refuses_to_overwrite(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("title: mine\n")
    result = invoke("new", str(path))
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert path.read_text() == "title: mine\n"


def test_new_needs_an_existing_folder(tmp_path):
    path = tmp_path / "missing" / "a.yaml"
    result = invoke("new", str(path))
    assert result.exit_code == 2
    assert "no such directory" in result.output
    assert not path.parent.exists()


@pytest.mark.parametrize("name", ["a.txt", "a.md", "a"])
def test_new_writes_only_yaml_files(tmp_path, name):
    result = invoke("new", str(tmp_path / name))
    assert result.exit_code == 2 and ".yaml or .yml" in result.output
    assert not (tmp_path / name).exists()


def test_new_refuses_an_empty_title(tmp_path):
    result = invoke("new", str(tmp_path / "a.yaml"), "--title", "  ")
    assert result.exit_code == 2 and not (tmp_path / "a.yaml").exists()
