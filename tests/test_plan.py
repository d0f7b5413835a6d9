"""The plan of a run: typed, keyword-only checks known by their index, and one pass down into check/."""

from __future__ import annotations

import dataclasses
import json

import pytest

import derivcheck.api as api
from derivcheck.api import PlannedCheck, plan_document, verify_paths
from derivcheck.config import CheckConfig
from derivcheck.load.documents import documents_from_text
from tests.helpers import FAST, derivation, verify_text


def test_a_planned_check_takes_keywords_only():
    (field,) = [f for f in dataclasses.fields(PlannedCheck) if f.name == "check"]
    assert all(f.kw_only for f in dataclasses.fields(PlannedCheck)) and field.type == "Check"
    with pytest.raises(TypeError):
        PlannedCheck("a.yaml", "t", "steps", "step", 1, "x", None)  # type: ignore[misc]


def test_chains_are_numbered_in_turn_and_steps_carry_their_place():
    text = derivation(["x + x", "2*x", "x*2"]) + "---\n" + derivation(["x", "x"])
    first, second = (d for d in documents_from_text(text, "a.yaml"))
    planned = plan_document(first, FAST) + plan_document(second, FAST, first_chain=1)
    assert [(p.check.chain, p.link.position if p.link else None) for p in planned] == [(0, 1), (0, 2), (1, 1)]
    assert all(p.check.diagnosis is not None for p in planned)


def test_the_run_goes_down_into_check_once(monkeypatch):
    calls = []
    real = api.run_checks

    def counting(checks, config, progress=None, stats=None):
        calls.append(len(checks))
        return real(checks, config, progress, stats)

    monkeypatch.setattr(api, "run_checks", counting)
    # a slip that the chain resumes from: placement re-checks and a diagnosis, all inside the one pass
    report = verify_text(derivation(["(x + 1)**2", "x**2 + 2*x + 2", "x**2 + 2*x + 1", "(x + 1)**2"]))
    assert calls == [3]
    assert [r.verdict.value for r in report.results] == ["wrong", "proved", "proved"]
    assert report.results[1].role == "resumes" and "constant -1" in report.results[0].outcome.difference


def test_stability_results_in_a_notebook_keep_their_cell(tmp_path):
    block = derivation(None)
    claim = "stability:\n- {expr: 'log(1 + x)', over: {x: [-0.5, 0.5]}, stable: true}\n"
    cells = [
        {"cell_type": "code", "source": "print(1)", "metadata": {}, "outputs": [], "execution_count": None},
        {"cell_type": "markdown", "source": f"```derivation\n{block}{claim}```\n", "metadata": {}},
    ]
    notebook = tmp_path / "n.ipynb"
    notebook.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    report = verify_paths([str(notebook)], CheckConfig(jobs=1, cache_dir=None, timeout=30.0))
    (result,) = report.results
    assert (result.kind, result.cell) == ("stability", 2)
