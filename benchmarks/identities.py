"""The regression corpus of public identities (issue 23): derivcheck now, a release, and plain simplify.

    python benchmarks/identities.py [--timeout 10] [--base ca445d7] [--limit N]   # prints a Markdown section
    python benchmarks/identities.py --worker derivcheck|simplify [--timeout T]     # one checker, JSON lines

``identities.json`` holds identities taken from SymPy's own test suite (each
with the file, line and test it comes from), each with a one-slip variant
(a constant, a function, a sign, an exponent or a factor changed) that is
false. Each entry was labelled numerically when the corpus was built (the
identity agrees at 6 or more random admissible points at 30 digits; the slip
differs at a point, confirmed at 80 digits), independently of derivcheck.

Every checker runs in its own process on the same YAML text, one pair at a
time, under the same CPU time limit per pair; the CPU time of each pair is
measured in that process:

- ``derivcheck``: the verdict ladder (``run_task`` on the planned ``StepTask``),
  the tree on PYTHONPATH (this tree, or the release checked out in a
  temporary git worktree); proved / proved for sizes / numeric accept,
  wrong rejects, unknown is undecided;
- ``simplify``: ``sympy.simplify(a - b) == 0`` on the expressions derivcheck
  parsed; 0 accepts, anything else rejects, the time limit is undecided.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CORPUS = HERE / "identities.json"
CATEGORIES = ("exp/log", "powers and roots", "trigonometric", "hyperbolic", "pure numbers", "rational functions")


def load_corpus(limit: int | None = None) -> list[dict[str, Any]]:
    """The identities, in file order (the first ``limit`` of them if given)."""
    entries = json.loads(CORPUS.read_text(encoding="utf-8"))
    return entries[:limit] if limit else entries


def pairs_of(entries: list[dict[str, Any]]) -> list[tuple[str, bool, dict[str, Any], str]]:
    """``(id, truth, entry, current)``: each identity (true) and its slip (false)."""
    out = []
    for entry in entries:
        out.append((entry["id"], True, entry, entry["current"]))
        out.append((entry["id"] + "/slip", False, entry, entry["slip"]))
    return out


def yaml_text(entry: dict[str, Any], current: str) -> str:
    import yaml

    doc = {"title": entry["id"], "symbols": entry["symbols"] or {}, "steps": [entry["previous"], current]}
    return yaml.safe_dump(doc, sort_keys=False)


# ---------------------------------------------------------------------------------------------
# the worker: one checker over every pair, in this process


class _Stop(BaseException):
    pass


def _stop(signum: int, frame: object) -> None:  # pragma: no cover - signal handler
    raise _Stop()


def _planned_task(text: str, timeout: float) -> Any:
    from derivcheck.api import plan_document
    from derivcheck.config import CheckConfig
    from derivcheck.load.documents import documents_from_text

    config = CheckConfig(timeout=timeout, jobs=1, cache_dir=None)
    (doc,) = documents_from_text(text, "identity.yaml")
    (planned,) = [p for p in plan_document(doc, config) if p.kind == "step"]
    task = planned.check.task if hasattr(planned, "check") else planned.task  # the release: ``task``
    return task, config


def _run_task() -> Any:
    try:
        from derivcheck.check.ladder.engine import run_task
    except ImportError:  # the release: check/ was flat
        from derivcheck.check.engine import run_task  # type: ignore[no-redef]
    return run_task


def check_derivcheck(task: Any, config: Any) -> tuple[str, str]:
    outcome = _run_task()(task, config)
    verdict = getattr(outcome.verdict, "value", str(outcome.verdict))
    decision = {"proved": "accept", "proved for sizes": "accept", "numeric": "accept", "wrong": "reject"}
    return decision.get(verdict, "undecided"), f"{verdict} ({outcome.method})"


def check_simplify(task: Any, config: Any) -> tuple[str, str]:
    import sympy

    previous = signal.signal(signal.SIGPROF, _stop)
    signal.setitimer(signal.ITIMER_PROF, config.timeout)  # CPU time, like derivcheck's budget
    try:
        result = sympy.simplify(task.previous - task.current)
    except _Stop:
        return "undecided", "time limit"
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
    return ("accept", "simplify -> 0") if result == 0 else ("reject", "simplify -> nonzero")


CHECKS = {"derivcheck": check_derivcheck, "simplify": check_simplify}


def worker(name: str, timeout: float, limit: int | None, shard: tuple[int, int] = (0, 1)) -> None:
    """Print one JSON line per pair: id, decision, detail, CPU seconds of the check (parsing not counted).

    A first, untimed check of a trivial step loads what every check uses.
    """
    check = CHECKS[name]
    signal.signal(signal.SIGALRM, _stop)
    check(*_planned_task(yaml_text({"id": "warm-up", "symbols": {"x": "real"}, "previous": "x + x"}, "2*x"), timeout))
    mine, shards = shard
    for number, (pid, _, entry, current) in enumerate(pairs_of(load_corpus(limit))):
        if number % shards != mine:
            continue
        started = time.process_time()
        signal.setitimer(signal.ITIMER_REAL, 60 * timeout + 60)  # a wall-clock backstop only (loaded machines)
        try:
            task, config = _planned_task(yaml_text(entry, current), timeout)
            started = time.process_time()
            decision, detail = check(task, config)
        except _Stop:
            decision, detail = "undecided", "wall-clock backstop"
        except Exception as exc:  # noqa: BLE001 - a checker's error is its undecided answer
            decision, detail = "undecided", f"{type(exc).__name__}: {str(exc)[:120]}"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        cpu = time.process_time() - started
        print(json.dumps({"id": pid, "decision": decision, "detail": detail, "cpu": round(cpu, 4)}), flush=True)


# ---------------------------------------------------------------------------------------------
# the comparison


def run_checkers(
    timeout: float, base: str, limit: int | None, log: Any = print, shards: int = 2
) -> dict[str, dict[str, dict]]:
    """Run derivcheck (this tree), derivcheck at ``base`` and simplify, side by side; results by checker and id.

    Each checker runs in ``shards`` processes, each taking every ``shards``-th pair.
    """
    with tempfile.TemporaryDirectory(prefix="derivcheck-identities-") as scratch:
        base_tree = Path(scratch) / base
        subprocess.run(["git", "worktree", "add", "--detach", str(base_tree), base], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            runs = {
                "derivcheck": ("derivcheck", ROOT),
                f"derivcheck {base}": ("derivcheck", base_tree),
                "simplify": ("simplify", ROOT),
            }
            procs = []
            for label, (checker, tree) in runs.items():
                env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
                for mine in range(shards):
                    command = [sys.executable, str(HERE / "identities.py"), "--worker", checker,
                               "--timeout", str(timeout), "--shard", f"{mine}/{shards}"]
                    if limit:
                        command += ["--limit", str(limit)]
                    procs.append((label, subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.PIPE, text=True)))
            results: dict[str, dict[str, dict]] = {label: {} for label in runs}
            for label, proc in procs:
                out, _ = proc.communicate()
                results[label].update({row["id"]: row for row in map(json.loads, out.splitlines()) if row})
            for label in runs:
                log(f"  {label}: {len(results[label])} pairs")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, capture_output=True)
    return results


def outcome_of(truth: bool, decision: str) -> str:
    if decision == "undecided":
        return "undecided"
    if decision == "accept":
        return "right" if truth else "unsound"
    return "false alarm" if truth else "right"


def tally(pairs: list, rows: dict[str, dict], which: set[str] | None = None) -> dict[str, float]:
    counts: Counter = Counter()
    cpu = 0.0
    for pid, truth, entry, _ in pairs:
        if which is not None and entry["category"] not in which:
            continue
        row = rows.get(pid, {"decision": "undecided", "cpu": 0.0})
        counts[outcome_of(truth, row["decision"])] += 1
        cpu += row["cpu"]
    return {**{k: counts[k] for k in ("right", "unsound", "false alarm", "undecided")}, "cpu": cpu}


def render(results: dict[str, dict[str, dict]], timeout: float, base: str, limit: int | None) -> str:
    entries = load_corpus(limit)
    pairs = pairs_of(entries)
    labels = list(results)
    lines = [
        "## Public identities: derivcheck, the release " + base + " and simplify (issue 23)",
        "",
        f"`python benchmarks/identities.py --timeout {timeout:g}` (run by `benchmarks/compare.py`): "
        f"{len(entries)} identities from SymPy's own tests (`benchmarks/identities.json`, each with its file, "
        f"line and test), each with a one-slip variant, {len(pairs)} pairs. CPU seconds per pair measured in each "
        f"checker's process, {timeout:g} s CPU limit per pair for every checker.",
        "",
        "By category: " + ", ".join(f"{n} {c}" for c, n in Counter(e["category"] for e in entries).most_common())
        + "; symbols: " + ", ".join(f"{n} {w}" for w, n in Counter(
            w for e in entries for w in (e["symbols"] or {"(none)": "none"}).values()).most_common()) + ".",
        "",
        "| checker | decided right | unsound (slip accepted) | false alarms (identity rejected) | undecided | "
        "total CPU s | max CPU s per pair |",
        "|---|---|---|---|---|---|---|",
    ]
    for label in labels:
        t = tally(pairs, results[label])
        peak = max((row["cpu"] for row in results[label].values()), default=0.0)
        lines.append(f"| {label} | {t['right']} | {t['unsound']} | {t['false alarm']} | {t['undecided']} | "
                     f"{t['cpu']:.1f} | {peak:.2f} |")
    lines += ["", "By category (decided right / unsound / false alarms / undecided):", "",
              "| category | pairs | " + " | ".join(labels) + " |", "|---|---|" + "---|" * len(labels)]
    for category in CATEGORIES:
        count = sum(1 for p in pairs if p[2]["category"] == category)
        if not count:
            continue
        cells = []
        for label in labels:
            t = tally(pairs, results[label], {category})
            cells.append(f"{t['right']} / {t['unsound']} / {t['false alarm']} / {t['undecided']}")
        lines.append(f"| {category} | {count} | " + " | ".join(cells) + " |")
    now = results[labels[0]]
    others = labels[1:]
    missed = [
        (pid, entry) for pid, truth, entry, _ in pairs
        if truth and now.get(pid, {}).get("decision") != "accept"
        and any(results[o].get(pid, {}).get("decision") == "accept" for o in others)
    ]
    worst = max((row["cpu"] for row in now.values()), default=0.0)
    simplify_cpu = tally(pairs, results["simplify"])["cpu"] if "simplify" in results else float("nan")
    now_cpu = tally(pairs, now)["cpu"]
    unsound = tally(pairs, now)["unsound"]
    lines += [
        "",
        "Goals: derivcheck decides every true identity that the release or simplify decides: "
        f"**{'yes' if not missed else 'no, ' + str(len(missed)) + ' missed'}**; unsound verdicts: **{unsound}**; "
        f"total CPU {now_cpu:.1f} s against simplify's {simplify_cpu:.1f} s "
        f"(ratio **{now_cpu / simplify_cpu:.2f}**); largest CPU of one check {worst:.2f} s = "
        f"**{worst / timeout:.2f} x the time limit** (budget: 1.2 x + 1 s).",
    ]
    if missed:
        lines += ["", "True identities another checker accepts and derivcheck does not:", ""]
        for pid, entry in missed:
            lines.append(f"- `{pid}` ({entry['source']}): `{entry['previous']}` = `{entry['current']}` — "
                         f"{now.get(pid, {}).get('detail', 'no answer')}")
    wrong_now = [pid for pid, truth, _, _ in pairs if now.get(pid, {}).get("decision") != ("accept" if truth else "reject")]
    if wrong_now:
        lines += ["", f"Pairs derivcheck does not decide right ({len(wrong_now)}): "
                  + ", ".join(f"`{pid}` ({now.get(pid, {}).get('detail', '?')})" for pid in wrong_now[:40])
                  + (" …" if len(wrong_now) > 40 else "")]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=sorted(CHECKS), help="run one checker in this process (JSON lines)")
    parser.add_argument("--timeout", type=float, default=10.0, help="CPU seconds per pair for every checker [10]")
    parser.add_argument("--base", default="ca445d7", help="the release compared against [ca445d7]")
    parser.add_argument("--limit", type=int, default=None, help="only the first N identities")
    parser.add_argument("--shard", default="0/1", help="a worker's share of the pairs, K/N [0/1]")
    args = parser.parse_args(argv)
    if args.worker:
        mine, shards = (int(part) for part in args.shard.split("/"))
        worker(args.worker, args.timeout, args.limit, (mine, shards))
        return 0
    results = run_checkers(args.timeout, args.base, args.limit)
    print(render(results, args.timeout, args.base, args.limit))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
