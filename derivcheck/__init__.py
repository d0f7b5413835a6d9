"""derivcheck: check hand-written mathematical derivations, step by step, with SymPy.

Public API::

    from derivcheck import verify_paths, CheckConfig
    report = verify_paths(["derivations"], CheckConfig(jobs=1))
    report.exit_code, report.results

SymPy is imported only when checking starts, so ``import derivcheck`` is quick.
"""

from __future__ import annotations

from derivcheck.config import CheckConfig
from derivcheck.version import __version__

__all__ = ["CheckConfig", "Report", "Result", "Verdict", "verify_paths", "__version__"]


def __getattr__(name: str) -> object:
    # Lazy: these pull in SymPy.
    if name == "verify_paths":
        from derivcheck.api import verify_paths

        return verify_paths
    if name in ("Report", "Result"):
        from derivcheck import results

        return getattr(results, name)
    if name == "Verdict":
        from derivcheck.check.outcome import Verdict

        return Verdict
    raise AttributeError(f"module 'derivcheck' has no attribute {name!r}")
