"""LaTeX derivations in Jupyter notebooks: markdown cells only, results carry cell and line."""

import json
from pathlib import Path

from derivcheck.api import verify_paths
from derivcheck.config import CheckConfig
from derivcheck.load import discover, load_file
from derivcheck.load.notebook import documents_from_notebook
from derivcheck.model import LoadError
from derivcheck.report.fields import result_fields
from derivcheck.report.text import write_text

FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)
NOTEBOOK = Path(__file__).parent / "fixtures" / "sigmoid.ipynb"


def test_results_carry_cell_and_line_within_the_cell(tmp_path):
    report = verify_paths([str(NOTEBOOK)], FAST)
    steps = [r for r in report.results if r.kind == "step"]
    assert [(r.cell, r.line, r.verdict.value) for r in steps] == [
        (3, 12, "proved"),
        (3, 13, "proved"),
        (3, 14, "wrong"),
    ]
    (error,) = [r for r in report.results if r.is_error]
    assert (error.cell, error.line) == (4, 6) and "unknown macro '\\foo'" in error.message
    assert result_fields(steps[2])["cell"] == 3
    import io

    out = io.StringIO()
    write_text(report, out, color=False)
    assert "sigmoid.ipynb, cell 4, line 6" in out.getvalue()
    assert "cell 3, line 14" in out.getvalue()


def test_code_cells_are_never_read(tmp_path):
    # the code cell holds a derivcheck comment and a shell command: neither is touched
    items = documents_from_notebook(NOTEBOOK.read_text(), "nb.ipynb")
    assert [getattr(i, "cell", None) for i in items] == [3, 4]


def test_notebooks_are_discovered_and_bad_json_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.ipynb"
    bad.write_text("{not json")
    assert str(bad) in discover([str(tmp_path)])
    (item,) = load_file(str(bad), 10_000).items
    assert isinstance(item, LoadError) and "not valid JSON" in item.message
    no_cells = tmp_path / "nocells.ipynb"
    no_cells.write_text(json.dumps({"worksheets": []}))
    (item,) = load_file(str(no_cells), 10_000).items
    assert "no 'cells' list" in item.message


def test_cell_source_as_one_string_or_lines(tmp_path):
    source = "<!-- derivcheck\ntitle: t\nsymbols: {x: real}\n-->\n$$ x + x = 2x $$\n"
    nb = {
        "cells": [
            {"cell_type": "markdown", "source": source},
            {"cell_type": "markdown", "source": source.splitlines(keepends=True)},
        ]
    }
    items = documents_from_notebook(json.dumps(nb), "nb.ipynb")
    assert [(d.cell, d.chains[0].steps[0].expr.line) for d in items] == [(1, 5), (2, 5)]
