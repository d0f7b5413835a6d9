"""Hostile derivation files: every one ends with a clear answer, nothing in them runs.

All hostile files (the committed ones and the generated large or binary
ones) are checked together in one CLI run; each file's answer is then
compared with tests/hostile/expectations.py. That run must report every
file, print no traceback and stay under 1 GiB of memory in total.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile.expectations import EXPECTED, GENERATED, STOPPED, Expect, write_generated

HERE = Path(__file__).parent
CATEGORIES = ("code_execution", "yaml", "arithmetic", "structure", "names", "limits", "latex")
SUFFIXES = (".yaml", ".md", ".ipynb")
# Bombs must end within these limits; two workers as on a 2-core CI machine.
RUN_OPTIONS = ("--timeout", "2", "--jobs", "2", "--memory-limit", "400")
RUN_SECONDS = 900
GIB = 1024**3

# Runs a command and reports the largest resident size of any process it started.
_MEASURE = """
import json, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
json.dump({"exit": code, "peak_process_bytes": peak}, open(sys.argv[1], "w"))
"""

# Calls the library in this process (jobs=1) and lists the modules imported afterwards.
_MODULES = """
import json, sys
from derivcheck.api import verify_paths
from derivcheck.config import CheckConfig
report = verify_paths(sys.argv[2:], CheckConfig(jobs=1, cache_dir=None, timeout=2.0))
json.dump({"modules": sorted(sys.modules), "exit": report.exit_code}, open(sys.argv[1], "w"))
"""

# Modules that could run a command or reach outside; none may be imported because of a file.
FORBIDDEN_MODULES = {
    "subprocess", "ctypes", "socket", "pty", "shutil", "webbrowser", "http", "urllib.request",
    "ftplib", "smtplib", "telnetlib", "code", "codeop", "pdb", "runpy", "importlib.util",
}


@dataclass
class Run:
    """One finished CLI run."""

    exit: int
    stdout: str
    stderr: str
    seconds: float
    peak_process_bytes: int
    peak_total_bytes: int

    @property
    def report(self) -> dict:
        return json.loads(self.stdout)


def _committed() -> list[str]:
    return sorted(
        str(path.relative_to(HERE)) for category in CATEGORIES for path in (HERE / category).rglob("*")
        if path.suffix in SUFFIXES
    )


def _tree_rss(root: int) -> int:
    """Resident bytes of ``root`` and all its descendants (Linux /proc), 0 where unreadable."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    tree, grown = {root}, True
    while grown:
        grown = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grown = True
    total = 0
    page = os.sysconf("SC_PAGE_SIZE")
    for pid in tree:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total


def run_cli(args: list[str], cwd: Path, timeout: float = RUN_SECONDS) -> Run:
    """Run ``derivcheck ARGS`` in ``cwd``; measure time and peak memory (per process and in total)."""
    measured = cwd / ".measure.json"
    command = [sys.executable, "-c", _MEASURE, str(measured), sys.executable, "-m", "derivcheck", *args]
    peak_total = 0
    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    done = threading.Event()

    def watch() -> None:
        nonlocal peak_total
        while not done.is_set():
            if Path("/proc").is_dir():
                peak_total = max(peak_total, _tree_rss(process.pid))
            done.wait(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the session this test started, nothing else
        process.communicate()
        pytest.fail(f"derivcheck {' '.join(args)} did not finish within {timeout} s")
    finally:
        done.set()
        watcher.join()
    seconds = time.monotonic() - started
    data = json.loads(measured.read_text())
    measured.unlink()
    return Run(data["exit"], stdout, stderr, seconds, data["peak_process_bytes"], peak_total)


def _verify(*paths: str, options: tuple[str, ...] = RUN_OPTIONS, output: str = "json") -> list[str]:
    return ["verify", "--no-cache", "--format", output, *options, *paths]


@pytest.fixture(scope="session")
def hostile_folder(tmp_path_factory) -> Path:
    """A folder with every hostile file: the committed ones, and the generated ones under generated/."""
    folder = tmp_path_factory.mktemp("hostile")
    for category in CATEGORIES:
        shutil.copytree(HERE / category, folder / category)
    write_generated(folder / "generated")
    return folder


@pytest.fixture(scope="session")
def all_run(hostile_folder) -> Run:
    """One CLI run over every hostile file together."""
    before = sorted(p.name for p in hostile_folder.iterdir())
    run = run_cli(_verify("."), hostile_folder)
    assert sorted(p.name for p in hostile_folder.iterdir()) == before, "the run created files"
    print(
        f"\nall hostile files: {run.seconds:.1f} s, exit {run.exit}, peak memory "
        f"{run.peak_total_bytes / 2**20:.0f} MiB in total, "
        f"{run.peak_process_bytes / 2**20:.0f} MiB in the largest process"
    )
    return run


def _all_expected() -> dict[str, tuple[Expect, str]]:
    cases = {name: (expect, name) for name, expect in EXPECTED.items()}
    cases.update({f"generated/{name}": (expect, name) for name, expect in GENERATED.items()})
    return cases


def _line_of(text: str, token: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if token in line and not line.lstrip().startswith("#"):
            return number
    if "\n" in token:
        return text[: text.index(token)].count("\n") + 1
    raise AssertionError(f"token {token!r} not found in the file")


def check_answer(name: str, expect: Expect, results: list[dict], text: str) -> None:
    """Compare the report's results for one file with what is expected of it."""
    items = [r for r in results if r["file"] == name]
    assert items, f"{name} is missing from the report"
    errors = [r for r in items if r["kind"] == "error"]
    checks = [r for r in items if r["kind"] in ("step", "number")]
    exit_code = 2 if errors else 1 if any(not r["passes"] for r in items) else 0
    assert exit_code == expect.exit, items[:3]
    said = [r.get(key) or "" for r in items for key in ("message", "method", "detail", "verdict")]
    assert any(part in line for part in expect.fragment.split("|") for line in said), (expect.fragment, said[:8])
    if expect.at is not None:
        assert errors and errors[0]["line"] == _line_of(text, expect.at), (errors[:1], expect.at)
    if expect.verdicts:
        assert len(checks) == len(expect.verdicts), [r["verdict"] for r in checks]
        for result, allowed in zip(checks, expect.verdicts):
            assert result["verdict"] in allowed.split("|"), (result["line"], result["verdict"], result.get("detail"))


# -- the table and the files agree ----------------------------------------------------------


def test_every_committed_file_has_an_expectation():
    assert _committed() == sorted(EXPECTED)


def test_committed_files_are_small():
    for name in _committed():
        assert (HERE / name).stat().st_size < 100_000, name


def test_every_category_has_files():
    for category in CATEGORIES:
        assert any(name.startswith(category + "/") for name in EXPECTED), category


def test_the_generated_files_are_those_expected(tmp_path):
    assert sorted(write_generated(tmp_path)) == sorted(GENERATED)


# -- one run over everything ----------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(_all_expected()))
def test_hostile_file_gets_its_answer(name, all_run, hostile_folder):
    expect, _ = _all_expected()[name]
    text = (hostile_folder / name).read_bytes().decode("utf-8", errors="replace")
    check_answer(name, expect, all_run.report["results"], text)


@pytest.mark.slow
def test_all_hostile_files_together(all_run, hostile_folder):
    report = all_run.report
    assert all_run.exit == 2 == report["exit_code"]
    assert "Traceback" not in all_run.stdout + all_run.stderr
    assert "internal error" not in all_run.stdout + all_run.stderr
    expected = set(_all_expected())
    assert set(report["files"]) == expected
    assert {r["file"] for r in report["results"]} == expected
    assert not list(hostile_folder.rglob("MARKER*"))


@pytest.mark.slow
def test_all_hostile_files_stay_under_1_gib(all_run):
    assert all_run.peak_process_bytes < GIB
    if Path("/proc").is_dir():
        assert 0 < all_run.peak_total_bytes < GIB


@pytest.mark.slow
def test_text_report_of_the_hostile_files_has_no_traceback(hostile_folder):
    fast = ["code_execution", "yaml", "names", "structure"]
    run = run_cli(_verify(*fast, output="text"), hostile_folder)
    assert run.exit == 2
    assert "Traceback" not in run.stdout + run.stderr
    assert "internal error" not in run.stdout + run.stderr
    for name in EXPECTED:
        if name.split("/")[0] in fast:
            assert name in run.stdout


# -- exit codes, limits and options, each in its own run ------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "exit_code"),
    [("names/python_names_as_symbols.yaml", 0), ("names/imaginary_unit.yaml", 1), ("yaml/python_object_apply.yaml", 2)],
)
def test_exit_code_of_a_single_file(name, exit_code, tmp_path):
    shutil.copy(HERE / name, tmp_path / "case.yaml")
    run = run_cli(_verify("case.yaml"), tmp_path)
    assert run.exit == exit_code == run.report["exit_code"]


@pytest.mark.slow
def test_memory_limit_ends_a_runaway_check_as_unknown(tmp_path):
    shutil.copy(HERE / "limits/memory_bomb.yaml", tmp_path / "bomb.yaml")
    run = run_cli(_verify("bomb.yaml", options=("--memory-limit", "300", "--timeout", "20", "--jobs", "2")), tmp_path)
    assert run.exit == 1
    bomb, normal = run.report["results"]
    assert bomb["verdict"] == "unknown" and bomb["method"] in STOPPED.split("|"), bomb
    assert normal["verdict"] == "proved", normal
    assert run.seconds < 120
    assert "Traceback" not in run.stdout + run.stderr


@pytest.mark.slow
def test_the_size_limit_is_an_option(tmp_path):
    path = write_generated(tmp_path)["yaml/huge_file.yaml"]
    refused = run_cli(_verify(str(path)), tmp_path)
    assert refused.exit == 2
    assert "--max-file-size" in refused.report["results"][0]["message"]
    accepted = run_cli(_verify(str(path), options=("--max-file-size", "3000000", "--jobs", "1")), tmp_path)
    assert accepted.exit == 0, accepted.report["results"]


# -- nothing in a file is executed ----------------------------------------------------------


def _modules_after(paths: list[str], cwd: Path) -> dict:
    out = cwd / ".modules.json"
    subprocess.run(
        [sys.executable, "-c", _MODULES, str(out), *paths], cwd=cwd, check=True, timeout=RUN_SECONDS,
        capture_output=True,
    )
    data = json.loads(out.read_text())
    out.unlink()
    return data


@pytest.mark.slow
def test_no_hostile_file_runs_code_or_imports_a_module(tmp_path):
    benign, hostile = tmp_path / "benign", tmp_path / "hostile"
    benign.mkdir()
    (benign / "valid.yaml").write_text("title: t\nsymbols: {x: real}\nsteps: ['(x + 1)**2', x**2 + 2*x + 1]\n")
    (benign / "invalid.yaml").write_text("title: t\nsymbols: {x: real}\nsteps: [x, y]\n")
    for category in ("code_execution", "yaml", "names", "structure"):
        shutil.copytree(HERE / category, hostile / category)
    files_before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    baseline = _modules_after(["benign"], tmp_path)
    attacked = _modules_after(["hostile"], tmp_path)

    assert attacked["exit"] == 2
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == files_before  # no MARKER, nothing new
    new = set(attacked["modules"]) - set(baseline["modules"])
    assert not new & FORBIDDEN_MODULES, sorted(new & FORBIDDEN_MODULES)
    # A file may make SymPy load more of itself, never a package the checker does not already use.
    packages = {name.split(".")[0] for name in baseline["modules"]}
    assert {name.split(".")[0] for name in new} <= packages, sorted(new)
