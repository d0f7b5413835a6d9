"""``[tool.derivcheck]`` in pyproject.toml: read and checked, used by ``verify``, overridden by options."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from derivcheck.cli import app
from derivcheck.settings import (
    DEFAULT_CACHE_DIR,
    KNOWN_KEYS,
    ProjectSettings,
    SettingsError,
    cache_directory,
    default_paths,
    read_project_settings,
)

NUMERIC = """\
title: proved only numerically
symbols:
  x: real
assume:
  - x >= 1
steps:
  - sqrt(x + 2*sqrt(x - 1))
  - sqrt(x - 1) + 1
"""
PROVED = """\
title: proved
symbols:
  x: real
steps:
  - (x + 1)**2
  - x**2 + 2*x + 1
"""


def pyproject(folder: Path, table: str) -> None:
    text = '[project]\nname = "p"\n\n[tool.derivcheck]\n' + textwrap.dedent(table)
    (folder / "pyproject.toml").write_text(text, encoding="utf-8")


# --- reading ----------------------------------------------------------------------------------


def test_no_pyproject_means_no_settings(tmp_path):
    assert read_project_settings(tmp_path) == ProjectSettings()


def test_pyproject_without_the_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n')
    assert read_project_settings(tmp_path) == ProjectSettings()


def test_every_known_key_is_read(tmp_path):
    pyproject(
        tmp_path,
        """\
        paths = ["maths", "notes"]
        strict = true
        timeout = 3
        jobs = 2
        cache-dir = "build/cache"
        samples = 8
        max-size = 3
        memory-limit = 512
        max-file-size = 2000
        """,
    )
    settings = read_project_settings(tmp_path)
    assert settings == ProjectSettings(
        paths=("maths", "notes"), strict=True, timeout=3.0, jobs=2, cache_dir="build/cache",
        samples=8, max_size=3, memory_limit=512, max_file_size=2000,
        source=str(tmp_path / "pyproject.toml"),
    )
    assert isinstance(settings.timeout, float)


# A value for each key, different from what an empty table gives.
SAMPLE_VALUES = {
    "paths": '["maths"]', "strict": "true", "timeout": "3", "jobs": "2", "cache-dir": '"c"',
    "samples": "8", "max-size": "3", "memory-limit": "256", "max-file-size": "2000",
}


def test_every_known_key_has_a_sample_value():
    assert sorted(SAMPLE_VALUES) == sorted(KNOWN_KEYS), "give each key of KNOWN_KEYS a sample value here"


@pytest.mark.parametrize("key", KNOWN_KEYS)
def test_each_known_key_alone_is_read(tmp_path, key):
    pyproject(tmp_path, f"{key} = {SAMPLE_VALUES[key]}\n")
    settings = read_project_settings(tmp_path)
    unset = ProjectSettings(source=settings.source)
    changed = [name for name in vars(settings) if getattr(settings, name) != getattr(unset, name)]
    assert changed == [key.replace("-", "_")], f"'{key}' is accepted but not read into its own field"


def test_reads_the_working_directory_by_default(tmp_path, monkeypatch):
    pyproject(tmp_path, "jobs = 3\n")
    monkeypatch.chdir(tmp_path)
    assert read_project_settings().jobs == 3


@pytest.mark.parametrize(
    "table, words",
    [
        ("stict = true\n", "unknown key 'stict'"),
        ('paths = "derivations"\n', "paths must be a list of strings"),
        ("paths = [1, 2]\n", "paths must be a list of strings"),
        ('strict = "yes"\n', "strict has the wrong type"),
        ('timeout = "10"\n', "timeout has the wrong type"),
        ("jobs = true\n", "jobs has the wrong type"),
        ("jobs = 1.5\n", "jobs has the wrong type"),
        ("cache-dir = 1\n", "cache-dir has the wrong type"),
        ("max-size = false\n", "max-size has the wrong type"),
    ],
)
def test_bad_settings_are_errors(tmp_path, table, words):
    pyproject(tmp_path, table)
    with pytest.raises(SettingsError, match=words):
        read_project_settings(tmp_path)


def test_unknown_key_names_the_allowed_keys(tmp_path):
    pyproject(tmp_path, "colour = true\n")
    with pytest.raises(SettingsError) as info:
        read_project_settings(tmp_path)
    assert all(key in str(info.value) for key in KNOWN_KEYS)


def test_table_must_be_a_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool]\nderivcheck = "strict"\n')
    with pytest.raises(SettingsError, match="must be a table"):
        read_project_settings(tmp_path)


def test_broken_toml_is_an_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.derivcheck\n")
    with pytest.raises(SettingsError, match="cannot read"):
        read_project_settings(tmp_path)


# --- default paths and the cache directory ----------------------------------------------------


def test_default_paths_without_configuration():
    assert default_paths(ProjectSettings()) == ["derivations"]


def test_default_paths_keep_the_configured_ones_that_exist(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "maths").mkdir()
    assert default_paths(ProjectSettings(paths=("maths", "missing"))) == ["maths"]
    assert default_paths(ProjectSettings(paths=("gone", "missing"))) == ["gone", "missing"]


def test_cache_directory_precedence(monkeypatch):
    configured = ProjectSettings(cache_dir="from-pyproject")
    monkeypatch.delenv("DERIVCHECK_CACHE_DIR", raising=False)
    assert cache_directory(None, False, ProjectSettings()) == Path(DEFAULT_CACHE_DIR)
    assert cache_directory(None, False, configured) == Path("from-pyproject")
    monkeypatch.setenv("DERIVCHECK_CACHE_DIR", "from-env")
    assert cache_directory(None, False, configured) == Path("from-env")
    assert cache_directory("from-option", False, configured) == Path("from-option")
    assert cache_directory("from-option", True, configured) is None


# --- the command line -------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder, the working directory, with a numeric derivation in maths/ and a proved one in derivations/."""
    (tmp_path / "maths").mkdir()
    (tmp_path / "maths" / "numeric.yaml").write_text(NUMERIC)
    (tmp_path / "derivations").mkdir()
    (tmp_path / "derivations" / "proved.yaml").write_text(PROVED)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DERIVCHECK_CACHE_DIR", raising=False)
    return tmp_path


def verify(*args: str) -> tuple[int, dict | None, str]:
    result = CliRunner().invoke(app, ["verify", "--format", "json", *args])
    data = json.loads(result.stdout) if result.stdout.strip() else None
    return result.exit_code, data, result.output


def checked_files(data: dict) -> set[str]:
    return {Path(r["file"]).as_posix() for r in data["results"]}


def test_without_paths_or_configuration_verify_checks_derivations(project):
    code, data, _ = verify("--no-cache", "--jobs", "1")
    assert code == 0 and checked_files(data) == {"derivations/proved.yaml"}


def test_without_paths_verify_checks_the_configured_paths(project):
    pyproject(project, 'paths = ["maths"]\n')
    code, data, _ = verify("--no-cache", "--jobs", "1")
    assert code == 0 and checked_files(data) == {"maths/numeric.yaml"}


def test_paths_on_the_command_line_override_the_configured_ones(project):
    pyproject(project, 'paths = ["maths"]\n')
    code, data, _ = verify("--no-cache", "--jobs", "1", "derivations")
    assert code == 0 and checked_files(data) == {"derivations/proved.yaml"}


def test_configured_strict_and_the_option_that_overrides_it(project):
    pyproject(project, 'paths = ["maths"]\nstrict = true\n')
    code, data, _ = verify("--no-cache", "--jobs", "1")
    assert code == 1 and data["strict"] is True
    code, data, _ = verify("--no-cache", "--jobs", "1", "--no-strict")
    assert code == 0 and data["strict"] is False


def test_strict_option_without_configuration(project):
    code, _, _ = verify("--no-cache", "--jobs", "1", "--strict", "maths")
    assert code == 1


def test_configured_timeout_and_jobs_are_used_and_overridden(project):
    pyproject(project, "timeout = 0\njobs = 0\n")
    code, data, output = verify("--no-cache")
    assert code == 2 and data is None and "--timeout must be positive" in output
    code, _, output = verify("--no-cache", "--timeout", "5")
    assert code == 2 and "--jobs must be at least 1" in output
    code, data, _ = verify("--no-cache", "--timeout", "5", "--jobs", "1")
    assert code == 0 and checked_files(data) == {"derivations/proved.yaml"}


def test_configured_cache_dir_is_used_unless_no_cache(project):
    pyproject(project, 'cache-dir = "cache-here"\n')
    code, _, _ = verify("--no-cache", "--jobs", "1")
    assert code == 0 and not (project / "cache-here").exists()
    code, _, _ = verify("--jobs", "1")
    assert code == 0 and (project / "cache-here").is_dir()


def test_a_bad_pyproject_stops_verify_with_exit_2(project):
    pyproject(project, "stict = true\n")
    code, data, output = verify("--no-cache", "--jobs", "1")
    assert code == 2 and data is None and "unknown key 'stict'" in output
