"""Wall-clock runs of the real CLI on K distinct copies of the library, cold and warm cache."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from derivcheck.errors import FormatError
from derivcheck.load import discover, load_file
from derivcheck.model import LoadError
from derivcheck.parse.document import parse_document

# Names that must never be renamed: the format's keys and words.
_KEEP = {
    "title", "source", "symbols", "functions", "assume", "steps", "cases", "numbers", "when", "expr", "by",
    "wrong", "at", "is", "tol", "real", "complex", "positive", "negative", "nonnegative", "nonpositive",
    "nonzero", "integer", "vector", "index", "null", "true", "false", "yes", "no", "on", "off",
}


@dataclass
class Run:
    copies: int
    files: int
    jobs: int
    cache: str  # "cold" or "warm"
    wall: float
    cpu: float
    exit_code: int
    verdicts: dict
    checks: int
    note: str = ""
    load: float = 0.0  # 1-minute load average when the run ended
    other_cpu: float | None = None  # CPU seconds other processes used during the run


def library_files(paths: list[str]) -> list[tuple[Path, Path, list[str]]]:
    """(root, file, declared symbol names) for every file that verify would read and that parses."""
    out = []
    for raw in paths:
        root = Path(raw)
        for entry in discover([raw]):
            if isinstance(entry, LoadError):
                continue
            path = Path(entry)
            text = path.read_text(encoding="utf-8")
            if path.suffix.lower() in (".md", ".markdown") and "```derivation" not in text:
                continue
            names: set[str] = set()
            for doc in load_file(str(path), 1_000_000).items:
                if isinstance(doc, LoadError):
                    continue
                try:
                    names |= set(parse_document(doc).symbols)
                except FormatError:
                    continue
            out.append((root if root.is_dir() else path.parent, path, sorted(names - _KEEP)))
    return out


def make_copies(files, dest: Path, copies: int) -> int:
    """Write ``copies`` copies of every file under ``dest``, each with its symbols renamed (distinct tasks)."""
    if dest.exists():
        shutil.rmtree(dest)
    count = 0
    for k in range(copies):
        prefix = f"k{k}_"
        for root, path, names in files:
            text = path.read_text(encoding="utf-8")
            if names:
                pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(map(re.escape, names)) + r")(?![A-Za-z0-9_])")
                text = pattern.sub(lambda m, prefix=prefix: prefix + m.group(1), text)
            target = dest / f"copy{k}" / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            count += 1
    return count


def busy_cpu_seconds() -> float | None:
    """CPU seconds the whole machine has been busy since boot (all processes, all CPUs), from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return None
    if fields[0] != "cpu":
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in fields[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


LAST_BUSY: list = [None]  # machine busy CPU seconds during the last run_cli


def run_cli(args: list[str], cwd: Path, env: dict | None = None, timeout: float = 3600) -> tuple[float, float, int, str]:
    """Run ``python -m derivcheck ARGS``; return (wall seconds, CPU seconds of it and its workers, exit code, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy = busy_cpu_seconds()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "derivcheck", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    now = busy_cpu_seconds()
    LAST_BUSY[0] = now - busy if now is not None and busy is not None else None
    return wall, cpu, done.returncode, done.stdout


def verify_run(corpus: Path, cache_dir: Path, jobs: int, cwd: Path, env=None) -> tuple[float, float, int, dict, int]:
    wall, cpu, code, out = run_cli(
        ["verify", str(corpus), "--format", "json", "--jobs", str(jobs), "--cache-dir", str(cache_dir)], cwd, env)
    verdicts: dict = {}
    checks = 0
    try:
        data = json.loads(out)
        for result in data.get("results", []):
            verdicts[result.get("verdict") or "error"] = verdicts.get(result.get("verdict") or "error", 0) + 1
            checks += 1
    except ValueError:
        verdicts = {"unreadable output": 1}
    return wall, cpu, code, verdicts, checks


def scaling(paths: list[str], work: Path, sizes: list[int], jobs_list: list[int], skip: set, log,
            hash_seed_check: bool = True) -> list[Run]:
    """Cold then warm runs for every (copies, jobs) not in ``skip``."""
    files = library_files(paths)
    runs: list[Run] = []
    cwd = work / "cwd"  # no pyproject.toml here: only the options given apply
    cwd.mkdir(parents=True, exist_ok=True)
    for copies in sizes:
        corpus = work / f"corpus_x{copies}"
        count = make_copies(files, corpus, copies)
        for jobs in jobs_list:
            if (copies, jobs) in skip:
                continue
            cache = work / f"cache_x{copies}_j{jobs}"
            shutil.rmtree(cache, ignore_errors=True)
            for state in ("cold", "warm"):
                wall, cpu, code, verdicts, checks = verify_run(corpus, cache, jobs, cwd)
                other = _other(cpu)
                runs.append(Run(copies, count, jobs, state, wall, cpu, code, verdicts, checks, load=_load(), other_cpu=other))
                log(f"  {copies}x ({count} files) --jobs {jobs} {state}: {wall:.1f} s wall, {cpu:.1f} s CPU, "
                    f"exit {code}, {checks} checks {verdicts}, other processes {other if other is not None else float('nan'):.1f} s CPU")
            shutil.rmtree(cache, ignore_errors=True)
    if hash_seed_check and sizes:
        # Diagnostic: the same 1x corpus, cold then warm, with the hash seed fixed for both runs.
        corpus = work / f"corpus_x{sizes[0]}"
        cache = work / "cache_fixed_seed"
        shutil.rmtree(cache, ignore_errors=True)
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        jobs = max(jobs_list)
        for state in ("cold", "warm"):
            wall, cpu, code, verdicts, checks = verify_run(corpus, cache, jobs, cwd, env)
            runs.append(Run(sizes[0], len(files) * sizes[0], jobs, state, wall, cpu, code, verdicts, checks,
                            note="PYTHONHASHSEED=0", load=_load(), other_cpu=_other(cpu)))
            log(f"  {sizes[0]}x --jobs {jobs} {state}, PYTHONHASHSEED=0: {wall:.1f} s wall, {cpu:.1f} s CPU")
        shutil.rmtree(cache, ignore_errors=True)
    return runs


def _other(cpu: float) -> float | None:
    busy = LAST_BUSY[0]
    return None if busy is None else max(0.0, busy - cpu)


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def startup(repeats: int, cwd: Path) -> dict:
    """Median wall time of ``derivcheck --version`` and of ``python -c 'import sympy'``."""
    cwd.mkdir(parents=True, exist_ok=True)
    version, sympy_import = [], []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "derivcheck", "--version"], cwd=cwd, capture_output=True, check=True)
        version.append(time.perf_counter() - started)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sympy"], cwd=cwd, capture_output=True, check=True)
        sympy_import.append(time.perf_counter() - started)
    entry = shutil.which("derivcheck")
    script = []
    if entry:
        for _ in range(repeats):
            started = time.perf_counter()
            subprocess.run([entry, "--version"], cwd=cwd, capture_output=True, check=True)
            script.append(time.perf_counter() - started)
    return {
        "version": statistics.median(version),
        "sympy": statistics.median(sympy_import),
        "script": statistics.median(script) if script else None,
        "version_all": version,
        "sympy_all": sympy_import,
    }
