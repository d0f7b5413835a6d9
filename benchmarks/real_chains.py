"""How many of the real chains in benchmarks/real_chains/ derivcheck reads, passes and refutes.

    python benchmarks/real_chains.py [--timeout S] [--details]

Each chain is one Markdown file: the math as its source printed it, with only a
``<!-- derivcheck -->`` declaration comment added. A chain is *read* when the
file gives no error and at least one step is checked, *passes* when every step
passes, *refuted* when a step is ``wrong`` (each refuted chain is checked by hand:
see benchmarks/real_chains/README.md). The code that runs is the one on PYTHONPATH,
so the same script measures another checkout (``PYTHONPATH=/path/to/other``).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from derivcheck.api import verify_paths
from derivcheck.config import CheckConfig

CORPUS = Path(__file__).resolve().parent / "real_chains"


def classify(results: list) -> tuple[str, str]:
    """The state of one chain (``unreadable``, ``passes``, ``refuted``, ``undecided``) and a short reason."""
    errors = [r for r in results if r.is_error]
    steps = [r for r in results if r.kind == "step"]
    if errors or not steps:
        reason = errors[0].message if errors else "no step checked"
        return "unreadable", reason.splitlines()[0][:140]
    if any(r.verdict is not None and r.verdict.value == "wrong" for r in steps):
        first = next(r for r in steps if r.verdict is not None and r.verdict.value == "wrong")
        return "refuted", f"line {first.line}: {first.expr[:100]}"
    if all(r.passes for r in steps):
        return "passes", ""
    first = next(r for r in steps if not r.passes)
    return "undecided", f"line {first.line}: {first.verdict.value if first.verdict else '?'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--details", action="store_true", help="one line per chain")
    args = parser.parse_args(argv)
    config = CheckConfig(jobs=1, cache_dir=None, timeout=args.timeout)
    counts: Counter[str] = Counter()
    files = sorted(CORPUS.glob("*.md"))
    files = [f for f in files if f.name != "README.md"]
    for path in files:
        report = verify_paths([str(path)], config)
        state, reason = classify(list(report.results))
        counts[state] += 1
        if args.details:
            print(f"{state:10} {path.stem:40} {reason}")
    read = len(files) - counts["unreadable"]
    print(
        f"{len(files)} chains: {read} read, {counts['passes']} pass, {counts['refuted']} refuted, "
        f"{counts['undecided']} read but undecided, {counts['unreadable']} not read"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
