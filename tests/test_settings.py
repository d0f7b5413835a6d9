"""``[tool.derivcheck]`` in pyproject.toml: read and checked, used by ``verify``, overridden by options."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from derivcheck.cli import app
from derivcheck.settings import (
    BOUNDS,
    KNOWN_KEYS,
    ProjectSettings,
    SettingsError,
    build_config,
    cache_directory,
    default_cache_dir,
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


def test_default_paths_are_the_configured_ones_even_when_missing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "maths").mkdir()
    # A configured path that does not exist is kept, so that the run reports it as an error.
    assert default_paths(ProjectSettings(paths=("maths", "missing"))) == ["maths", "missing"]


def test_cache_directory_precedence(monkeypatch, tmp_path):
    configured = ProjectSettings(cache_dir="from-pyproject")
    monkeypatch.delenv("DERIVCHECK_CACHE_DIR", raising=False)
    assert cache_directory(None, False, ProjectSettings()) == default_cache_dir()
    assert cache_directory(None, False, configured) == Path("from-pyproject")
    monkeypatch.setenv("DERIVCHECK_CACHE_DIR", "from-env")
    assert cache_directory(None, False, configured) == Path("from-env")
    assert cache_directory("from-option", False, configured) == Path("from-option")
    assert cache_directory("from-option", True, configured) is None


def test_the_default_cache_is_in_the_user_cache_folder_not_the_working_tree(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    folder = default_cache_dir()
    assert folder.is_relative_to(tmp_path / "xdg")
    assert not folder.resolve().is_relative_to(Path.cwd() / ".derivcheck_cache")


# --- values of the numeric settings: from the command line, the environment, the file ----------


def config_of(options=None, settings=None, environ=None, cpus=4):
    return build_config(options or {}, settings or ProjectSettings(), environ or {}, cpu_count=cpus)


BAD_VALUES = [float("nan"), float("inf"), float("-inf"), -1, 10**30]


@pytest.mark.parametrize("bound", BOUNDS, ids=lambda b: b.key)
@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
def test_every_numeric_option_refuses_nan_inf_huge_and_negative(bound, value):
    with pytest.raises(SettingsError) as info:
        config_of({bound.key: value})
    assert bound.option in str(info.value)
    with pytest.raises(SettingsError) as info:
        config_of(settings=ProjectSettings(**{bound.key.replace("-", "_"): value}))
    assert f"[tool.derivcheck] {bound.key}" in str(info.value)


@pytest.mark.parametrize("bound", [b for b in BOUNDS if b.off is None], ids=lambda b: b.key)
def test_zero_is_refused_where_it_means_nothing(bound):
    with pytest.raises(SettingsError, match=bound.option):
        config_of({bound.key: 0})


@pytest.mark.parametrize("text", ["nan", "inf", "-3", "lots", "1e999"])
def test_environment_values_are_checked_too(text):
    with pytest.raises(SettingsError, match="DERIVCHECK_TIMEOUT"):
        config_of(environ={"DERIVCHECK_TIMEOUT": text})


def test_a_configuration_file_cannot_turn_off_or_raise_the_limits():
    untrusted = ProjectSettings(memory_limit=0, source="pyproject.toml")
    with pytest.raises(SettingsError, match="only --memory-limit or DERIVCHECK_MEMORY_LIMIT"):
        config_of(settings=untrusted)
    for key, value in (("timeout", 3600.0), ("memory_limit", 100_000), ("max_file_size", 10**9)):
        with pytest.raises(SettingsError, match="a configuration file may set at most"):
            config_of(settings=ProjectSettings(**{key: value}))
    # The command line and the environment may.
    assert config_of({"memory-limit": 0}).memory_limit_mb == 0
    assert config_of(environ={"DERIVCHECK_MEMORY_LIMIT": "0"}).memory_limit_mb == 0
    assert config_of({"timeout": 3600.0}).timeout == 3600.0
    assert config_of(environ={"DERIVCHECK_TIMEOUT": "600"}).timeout == 600.0
    # Lowering a limit from the file is allowed (it only makes that project's own checks stricter).
    assert config_of(settings=ProjectSettings(timeout=2.0, memory_limit=256)).timeout == 2.0


def test_configured_jobs_are_capped_at_the_cpu_count_unless_the_command_line_asks():
    assert config_of(settings=ProjectSettings(jobs=1000), cpus=2).jobs == 2
    assert config_of({"jobs": 8}, settings=ProjectSettings(jobs=1000), cpus=2).jobs == 8
    assert config_of(environ={"DERIVCHECK_JOBS": "6"}, cpus=2).jobs == 6


def test_precedence_command_line_then_environment_then_file():
    settings = ProjectSettings(timeout=3.0)
    assert config_of(settings=settings).timeout == 3.0
    assert config_of(settings=settings, environ={"DERIVCHECK_TIMEOUT": "4"}).timeout == 4.0
    assert config_of({"timeout": 5.0}, settings, {"DERIVCHECK_TIMEOUT": "4"}).timeout == 5.0


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
    assert code == 2 and data is None and "[tool.derivcheck] timeout must be from 0.01 to 60 s, not 0" in output
    code, _, output = verify("--no-cache", "--timeout", "5")
    assert code == 2 and "[tool.derivcheck] jobs must be from 1 to 1024, not 0" in output
    code, data, _ = verify("--no-cache", "--timeout", "5", "--jobs", "1")
    assert code == 0 and checked_files(data) == {"derivations/proved.yaml"}


@pytest.mark.parametrize(
    "args, words",
    [
        (["--timeout", "nan"], "--timeout must be a finite number"),
        (["--timeout", "inf"], "--timeout must be a finite number"),
        (["--timeout", "-1"], "--timeout must be from 0.01"),
        (["--memory-limit", "99999999999999"], "--memory-limit must be from 64 to 1048576 MiB"),
        (["--max-file-size", "-1"], "--max-file-size must be from 1"),
        (["--jobs", "0"], "--jobs must be from 1 to 1024"),
        (["--samples", "0"], "--samples must be from 1"),
        (["--max-size", "99"], "--max-size must be from 1 to 12"),
        (["--shard", "3/2"], "--shard must be I/N"),
        (["--shard", "x"], "--shard must be I/N"),
    ],
)
def test_bad_option_values_stop_verify_with_one_clear_line(project, args, words):
    code, data, output = verify("--no-cache", *args)
    assert code == 2 and data is None and words in output
    assert "Traceback" not in output and "internal error" not in output


def test_a_configured_path_that_does_not_exist_is_an_error_naming_it(project):
    pyproject(project, 'paths = ["maths", "nowhere"]\n')
    code, data, _ = verify("--no-cache", "--jobs", "1")
    assert code == 2
    errors = [r for r in data["results"] if r["kind"] == "error"]
    assert [(e["file"], e["message"]) for e in errors] == [("nowhere", "no such file or directory")]


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
