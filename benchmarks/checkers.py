"""The checkers compared, and worker processes that run them with a hard time limit.

Every checker gets the same pair (the same SymPy objects derivcheck parsed)
and answers ``accept``, ``reject`` or ``undecided``:

- derivcheck: its verdict ladder (``run_task`` on the ``StepTask`` that
  ``plan_document`` builds); proved / proved for sizes / numeric accept,
  wrong rejects, unknown is undecided.
- simplify: ``sympy.simplify(a - b) == 0`` accepts, anything else rejects.
- equals: ``a.equals(b)``; True accepts, False rejects, None is undecided.
- symbolic-math-verify: ``is_equation_equal(names, "a = b", "0 = 0")`` on
  SymPy's str forms; True accepts, False rejects.

Exceptions and time-outs are ``undecided`` for every checker.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from multiprocessing.connection import wait

import sympy

GRACE = 5.0  # seconds past the limit before the parent kills a worker
MEMORY_MB = 4096

SMV_ERROR: str | None = None  # why symbolic-math-verify is not available, if it is not


class _Timeout(BaseException):
    pass


def _alarm(signum, frame):  # pragma: no cover - signal handler
    raise _Timeout()


def _with_alarm(seconds: float, fn, *args):
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --------------------------------------------------------------------------------------------
# the checkers: pair, timeout -> (decision, detail)


def check_derivcheck(pair, timeout: float):
    from derivcheck.check.ladder.engine import StepTask, run_task
    from derivcheck.check.outcome import Verdict
    from derivcheck.config import CheckConfig

    config = CheckConfig(timeout=timeout, jobs=1, cache_dir=None)
    outcome = run_task(StepTask(pair.a, pair.b, pair.conditions, pair.symbols), config)
    decision = {
        Verdict.PROVED: "accept",
        Verdict.PROVED_FOR_SIZES: "accept",
        Verdict.NUMERIC: "accept",
        Verdict.WRONG: "reject",
    }.get(outcome.verdict, "undecided")
    return decision, f"{outcome.verdict.value} ({outcome.method})"


def check_simplify(pair, timeout: float):
    try:
        result = _with_alarm(timeout, lambda: sympy.simplify(pair.a - pair.b))
    except _Timeout:
        return "undecided", "time limit"
    return ("accept", "simplify -> 0") if result == 0 else ("reject", "simplify -> nonzero")


def check_equals(pair, timeout: float):
    try:
        result = _with_alarm(timeout, lambda: pair.a.equals(pair.b))
    except _Timeout:
        return "undecided", "time limit"
    if result is True:
        return "accept", "equals -> True"
    if result is False:
        return "reject", "equals -> False"
    return "undecided", f"equals -> {result!r}"


def smv_strings(pair):
    """The two sides as SymPy str forms, and every name they use (for the symbol list)."""
    a, b = sympy.sstr(pair.a), sympy.sstr(pair.b)
    names = set()
    for expr in (pair.a, pair.b):
        for atom in expr.atoms(sympy.Symbol):
            names.add(atom.name)
        for indexed in expr.atoms(sympy.Indexed):
            names.add(str(indexed.base.label))
    return a, b, sorted(names)


def check_smv(pair, timeout: float):
    from symbolic_math_verify import is_equation_equal

    a, b, names = smv_strings(pair)
    try:
        result = _with_alarm(timeout, lambda: is_equation_equal(names, f"{a} = {b}", "0 = 0"))
    except _Timeout:
        return "undecided", "time limit"
    return ("accept", "is_equation_equal -> True") if result is True else ("reject", f"is_equation_equal -> {result!r}")


CHECKERS = {
    "derivcheck": check_derivcheck,
    "simplify": check_simplify,
    "equals": check_equals,
    "symbolic-math-verify": check_smv,
}


def load_smv(site_dir: str) -> str | None:
    """Make symbolic-math-verify importable (pip-installing it into ``site_dir`` if needed).

    Returns None when it imports, else the error text.
    """
    import subprocess
    import sys

    try:
        import symbolic_math_verify  # noqa: F401

        return None
    except ImportError:
        pass
    if site_dir not in sys.path:
        sys.path.append(site_dir)  # appended: the environment's own SymPy stays first
    try:
        import symbolic_math_verify  # noqa: F401

        return None
    except ImportError:
        pass
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", site_dir, "symbolic-math-verify"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`{' '.join(command[2:])}` failed: {exc}"
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return f"`pip install symbolic-math-verify` failed: {' / '.join(tail)}"
    import importlib

    importlib.invalidate_caches()
    try:
        import symbolic_math_verify  # noqa: F401
    except Exception as exc:  # noqa: BLE001 - any import failure is reported
        return f"installed but does not import: {type(exc).__name__}: {exc}"
    return None


# --------------------------------------------------------------------------------------------
# workers (forked after the corpus is built: they find the pairs in PAIRS)

PAIRS: list = []


def _worker(conn, name: str, timeout: float) -> None:
    try:
        import resource

        limit = MEMORY_MB * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass
    from sympy.core.cache import clear_cache

    clear_cache()  # nothing computed in the parent (labelling) helps a checker
    checker = CHECKERS[name]
    while True:
        try:
            index = conn.recv()
        except (EOFError, OSError):
            return
        if index is None:
            return
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            decision, detail = checker(PAIRS[index], timeout)
        except _Timeout:
            decision, detail = "undecided", "time limit"
        except MemoryError:
            decision, detail = "undecided", "memory limit"
        except RecursionError:
            decision, detail = "undecided", "recursion limit"
        except Exception as exc:  # noqa: BLE001 - a checker's crash is its 'undecided'
            decision, detail = "undecided", f"error: {type(exc).__name__}: {str(exc)[:80]}"
        conn.send((index, decision, detail, time.perf_counter() - wall, time.process_time() - cpu))


class _Slot:
    def __init__(self, context, name: str, timeout: float):
        parent, child = context.Pipe()
        self.conn = parent
        self.process = context.Process(target=_worker, args=(child, name, timeout), daemon=True)
        self.process.start()
        child.close()
        self.index = None
        self.started = 0.0

    def give(self, index: int) -> None:
        self.index, self.started = index, time.perf_counter()
        self.conn.send(index)

    def stop(self, kill: bool) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                self.process.kill()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def run_checker(name: str, indices: list[int], timeout: float, jobs: int, progress=None) -> dict[int, tuple]:
    """Run checker ``name`` on ``PAIRS[i]`` for each index; return index -> (decision, detail, wall, cpu)."""
    context = multiprocessing.get_context("fork")
    results: dict[int, tuple] = {}
    queue = list(indices)[::-1]
    slots = [_Slot(context, name, timeout) for _ in range(max(1, min(jobs, len(indices))))]
    hard = timeout + GRACE
    try:
        for slot in slots:
            if queue:
                slot.give(queue.pop())
        while any(s.index is not None for s in slots):
            busy = [s for s in slots if s.index is not None]
            left = max(0.01, min(s.started + hard - time.perf_counter() for s in busy))
            ready = wait([s.conn for s in busy], timeout=left)
            for position, slot in enumerate(slots):
                if slot.index is None:
                    continue
                record, replace = None, False
                if slot.conn in ready:
                    try:
                        index, decision, detail, wall, cpu = slot.conn.recv()
                        record = (decision, detail, wall, cpu)
                    except (EOFError, OSError):
                        record, replace = ("undecided", "worker died", time.perf_counter() - slot.started, None), True
                elif time.perf_counter() - slot.started > hard:
                    record, replace = ("undecided", "hard time limit", time.perf_counter() - slot.started, None), True
                if record is None:
                    continue
                results[slot.index] = record
                slot.index = None
                if replace:
                    slot.stop(kill=True)
                    slot = slots[position] = _Slot(context, name, timeout)
                if progress:
                    progress(len(results), len(indices))
                if queue:
                    slot.give(queue.pop())
    finally:
        for slot in slots:
            slot.stop(kill=slot.index is not None)
    return results


def cpu_count() -> int:
    return os.cpu_count() or 1
