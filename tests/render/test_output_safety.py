"""render -o: never through a symbolic link, never over an input, each page written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from derivcheck.config import CheckConfig
from derivcheck.render import RenderError, render_paths

FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)
DOC = "title: t\nsymbols: {x: real}\nsteps:\n  - (x + 1)**2\n  - x**2 + 2*x + 1\n"


@pytest.fixture
def inputs(tmp_path) -> Path:
    folder = tmp_path / "src"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.yaml").write_text(DOC)
    (folder / "sub" / "b.yaml").write_text(DOC)
    return folder


def test_a_page_that_is_a_symbolic_link_is_not_written_through(tmp_path, inputs):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.md").symlink_to(victim)
    with pytest.raises(RenderError, match="symbolic link"):
        render_paths([str(inputs)], "markdown", str(out), FAST, check=False)
    assert victim.read_text() == "precious"


def test_a_folder_below_the_output_that_is_a_link_is_not_written_through(tmp_path, inputs):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(RenderError, match="symbolic link"):
        render_paths([str(inputs)], "markdown", str(out), FAST, check=False)
    assert list(elsewhere.iterdir()) == []


def test_an_input_reached_through_a_linked_folder_is_not_overwritten(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    post = src / "post.md"
    original = "```derivation\n" + DOC + "```\n"
    post.write_text(original)
    (tmp_path / "alias").symlink_to(src, target_is_directory=True)
    with pytest.raises(RenderError, match="refusing to overwrite the input"):
        render_paths([str(post)], "markdown", str(tmp_path / "alias" / "post.md"), FAST, check=False)
    assert post.read_text() == original


def test_each_page_is_replaced_by_a_rename_and_no_temporary_file_is_left(tmp_path, inputs):
    out = tmp_path / "out"
    render_paths([str(inputs)], "markdown", str(out), FAST, check=False)
    page = out / "a.md"
    before = page.stat().st_ino
    render_paths([str(inputs)], "markdown", str(out), FAST, check=False)
    assert page.stat().st_ino != before  # a new file renamed into place, never rewritten in place
    leftovers = [p for p in out.rglob("*") if p.name.startswith(".derivcheck-")]
    assert leftovers == []
    assert oct(page.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
