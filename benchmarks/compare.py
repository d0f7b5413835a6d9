"""Benchmark: derivcheck against baselines on the library and a generated corpus, plus its speed.

    python benchmarks/compare.py            # full run (see benchmarks/README.md), writes benchmarks/RESULTS.md
    python benchmarks/compare.py --quick    # a small run, writes benchmarks/RESULTS-quick.md

Part 1 (soundness and coverage): every adjacent step pair of the library, single-edit
mutations of the library's steps and equivalent rewrites, each labelled right or wrong by
dense numeric evaluation; derivcheck and the baselines check the same pairs in the same run.
Part 2 (speed): the real CLI on 1x..8x distinct copies of the library, cold and warm cache,
--jobs 1 and --jobs 2; and `derivcheck --version` against `python -c "import sympy"`.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import budgets  # noqa: E402
import checkers  # noqa: E402
import corpus as corpus_mod  # noqa: E402
import identities  # noqa: E402
import scaling  # noqa: E402
import sympy  # noqa: E402

import derivcheck  # noqa: E402

CHECKER_ORDER = ["derivcheck", "simplify", "equals", "symbolic-math-verify"]
FAMILIES = [
    ("library", True, "library steps (right)"),
    ("library-wrong", False, "library steps marked `wrong:`"),
    ("mutation", False, "mutations (wrong)"),
    ("mutation", True, "mutations that are equivalent (right)"),
    ("rewrite", True, "equivalent rewrites (right)"),
]


def log(message: str = "") -> None:
    print(message, flush=True)


def loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def classify(truth: bool, decision: str) -> str:
    if decision == "undecided":
        return "undecided"
    if decision == "accept":
        return "right" if truth else "unsound"
    return "right" if not truth else "false alarm"


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small run: fewer mutations, part of the pairs, 1x and 2x only")
    parser.add_argument("--library", nargs="+", default=[str(ROOT / "derivations")], help="derivation files or folders")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per step for every checker [10]")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes for part 1 [2]")
    parser.add_argument("--mutations", type=int, default=None, help="mutations per library step [3; quick 1]")
    parser.add_argument("--rewrites", type=int, default=None, help="equivalent rewrites per library step [1]")
    parser.add_argument("--sizes", default=None, help="corpus multiples for part 2 [1,2,4,8; quick 1,2]")
    parser.add_argument("--jobs1-max", type=int, default=None, help="largest multiple run with --jobs 1 [4; quick 2]")
    parser.add_argument("--checkers", default=",".join(CHECKER_ORDER), help="comma-separated checkers for part 1")
    parser.add_argument("--skip-compare", action="store_true", help="skip part 1")
    parser.add_argument("--skip-scaling", action="store_true", help="skip part 2")
    parser.add_argument("--skip-identities", action="store_true",
                        help="skip part 3 (public identities: derivcheck, the release, simplify)")
    parser.add_argument("--release", default="ca445d7", help="the release part 3 compares against [ca445d7]")
    parser.add_argument("--skip-budgets", action="store_true", help="skip part 4 (CPU of hostile checks)")
    parser.add_argument("--budget-timeout", type=float, default=2.0, help="--timeout of part 4 [2]")
    parser.add_argument("--skip-library-speed", action="store_true",
                        help="skip part 5 (the library's cold run against --library-base)")
    parser.add_argument("--library-base", default="00752f5", help="the commit part 5 compares against [00752f5]")
    parser.add_argument("--library-rounds", type=int, default=3, help="alternating rounds of part 5 [3; quick 1]")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="Markdown output [benchmarks/RESULTS.md; quick RESULTS-quick.md]")
    args = parser.parse_args(argv)

    quick = args.quick
    mutations = args.mutations if args.mutations is not None else (1 if quick else 3)
    rewrites = args.rewrites if args.rewrites is not None else 1
    sizes = [int(s) for s in (args.sizes or ("1,2" if quick else "1,2,4,8")).split(",")]
    jobs1_max = args.jobs1_max if args.jobs1_max is not None else (2 if quick else 4)
    out_path = Path(args.out) if args.out else HERE / ("RESULTS-quick.md" if quick else "RESULTS.md")
    started = time.perf_counter()
    info = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "sympy": sympy.__version__,
        "derivcheck": derivcheck.__version__,
        "load_start": loadavg(),
        "quick": quick,
        "timeout": args.timeout,
        "jobs": args.jobs,
        "command": "python benchmarks/compare.py " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    log(f"derivcheck {info['derivcheck']}, sympy {info['sympy']}, python {info['python']}, {info['nproc']} CPUs, "
        f"load average {info['load_start']}")

    compare = None
    if not args.skip_compare:
        compare = part_one(args, mutations, rewrites, quick)
    runs, start = [], None
    with tempfile.TemporaryDirectory(prefix="derivcheck-bench-") as tmp:
        if not args.skip_scaling:
            log("\n== part 2: speed of the CLI ==")
            skip = {(k, 1) for k in sizes if k > jobs1_max}
            runs = scaling.scaling(args.library, Path(tmp), sizes, [2, 1], skip, log)
        start = scaling.startup(3 if quick else 5, Path(tmp) / "cwd")
        log(f"  derivcheck --version: median {start['version']:.3f} s; python -c 'import sympy': median {start['sympy']:.3f} s")
    sections = later_parts(args, quick)
    info["load_end"] = loadavg()
    info["elapsed"] = time.perf_counter() - started
    text = render(info, compare, runs, start, sizes, jobs1_max) + "".join("\n" + part for part in sections)
    out_path.write_text(text, encoding="utf-8")
    log("")
    log(summary_text(compare, runs, start))
    log(f"\nwrote {out_path.relative_to(ROOT) if out_path.is_relative_to(ROOT) else out_path} "
        f"({info['elapsed'] / 60:.1f} min)")
    return 0


# --------------------------------------------------------------------------------------------
# parts 3 to 5 (issue 23)


def later_parts(args, quick: bool) -> list[str]:
    """Markdown sections: public identities side by side, CPU of hostile checks, the library's cold run."""
    sections = []
    if not args.skip_identities:
        log(f"\n== part 3: public identities (derivcheck, {args.release}, simplify) ==")
        limit = 40 if quick else None
        results = identities.run_checkers(args.timeout, args.release, limit, log)
        sections.append(identities.render(results, args.timeout, args.release, limit))
    if not args.skip_budgets:
        log("\n== part 4: CPU of hostile checks, in process and in workers ==")
        sections.append(budgets.render(budgets.measure(args.budget_timeout, 1), args.budget_timeout))
    if not args.skip_library_speed:
        log(f"\n== part 5: the library's cold run against {args.library_base} ==")
        command = [sys.executable, str(HERE / "library_speed.py"), "--base", args.library_base,
                   "--rounds", "1" if quick else str(args.library_rounds), "--jobs", str(args.jobs), "--target", "1.0"]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        log(done.stdout.split("\n## ")[0])
        found = done.stdout.split("\n## ", 1)
        sections.append("## " + found[1] if len(found) == 2 else f"## Library cold run: failed\n\n{done.stderr[-500:]}\n")
    return sections


# --------------------------------------------------------------------------------------------
# part 1


def part_one(args, mutations: int, rewrites: int, quick: bool) -> dict:
    log("\n== part 1: corpus ==")
    t0 = time.perf_counter()
    corpus = corpus_mod.build(args.library, mutations, rewrites, args.seed, log, jobs=args.jobs)
    if quick:
        keep = [p for p in corpus.pairs if p.family.startswith("library") or p.pid % 3 == 0]
        for index, pair in enumerate(keep):
            pair.pid = index
        corpus.pairs = keep
    build_time = time.perf_counter() - t0
    pairs = corpus.pairs
    log(f"  {len(pairs)} pairs from {len(corpus.files)} files in {build_time:.0f} s: "
        + ", ".join(f"{n} {label}" for label, n in family_counts(pairs).items()))
    checkers.PAIRS[:] = pairs
    smv_error = checkers.load_smv(str(Path.home() / ".cache" / "derivcheck-bench" / "site"))
    names = [n for n in args.checkers.split(",") if n]
    if smv_error and "symbolic-math-verify" in names:
        names.remove("symbolic-math-verify")
        log(f"  symbolic-math-verify: not run: {smv_error}")
    results: dict[str, dict[int, tuple]] = {}
    walls: dict[str, float] = {}
    others: dict[str, float | None] = {}
    log("\n== part 1: checkers on the same pairs ==")
    for name in names:
        t = time.perf_counter()
        busy = scaling.busy_cpu_seconds()
        results[name] = checkers.run_checker(name, [p.pid for p in pairs], args.timeout, args.jobs)
        walls[name] = time.perf_counter() - t
        stats = checker_stats(pairs, results[name])
        now = scaling.busy_cpu_seconds()
        others[name] = max(0.0, now - busy - stats["cpu"]) if now is not None and busy is not None else None
        log(f"  {name:22s} right {stats['right']:4d}  unsound {stats['unsound']:3d}  false alarms {stats['false alarm']:3d}  "
            f"undecided {stats['undecided']:3d}  total {stats['total']:7.1f} s  ({walls[name]:.0f} s wall, "
            f"other processes {_num(others[name])} s CPU)")
    smv_version = None
    if not smv_error:
        try:
            from importlib.metadata import version

            smv_version = version("symbolic-math-verify")
        except Exception:  # noqa: BLE001
            import symbolic_math_verify

            smv_version = getattr(symbolic_math_verify, "__version__", "?")
    return dict(corpus=corpus, results=results, walls=walls, others=others, build_time=build_time, smv_error=smv_error,
                smv_version=smv_version, names=names)


def family_counts(pairs) -> dict[str, int]:
    counts: dict[str, int] = {}
    for family, truth, label in FAMILIES:
        n = sum(1 for p in pairs if p.family == family and p.truth == truth)
        if n:
            counts[label] = n
    return counts


def checker_stats(pairs, results: dict[int, tuple], subset=None) -> dict:
    stats = {"right": 0, "unsound": 0, "false alarm": 0, "undecided": 0, "n": 0}
    walls, cpus = [], []
    for pair in pairs:
        if subset is not None and not subset(pair):
            continue
        decision, detail, wall, cpu = results[pair.pid]
        stats[classify(pair.truth, decision)] += 1
        stats["n"] += 1
        walls.append(wall)
        cpus.append(cpu if cpu is not None else wall)
    stats["median"] = statistics.median(walls) if walls else float("nan")
    stats["p95"] = percentile(walls, 0.95)
    stats["total"] = sum(walls)
    stats["cpu"] = sum(cpus)
    return stats


# --------------------------------------------------------------------------------------------
# targets and rendering


def _find(runs, copies, jobs, cache, note=""):
    for run in runs:
        if run.copies == copies and run.jobs == jobs and run.cache == cache and run.note == note:
            return run
    return None


def targets(compare, runs, start) -> list[tuple[str, str, str, bool | None]]:
    """(target, measured, ratio text, met) for each target of issue 7."""
    out = []
    plain = [r for r in runs if not r.note]
    # warm <= 0.1 x cold
    ratios = []
    for run in plain:
        if run.cache == "warm":
            cold = _find(plain, run.copies, run.jobs, "cold")
            if cold:
                ratios.append((run.wall / cold.wall, run, cold))
    if ratios:
        worst = max(ratios, key=lambda t: t[0])
        best = min(ratios, key=lambda t: t[0])
        out.append(("warm re-run <= 0.1x cold",
                    f"worst {worst[1].copies}x --jobs {worst[1].jobs}: {worst[1].wall:.1f} s warm / {worst[2].wall:.1f} s cold; "
                    f"best {best[1].copies}x --jobs {best[1].jobs}: {best[1].wall:.1f} / {best[2].wall:.1f} s",
                    f"{worst[0]:.2f}x (best {best[0]:.2f}x)", worst[0] <= 0.1))
    # jobs 2 >= 1.8 x faster than jobs 1 on 60+ files
    both = [(r.copies, r) for r in plain if r.jobs == 1 and r.cache == "cold" and r.files >= 60
            and _find(plain, r.copies, 2, "cold")]
    if both:
        copies, one = max(both, key=lambda t: t[0])
        two = _find(plain, copies, 2, "cold")
        speedup = one.wall / two.wall
        out.append(("`--jobs 2` >= 1.8x faster than `--jobs 1` on 60+ files",
                    f"{copies}x ({one.files} files), cold: {one.wall:.1f} s / {two.wall:.1f} s",
                    f"{speedup:.2f}x", speedup >= 1.8))
    else:
        out.append(("`--jobs 2` >= 1.8x faster than `--jobs 1` on 60+ files", "no run with 60+ files at both --jobs", "-", None))
    # 4x the files <= 4.2x the time
    for jobs in (2, 1):
        one, four = _find(plain, 1, jobs, "cold"), _find(plain, 4, jobs, "cold")
        if one and four:
            ratio = four.wall / one.wall
            out.append((f"4x the files <= 4.2x the time (--jobs {jobs}, cold)",
                        f"{four.wall:.1f} s ({four.files} files) / {one.wall:.1f} s ({one.files} files)",
                        f"{ratio:.2f}x", ratio <= 4.2))
    if compare:
        res = compare["results"]
        pairs = compare["corpus"].pairs
        stats = {name: checker_stats(pairs, res[name]) for name in compare["names"]}
        dc = stats.get("derivcheck")
        if dc:
            others = {n: s for n, s in stats.items() if n != "derivcheck"}
            best_other = max((s["right"] for s in others.values()), default=0)
            out.append(("derivcheck decides more steps right than every baseline",
                        f"derivcheck {dc['right']}; " + ", ".join(f"{n} {s['right']}" for n, s in others.items()),
                        f"{dc['right']} vs {best_other}", dc["right"] > best_other))
            out.append(("derivcheck: zero unsound verdicts", f"{dc['unsound']} wrong steps accepted", str(dc["unsound"]),
                        dc["unsound"] == 0))
            if "simplify" in stats:
                ratio = dc["total"] / stats["simplify"]["total"]
                out.append(("derivcheck total time <= simplify baseline",
                            f"{dc['total']:.1f} s vs {stats['simplify']['total']:.1f} s (sum of per-step wall times)",
                            f"{ratio:.2f}x", ratio <= 1.0))
    if start:
        ratio = start["version"] / start["sympy"]
        out.append(("`derivcheck --version` no slower than `python -c \"import sympy\"`",
                    f"{start['version']:.3f} s vs {start['sympy']:.3f} s (medians)", f"{ratio:.2f}x", ratio <= 1.0))
    return out


def summary_text(compare, runs, start) -> str:
    lines = []
    if compare:
        pairs = compare["corpus"].pairs
        lines.append(f"{'checker':22s} {'right':>6s} {'unsound':>8s} {'f.alarm':>8s} {'undec.':>7s} {'median':>8s} {'p95':>8s} {'total':>8s}")
        for name in compare["names"]:
            s = checker_stats(pairs, compare["results"][name])
            lines.append(f"{name:22s} {s['right']:6d} {s['unsound']:8d} {s['false alarm']:8d} {s['undecided']:7d} "
                         f"{s['median']:7.3f}s {s['p95']:7.3f}s {s['total']:7.1f}s")
        lines.append(f"({len(pairs)} pairs)")
    if runs:
        lines.append("")
        lines.append(f"{'copies':>6s} {'files':>5s} {'jobs':>4s} {'cold s':>8s} {'warm s':>8s}")
        for run in runs:
            if run.cache != "cold" or run.note:
                continue
            warm = _find(runs, run.copies, run.jobs, "warm")
            lines.append(f"{run.copies:5d}x {run.files:5d} {run.jobs:4d} {run.wall:8.1f} {warm.wall if warm else float('nan'):8.1f}")
    lines.append("")
    for target, measured, ratio, met in targets(compare, runs, start):
        mark = "met" if met else "NOT MET" if met is False else "n/a"
        lines.append(f"[{mark:7s}] {target}: {ratio}  ({measured})")
    return "\n".join(lines)


def _md_table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines)


def _short(text: str, width: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _rel(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return path


def render(info, compare, runs, start, sizes, jobs1_max) -> str:
    out = [f"# derivcheck benchmark results{' (quick run)' if info['quick'] else ''}", ""]
    out.append(f"Run on {info['date']} with `{info['command'].strip()}`, {info['elapsed'] / 60:.1f} min in all.")
    out.append("")
    out.append(_md_table(["machine", ""], [
        ["CPUs (nproc)", info["nproc"]],
        ["processor", info["cpu"]],
        ["Python", info["python"]],
        ["SymPy", info["sympy"]],
        ["derivcheck", info["derivcheck"]],
        ["load average at start / end", f"{info['load_start']} / {info['load_end']}"],
    ]))
    out.append("")
    out.append("The machine may be shared with other work: \"other processes' CPU\" is the CPU time the rest of "
               "the machine used during each measurement (from /proc/stat); with 2 cores, much of it means the "
               "wall-clock times, and `--jobs 2` most of all, were slowed by it. Times are from this one run.")
    out.append("")
    target_rows = []
    for target, measured, ratio, met in targets(compare, runs, start):
        target_rows.append([target, ratio, "**met**" if met else "**not met**" if met is False else "n/a", measured])
    out.append("## Targets (issue 7)")
    out.append("")
    out.append(_md_table(["target", "ratio", "", "measured"], target_rows))
    out.append("")
    if compare:
        out.extend(render_compare(info, compare))
    if runs:
        out.extend(render_runs(runs, sizes, jobs1_max))
    if start:
        out.append("## Start-up")
        out.append("")
        rows = [["`python -m derivcheck --version`", f"{start['version']:.3f}", ", ".join(f"{x:.3f}" for x in start["version_all"])],
                ["`python -c \"import sympy\"`", f"{start['sympy']:.3f}", ", ".join(f"{x:.3f}" for x in start["sympy_all"])]]
        if start.get("script"):
            rows.append(["`derivcheck --version` (console script)", f"{start['script']:.3f}", ""])
        out.append(_md_table(["command", "median s", "runs"], rows))
        out.append("")
    return "\n".join(out) + "\n"


def render_compare(info, compare) -> list[str]:
    corpus = compare["corpus"]
    pairs = corpus.pairs
    res = compare["results"]
    names = compare["names"]
    out = ["## Part 1: derivcheck and the baselines on the same steps", ""]
    out.append(f"{len(pairs)} step pairs `(previous, step)` from {len(corpus.files)} library files "
               f"(built and labelled in {compare['build_time']:.0f} s):")
    out.append("")
    for label, n in family_counts(pairs).items():
        out.append(f"- {n} {label}")
    out.append("")
    out.append(
        "Ground truth is decided without derivcheck's verdict: both sides are evaluated at 40 points with mpmath "
        "at 50 digits (a difference is confirmed again at 110 digits), sizes and indices instantiated from 1 to 4, "
        "symbol words (positive, integer, ...) honoured, `assume`/`when` conditions honoured by rejection (equalities "
        "are solved for an atom they are linear in, `x in {...}` picks a value); undefined functions become fixed "
        "smooth functions. A pair whose sides agree at 12 or more points is right, one that differs anywhere is wrong. "
        "Mutations are single text edits of the author's step (a `+`/`-` flipped, two declared names swapped, one index "
        "renamed to another, the step or one factor times 2, an exponent or a constant n -> n+1, max<->min, sin<->cos); "
        "a mutation that stays equal everywhere counts as a right step. Rewrites are `sympy.expand`/`together`/`factor` "
        "of the step, printed back in the format's syntax and parsed again.")
    out.append("")
    if corpus.dropped:
        out.append("Dropped while building: " + "; ".join(f"{n} {why}" for why, n in sorted(corpus.dropped.items())) + ".")
        out.append("")
    if corpus.skipped_docs:
        out.append("Documents that do not parse (skipped): " + "; ".join(corpus.skipped_docs) + ".")
        out.append("")
    if corpus.disagreements:
        out.append("Library steps where the numeric label differs from the author's: ")
        out.extend(f"- {_rel(d)}" for d in corpus.disagreements)
        out.append("")
    out.append(
        f"Every checker gets the same SymPy objects derivcheck parsed (symbols with their assumptions), "
        f"{info['timeout']:g} s per step (a `SIGALRM` in the worker; the worker is killed {checkers.GRACE:g} s later if it "
        f"does not return), {info['jobs']} worker processes per checker, a fresh SymPy cache per worker. "
        "derivcheck is `run_task` on the `StepTask` that `plan_document` builds (conditions included): proved, proved for "
        "sizes and numeric accept, wrong rejects, unknown is undecided. The baselines cannot take the `assume`/`when` "
        "conditions. `simplify`: `simplify(a - b) == 0` accepts, anything else rejects (a step it cannot prove is a false "
        "alarm). `equals`: `a.equals(b)`, None is undecided. `symbolic-math-verify`: "
        "`is_equation_equal(names, \"a = b\", \"0 = 0\")` on SymPy's `str` forms (its own parser, plain symbols); False "
        "rejects. Exceptions and time-outs are undecided. Times are per step, measured in the worker.")
    out.append("")
    if compare["smv_error"]:
        out.append(f"**symbolic-math-verify was not run:** {compare['smv_error']}")
        out.append("")
    elif compare.get("smv_version"):
        out.append(f"symbolic-math-verify {compare['smv_version']} (installed with pip into a cache folder outside the repository).")
        out.append("")
    rows = []
    for name in names:
        s = checker_stats(pairs, res[name])
        rows.append([name, s["right"], s["unsound"], s["false alarm"], s["undecided"], f"{s['median']:.3f}",
                     f"{s['p95']:.3f}", f"{s['total']:.1f}", f"{s['cpu']:.1f}", f"{compare['walls'][name]:.0f}",
                     _num(compare["others"].get(name))])
    out.append(_md_table(["checker", "decided right", "unsound (wrong accepted)", "false alarms (right rejected)",
                          "undecided", "median s/step", "p95 s/step", "total s", "CPU s", "phase wall s",
                          "other processes' CPU s"], rows))
    out.append("")
    out.append("By kind of step (decided right / unsound / false alarms / undecided):")
    out.append("")
    rows = []
    for family, truth, label in FAMILIES:
        subset = [p for p in pairs if p.family == family and p.truth == truth]
        if not subset:
            continue
        row = [f"{label} ({len(subset)})"]
        for name in names:
            s = checker_stats(subset, res[name])
            row.append(f"{s['right']} / {s['unsound']} / {s['false alarm']} / {s['undecided']}")
        rows.append(row)
    out.append(_md_table(["steps"] + names, rows))
    out.append("")
    out.append("Total seconds (sum of per-step times) by kind of step:")
    out.append("")
    rows = []
    for family in ("library", "library-wrong", "mutation", "rewrite"):
        subset = [p for p in pairs if p.family == family]
        if subset:
            rows.append([f"{family} ({len(subset)})"] + [f"{checker_stats(subset, res[n])['total']:.1f}" for n in names])
    out.append(_md_table(["steps"] + names, rows))
    out.append("")
    mut_rows = []
    kinds = sorted({p.kind for p in pairs if p.family == "mutation"})
    for kind in kinds:
        subset = [p for p in pairs if p.kind == kind]
        row = [kind.split(":")[1], sum(1 for p in subset if not p.truth), sum(1 for p in subset if p.truth)]
        for name in names:
            s = checker_stats(subset, res[name])
            row.append(f"{s['right']} / {s['unsound']} / {s['false alarm']} / {s['undecided']}")
        mut_rows.append(row)
    if mut_rows:
        out.append("Mutations by edit (wrong, right; then decided right / unsound / false alarms / undecided):")
        out.append("")
        out.append(_md_table(["edit", "wrong", "right"] + names, mut_rows))
        out.append("")
    if "derivcheck" in res:
        out.extend(render_derivcheck_misses(pairs, res["derivcheck"]))
    for name in names:
        if name == "derivcheck":
            continue
        bad = [p for p in pairs if classify(p.truth, res[name][p.pid][0]) == "unsound"]
        if bad:
            out.append(f"{name}: {len(bad)} unsound verdict(s), e.g. "
                       + "; ".join(f"{_rel(p.file)}:{p.line} `{_short(p.b_text, 60)}` ({p.kind})" for p in bad[:3]) + ".")
            out.append("")
    return out


def render_derivcheck_misses(pairs, results) -> list[str]:
    out = []
    groups = {"unsound": [], "false alarm": [], "undecided": []}
    for pair in pairs:
        decision, detail, wall, _ = results[pair.pid]
        outcome = classify(pair.truth, decision)
        if outcome in groups:
            groups[outcome].append((pair, detail, wall))
    titles = {
        "unsound": "derivcheck: unsound verdicts (a wrong step accepted)",
        "false alarm": "derivcheck: false alarms (a right step called wrong)",
        "undecided": "derivcheck: undecided steps",
    }
    for key, items in groups.items():
        out.append(f"### {titles[key]}: {len(items)}")
        out.append("")
        if not items:
            continue
        rows = []
        for pair, detail, wall in items:
            rows.append([f"{_rel(pair.file)}:{pair.line}", pair.kind, f"`{_short(pair.a_text, 70)}`",
                         f"`{_short(pair.b_text, 70)}`", detail, f"{wall:.1f}", _short(pair.label_note, 60)])
        out.append(_md_table(["file:line", "kind", "previous", "step", "verdict", "s", "ground truth"], rows))
        out.append("")
    return out


def render_runs(runs, sizes, jobs1_max) -> list[str]:
    out = ["## Part 2: the CLI on 1x..8x the library", ""]
    out.append(
        "`python -m derivcheck verify DIR --format json --jobs J --cache-dir C` as a subprocess, wall clock; CPU is user + "
        "system of the process and its workers. The corpus is the library's files copied K times, every copy with its "
        "declared symbols renamed (`x` -> `k3_x`) so that no two copies share a check. Cold: a new cache folder; warm: "
        "the same command again on that folder. "
        + (f"`--jobs 1` was not run above {jobs1_max}x (time)." if any(k > jobs1_max for k in sizes) else ""))
    out.append("")
    rows = []
    for run in runs:
        if run.cache != "cold" or run.note:
            continue
        warm = _find(runs, run.copies, run.jobs, "warm")
        rows.append([f"{run.copies}x", run.files, run.checks, run.jobs, f"{run.wall:.1f}", f"{run.cpu:.1f}",
                     f"{warm.wall:.1f}" if warm else "-", f"{warm.cpu:.1f}" if warm else "-",
                     f"{warm.wall / run.wall:.2f}" if warm else "-", _verdicts(run.verdicts),
                     ("same" if warm and warm.verdicts == run.verdicts else _verdicts(warm.verdicts) if warm else "-"),
                     f"{_num(run.other_cpu)} / {_num(warm.other_cpu)}" if warm else _num(run.other_cpu)])
    out.append(_md_table(["corpus", "files", "checks", "--jobs", "cold s", "cold CPU s", "warm s", "warm CPU s",
                          "warm/cold", "verdicts (cold)", "verdicts (warm)", "other processes' CPU s, cold / warm"], rows))
    out.append("")
    speed = []
    for copies in sizes:
        one, two = _find(runs, copies, 1, "cold"), _find(runs, copies, 2, "cold")
        if one and two:
            speed.append([f"{copies}x", one.files, f"{one.wall:.1f}", f"{two.wall:.1f}", f"{one.wall / two.wall:.2f}"])
    if speed:
        out.append(_md_table(["corpus", "files", "--jobs 1 s", "--jobs 2 s", "speed-up"], speed))
        out.append("")
    scale = []
    for jobs in (2, 1):
        base = _find(runs, 1, jobs, "cold")
        if not base:
            continue
        for copies in sizes:
            run = _find(runs, copies, jobs, "cold")
            if run:
                scale.append([jobs, f"{copies}x", f"{run.wall:.1f}", f"{run.wall / base.wall:.2f}", f"{run.wall / base.wall / copies:.2f}"])
    if scale:
        out.append(_md_table(["--jobs", "corpus", "cold s", "time vs 1x", "per copy vs 1x"], scale))
        out.append("")
    fixed = [r for r in runs if r.note]
    if fixed:
        cold, warm = _find(fixed, fixed[0].copies, fixed[0].jobs, "cold", fixed[0].note), _find(fixed, fixed[0].copies, fixed[0].jobs, "warm", fixed[0].note)
        if cold and warm:
            out.append(
                f"Diagnostic: the {cold.copies}x corpus with `{cold.note}` set for both runs (`--jobs {cold.jobs}`): cold "
                f"{cold.wall:.1f} s, warm {warm.wall:.1f} s, warm/cold {warm.wall / cold.wall:.2f}. A control: cache keys "
                "must not depend on the hash seed (tests/check/test_runner.py checks it), so this ratio should match "
                "the unseeded runs above.")
            out.append("")
    return out


def _num(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _verdicts(verdicts: dict) -> str:
    order = ["proved", "proved for sizes", "numeric", "wrong", "unknown", "error"]
    parts = [f"{verdicts[k]} {k}" for k in order if verdicts.get(k)]
    parts += [f"{v} {k}" for k, v in verdicts.items() if k not in order]
    return ", ".join(parts)


if __name__ == "__main__":
    sys.exit(main())
