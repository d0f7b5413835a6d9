"""Discovery of derivation files: empty runs, hidden files, symbolic links, FIFOs, unreadable and deep folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from derivcheck.api import verify_paths
from derivcheck.config import CheckConfig
from derivcheck.load import find_files
from derivcheck.model import LoadError

FAST = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)
RIGHT = "title: t\nsymbols: {x: real}\nsteps:\n  - (x + 1)**2\n  - x**2 + 2*x + 1\n"
SECRET = "title: SECRET-CONTENT-9f3a\nsymbols: {x: real}\nsteps: [x, x + SECRET_TOKEN]\n"


def nothing_checked(report) -> str:
    assert report.exit_code == 2
    (error,) = report.results
    assert error.is_error and error.message.startswith("nothing to check in ")
    return error.message


def test_an_empty_folder_is_not_a_pass(tmp_path):
    message = nothing_checked(verify_paths([str(tmp_path)], FAST))
    assert str(tmp_path) in message and "*.yaml" in message


def test_only_hidden_files_is_not_a_pass(tmp_path):
    (tmp_path / ".hidden.yaml").write_text(RIGHT)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.yaml").write_text(RIGHT)
    nothing_checked(verify_paths([str(tmp_path)], FAST))


def test_only_dangling_links_is_not_a_pass_and_each_is_reported(tmp_path):
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "missing.yaml")
    report = verify_paths([str(tmp_path)], FAST)
    nothing_checked(report)
    assert any("gone.yaml" in w and "dangling" in w for w in report.warnings)


def test_a_fifo_named_yaml_is_never_opened(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    report = verify_paths([str(tmp_path)], FAST)  # would block forever if the FIFO were opened
    nothing_checked(report)
    assert any("pipe.yaml" in w and "FIFO" in w for w in report.warnings)


def test_a_fifo_or_device_named_as_a_path_is_a_clear_error(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    for path, words in ((tmp_path / "pipe.yaml", "named pipe (FIFO)"), (Path("/dev/null"), "a device")):
        report = verify_paths([str(path)], FAST)
        (error,) = report.results
        assert report.exit_code == 2 and words in error.message


def test_a_link_to_a_file_outside_the_tree_is_skipped_without_reading_it(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.yaml").write_text(SECRET)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "real.yaml").write_text(RIGHT)
    (tree / "leak.yaml").symlink_to(outside / "secret.yaml")
    report = verify_paths([str(tree)], FAST)
    assert report.exit_code == 0 and report.files == (str(tree / "real.yaml"),)
    (warning,) = report.warnings
    assert "leak.yaml" in warning and "outside" in warning and "not followed" in warning
    everything = repr(report)
    assert "SECRET" not in everything


def test_a_link_inside_the_tree_is_followed(tmp_path):
    (tmp_path / "real.yaml").write_text(RIGHT)
    (tmp_path / "alias.yaml").symlink_to(tmp_path / "real.yaml")
    report = verify_paths([str(tmp_path)], FAST)
    assert report.exit_code == 0 and len(report.files) == 2 and report.warnings == ()


def test_a_named_link_to_a_file_outside_the_working_directory_is_an_error(tmp_path, monkeypatch):
    (tmp_path / "secret.yaml").write_text(SECRET)
    work = tmp_path / "work"
    work.mkdir()
    (work / "named.yaml").symlink_to(tmp_path / "secret.yaml")
    monkeypatch.chdir(work)
    report = verify_paths(["named.yaml"], FAST)
    (error,) = report.results
    assert report.exit_code == 2 and "outside the working directory" in error.message
    assert "SECRET" not in repr(report)


def test_a_folder_that_cannot_be_searched_is_reported(tmp_path, monkeypatch):
    (tmp_path / "ok.yaml").write_text(RIGHT)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "hidden-by-permissions.yaml").write_text(RIGHT)
    real_scandir = os.scandir

    def scandir(path):  # as root, chmod 000 does not stop reading; simulate what it does for others
        if os.path.realpath(path) == str(locked.resolve()):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = verify_paths([str(tmp_path)], FAST)
    errors = [r for r in report.results if r.is_error]
    assert report.exit_code == 2 and len(errors) == 1
    assert errors[0].file == str(locked) and "cannot search this folder: Permission denied" in errors[0].message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_an_unsearchable_folder_by_its_mode(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.yaml").write_text(RIGHT)
    locked.chmod(0)
    try:
        found = find_files([str(tmp_path)])
    finally:
        locked.chmod(0o755)
    assert any(isinstance(e, LoadError) and e.path == str(locked) for e in found.entries)


def test_a_folder_tree_1200_levels_deep_is_walked(tmp_path):
    folder = str(tmp_path)
    for _ in range(1200):  # os.makedirs itself recurses
        folder = os.path.join(folder, "d")
        os.mkdir(folder)
    deepest = os.path.join(folder, "deep.yaml")
    Path(deepest).write_text(RIGHT)
    try:
        found = find_files([str(tmp_path)])
    finally:
        os.remove(deepest)
        while folder != str(tmp_path):  # remove it here: pytest's own clean-up recurses
            os.rmdir(folder)
            folder = os.path.dirname(folder)
    assert found.entries == [str(deepest)]


def test_files_are_in_sorted_order_with_folders_mixed_in(tmp_path):
    for name in ("b.yaml", "a/z.yaml", "a/b/c.md", "c.yml", "a.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(RIGHT)
    found = find_files([str(tmp_path)])
    names = [Path(p).relative_to(tmp_path).as_posix() for p in found.entries]
    assert names == sorted(names, key=lambda n: Path(n).parts)
    assert set(names) == {"b.yaml", "a/z.yaml", "a/b/c.md", "c.yml", "a.yaml"}


def test_files_in_the_working_directory_are_named_without_a_leading_dot_slash(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.yaml").write_text(RIGHT)
    monkeypatch.chdir(tmp_path)
    assert find_files(["."]).entries == ["sub/a.yaml"]
    assert find_files(["./sub/"]).entries == ["sub/a.yaml"]


def test_a_link_to_a_folder_is_reported_and_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yaml").write_text(SECRET)
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "real.yaml").write_text(RIGHT)
    (tree / "more").symlink_to(outside, target_is_directory=True)
    found = find_files([str(tree)])
    assert found.entries == [str(tree / "real.yaml")]
    assert found.skipped == [f"{tree / 'more'}: a symbolic link to a place outside {tree}; not followed"]
