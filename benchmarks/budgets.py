"""Every check within its budget (issue 23): CPU time of hostile steps, in process and in workers.

    python benchmarks/budgets.py [--timeout 2] [--rounds 1]     # prints a Markdown section

Each hostile step is one file, checked by the real CLI
(``python -m derivcheck verify FILE --timeout T --jobs J --cache-dir C``, the
cache on so that the key is computed too) with ``--jobs 1`` (in process) and
``--jobs 2`` (in a worker). The CPU time of the run and its workers, less that
of the same command on a trivial step (start-up, loading), is the CPU of the
step's checks: the step itself, and for a wrong step its diagnosis, each a
check with its own budget. The budget of one check is 1.2 x T + 1 s; the
table shows the measured CPU per check as a multiple of T.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

HOSTILE: list[tuple[str, dict, list[str]]] = [
    ("a far point of 2**(2 + x)", {"x": "real"}, ["2**(2 + x)/4", "2**x"]),
    ("cosh at far complex points", {"x, y": "complex"}, ["cosh(x + y) - cosh(x - y)", "2*sinh(x)*sinh(y)"]),
    ("a constant no proof decides", {}, ["tan(7*pi/18) + tan(5*pi/18) - sqrt(3)*tan(5*pi/18)*tan(7*pi/18)",
                                          "-sqrt(3)"]),
    ("a huge exponent", {"x": "positive"}, ["x**(10**6)", "x**(10**6 + 1)/x"]),
    ("a huge exponent, wrong", {"x": "positive"}, ["x**(10**6)", "x**(10**6 + 1)"]),
    ("a product of a million factors", {"x": "positive"},
     ["Sum(Product(x + k, (k, 1, 1000000)), (j, 1, 3))", "3*Product(x + k, (k, 1, 1000000))"]),
    ("nested exponentials", {"x": "real"}, ["exp(exp(exp(exp(x))))", "exp(exp(exp(exp(x))))*exp(sin(x)**2 + cos(x)**2 - 1)"]),
    ("a slow expansion", {"x, y, z": "real"},
     ["(x + 2*y + 3*z + sin(x) + 1)**24", "(1 + x + 2*y + 3*z + sin(x))**12*(x + 2*y + 3*z + sin(x) + 1)**12"]),
    ("a slow expansion, off by one", {"x, y, z": "real"},
     ["(x + 2*y + 3*z + sin(x) + 1)**24", "(1 + x + 2*y + 3*z + sin(x))**12*(x + 2*y + 3*z + sin(x) + 1)**12 + 1"]),
    ("deep roots", {"x": "positive"}, ["sqrt(sqrt(sqrt(sqrt(sqrt(sqrt(sqrt(sqrt(x))))))))", "x**(1/256)"]),
    ("trig of a far argument", {"x": "real"}, ["sin(10**6*x)**2 + cos(10**6*x)**2", "1"]),
]
TRIVIAL = ("a trivial step", {"x": "real"}, ["x + x", "2*x"])


def write(folder: Path, name: str, symbols: dict, steps: list[str]) -> Path:
    path = folder / (name.replace(" ", "_").replace(",", "").replace("*", "").replace("(", "").replace(")", "") + ".yaml")
    path.write_text(yaml.safe_dump({"title": name, "symbols": symbols or {}, "steps": steps}, sort_keys=False))
    return path


def run(path: Path, jobs: int, timeout: float, cache: Path) -> tuple[float, dict]:
    """CPU seconds of the CLI run and its workers, and the JSON summary."""
    command = [sys.executable, "-m", "derivcheck", "verify", str(path), "--format", "json", "--jobs", str(jobs),
               "--timeout", str(timeout), "--cache-dir", str(cache)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True,
                          text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        report = {"summary": {}, "results": [], "stderr": done.stderr[-300:]}
    return cpu, report


def measure(timeout: float, rounds: int) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="derivcheck-budgets-") as scratch:
        folder = Path(scratch)
        trivial = write(folder, *TRIVIAL)
        for jobs in (1, 2):
            base = statistics.median(run(trivial, jobs, timeout, folder / f"cache-trivial-{k}")[0]
                                     for k in range(3))
            for number, (name, symbols, steps) in enumerate(HOSTILE):
                path = write(folder, name, symbols, steps)
                cpus, report = [], {}
                for k in range(rounds):
                    cpu, report = run(path, jobs, timeout, folder / f"cache-{jobs}-{number}-{k}")
                    cpus.append(cpu)
                cpu = statistics.median(cpus)
                results = report.get("results", [])
                verdict = results[0]["verdict"] if results else "error"
                checks = 2 if verdict == "wrong" else 1  # a wrong step is diagnosed: a second check
                per_check = max(0.0, cpu - base) / checks
                rows.append(dict(name=name, jobs=jobs, verdict=verdict, cpu=cpu, base=base, checks=checks,
                                 ratio=per_check / timeout, within=per_check <= 1.2 * timeout + 1))
                print(f"jobs {jobs} {name}: {verdict}, {cpu:.2f} s CPU (start-up {base:.2f} s), "
                      f"{per_check / timeout:.2f} x T per check", flush=True)
    return rows


def render(rows: list[dict], timeout: float) -> str:
    lines = [
        "## Every check within its budget (issue 23)",
        "",
        f"`python benchmarks/budgets.py --timeout {timeout:g}`: each hostile step alone in a file, checked by the CLI "
        "with the cache on; CPU of the run and its workers less the CPU of the same command on a trivial step "
        "(start-up), per check (a wrong step is also diagnosed: two checks), as a multiple of the time limit T. "
        "Budget: 1.2 x T + 1 s per check.",
        "",
        "| step | verdict | --jobs 1: CPU s (start-up) | x T per check | --jobs 2: CPU s (start-up) | x T per check |",
        "|---|---|---|---|---|---|",
    ]
    names = list(dict.fromkeys(r["name"] for r in rows))
    for name in names:
        one = next(r for r in rows if r["name"] == name and r["jobs"] == 1)
        two = next(r for r in rows if r["name"] == name and r["jobs"] == 2)
        lines.append(f"| {name} | {one['verdict']} | {one['cpu']:.2f} ({one['base']:.2f}) | {one['ratio']:.2f} | "
                     f"{two['cpu']:.2f} ({two['base']:.2f}) | {two['ratio']:.2f} |")
    worst = max(r["ratio"] for r in rows)
    inside = all(r["within"] for r in rows)
    lines += ["", f"Largest CPU per check: **{worst:.2f} x T**; every check within 1.2 x T + 1 s: "
              f"**{'yes' if inside else 'no'}**."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    print(render(measure(args.timeout, args.rounds), args.timeout))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
