"""The library's cold run against a base commit (issue 13's speed target), measured in one run.

    python benchmarks/library_speed.py [--base ca445d7] [--rounds 3] [--jobs 2]

Checks out the base commit into a temporary git worktree, then runs
``python -m derivcheck verify --no-cache --jobs J derivations`` in the base tree
and in this tree, alternating (base, current, base, current, …), each with the
same interpreter and with PYTHONPATH set to its own tree. Reports the median
wall time of each and their ratio (current / base), and, as a control, this
tree's code on the base tree's library files (the same work as the base run).
Prints a Markdown section to paste into benchmarks/RESULTS.md.
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_verify(code_tree: Path, library: Path, jobs: int) -> tuple[float, float, int, dict]:
    """Wall seconds, CPU seconds (the run and its workers), exit code and verdict counts of one cold run."""
    env = dict(os.environ, PYTHONPATH=str(code_tree))
    command = [sys.executable, "-m", "derivcheck", "verify", "--no-cache", "--jobs", str(jobs),
               "--format", "json", str(library)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, cwd=code_tree, env=env, capture_output=True, text=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    try:
        summary = json.loads(done.stdout)["summary"]
    except (ValueError, KeyError):
        summary = {}
    return wall, cpu, done.returncode, summary


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="ca445d7")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--target", type=float, default=0.60, help="largest ratio current / base allowed [0.60]")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--snapshot", action="store_true",
                        help="measure the committed HEAD (in a second temporary worktree), not the files on disk")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="derivcheck-base-") as scratch:
        base = Path(scratch) / "base"
        current = Path(scratch) / "current" if args.snapshot else ROOT
        trees = [(base, args.base)] + ([(current, "HEAD")] if args.snapshot else [])
        for tree, ref in trees:
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), ref], cwd=ROOT, check=True,
                           capture_output=True)
        try:
            runs: dict[str, list[float]] = {"base": [], "current": [], "current on base library": []}
            cpus: dict[str, list[float]] = {name: [] for name in runs}
            summaries: dict[str, dict] = {}
            loads = []
            plan = [("base", base, base / "derivations"), ("current", current, current / "derivations"),
                    ("current on base library", current, base / "derivations")]
            for round_number in range(1, args.rounds + 1):
                for name, code, library in plan:
                    wall, cpu, code_rc, summary = run_verify(code, library, args.jobs)
                    runs[name].append(wall)
                    cpus[name].append(cpu)
                    summaries[name] = dict(summary, exit_code=code_rc)
                    loads.append(_load())
                    print(f"round {round_number} {name}: {wall:.1f} s wall, {cpu:.1f} s CPU "
                          f"(exit {code_rc}, load {loads[-1]:.1f})", flush=True)
        finally:
            for tree, _ in trees:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
    medians = {name: statistics.median(times) for name, times in runs.items()}
    cpu_medians = {name: statistics.median(times) for name, times in cpus.items()}
    ratio = medians["current"] / medians["base"]
    control = medians["current on base library"] / medians["base"]
    cpu_ratio = cpu_medians["current"] / cpu_medians["base"]
    cpu_control = cpu_medians["current on base library"] / cpu_medians["base"]
    print()
    print(f"## Library cold run against {args.base}\n")
    print(f"`derivcheck verify --no-cache --jobs {args.jobs} derivations`, {args.rounds} alternating rounds, "
          f"median wall time; 1-minute load average during the runs {min(loads):.1f} to {max(loads):.1f}.\n")
    print("| tree | library | checks | proved | proved for sizes | median wall s | wall runs s | median CPU s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, _, _ in plan:
        s = summaries[name]
        library = "base" if name != "current" else "current"
        checks = s.get("steps", 0) + s.get("numbers", 0)
        print(f"| {name.split(' on ')[0]} | {library} | {checks} | {s.get('proved', '?')} | "
              f"{s.get('proved for sizes', '?')} | {medians[name]:.1f} | "
              + ", ".join(f"{t:.1f}" for t in runs[name]) + f" | {cpu_medians[name]:.1f} |")
    print(f"\nRatio current / base, wall: **{ratio:.2f}** (target <= {args.target:.2f}); same library files: {control:.2f}. "
          f"CPU (the run and its workers): {cpu_ratio:.2f}; same library files: {cpu_control:.2f}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
