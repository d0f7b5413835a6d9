"""Time to check a file whose steps are all wrong, for several numbers of wrong steps.

Issue 14 point 8: diagnosing a wrong step must not re-parse the document, so the time
must grow linearly: 4x the wrong steps should take about 4x the time (target <= 4x
from 200 to 800). Run from the repository root:

    PYTHONPATH=$PWD python benchmarks/wrong_steps.py            # 200 and 800 wrong steps
    PYTHONPATH=$PWD python benchmarks/wrong_steps.py 100 400    # other sizes

Each step ``k*x + k`` differs from the one before it (every step is a slip, re-checked
against the last correct step, then diagnosed with a suggestion search). The file is
checked in this process (``--jobs 1``, no cache); wall-clock and CPU seconds are printed.
"""

from __future__ import annotations

import sys
import time

from derivcheck.api import verify_loaded
from derivcheck.config import CheckConfig
from derivcheck.load import LoadedFile
from derivcheck.load.documents import documents_from_text


def wrong_chain(count: int) -> str:
    """A derivation of ``count + 1`` steps, each wrong against every earlier one."""
    steps = "\n".join(f"  - {k + 1}*x + {k}*y" for k in range(count + 1))
    return f"title: wrong steps\nsymbols:\n  x: real\n  y: real\nsteps:\n{steps}\n"


def measure(count: int) -> tuple[float, float, int]:
    text = wrong_chain(count)
    loaded = LoadedFile("wrong.yaml", tuple(documents_from_text(text, "wrong.yaml")), "yaml")
    config = CheckConfig(jobs=1, cache_dir=None, timeout=10.0)
    wall, cpu = time.perf_counter(), time.process_time()
    report = verify_loaded([loaded], config, files=["wrong.yaml"])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, report.counts()["wrong"]


def main(sizes: list[int]) -> None:
    rows = []
    for count in sizes:
        wall, cpu, wrong = measure(count)
        rows.append((count, wall, cpu))
        print(f"{count:>6} wrong steps ({wrong} reported wrong): {wall:7.2f} s wall, {cpu:7.2f} s CPU", flush=True)
    base_count, base_wall, base_cpu = rows[0]
    for count, wall, cpu in rows[1:]:
        print(
            f"{count}/{base_count} = {count / base_count:g}x the steps: "
            f"{wall / base_wall:.2f}x the wall time, {cpu / base_cpu:.2f}x the CPU time"
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [200, 800])
