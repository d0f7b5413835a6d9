"""One configuration object for a run, built by the CLI (or by callers) and passed down."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from derivcheck.bounds import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MAX_SIZE,
    DEFAULT_MEMORY_LIMIT_MB,
    DEFAULT_SAMPLES,
    DEFAULT_TIMEOUT_SECONDS,
)


def _default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class CheckConfig:
    """Settings that shape a run. Fields marked (verdict) change verdicts and key the cache.

    timeout: seconds per check (verdict); samples: numeric points per check
    (verdict); max_size: largest size instantiated for sums (verdict); seed:
    random seed of the numeric screen (verdict); strict: numeric fails;
    jobs: worker processes (1 = in this process); cache_dir: where results
    are kept (None = no cache); memory_limit_mb: address-space limit of each
    worker; max_file_bytes: larger files are refused; evidence: each
    outcome carries the full evidence --verbose shows (keys the cache, so
    that a cached outcome has it when it is asked for).
    """

    timeout: float = DEFAULT_TIMEOUT_SECONDS
    samples: int = DEFAULT_SAMPLES
    max_size: int = DEFAULT_MAX_SIZE
    seed: int = 0
    strict: bool = False
    jobs: int = field(default_factory=_default_jobs)
    cache_dir: Path | None = None
    memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    suggest_fixes: bool = True
    evidence: bool = False

    def verdict_key(self) -> str:
        """Return the part of the configuration that can change a verdict."""
        return (
            f"timeout={self.timeout};samples={self.samples};max_size={self.max_size};"
            f"seed={self.seed};fix={self.suggest_fixes};evidence={self.evidence}"
        )

    def with_(self, **changes: Any) -> CheckConfig:
        """Return a copy with some fields changed."""
        return replace(self, **changes)
