"""What one check decides, with its evidence, as plain data (strings, numbers)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from typing import Any


class Verdict(str, Enum):
    """The five verdicts of docs/format.md."""

    PROVED = "proved"
    PROVED_FOR_SIZES = "proved for sizes"
    NUMERIC = "numeric"
    WRONG = "wrong"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Outcome:
    """The verdict of one check and the evidence behind it.

    ``method`` names what decided it (``cancel``, ``cases on sign of x``,
    ``numeric screen``…); the other fields are filled where they apply.
    The diagnosis of a wrong step adds ``next_equals_previous`` (the step
    after it equals the step before it: a lone slip) and ``diagnosis_stopped``
    (why the diagnosis ended early, e.g. ``time limit``). A stability claim
    fills ``stability`` with what was checked and found.
    """

    verdict: Verdict
    method: str
    detail: str = ""
    counterexample: dict[str, str] | None = None
    values: tuple[str, str] | None = None
    difference: str | None = None
    suggestion: str | None = None
    size_bound: int | None = None
    sizes: tuple[int, ...] = ()
    points: int = 0
    tried: tuple[str, ...] = ()
    hint: str | None = None
    value: tuple[str, ...] | None = None
    claimed: tuple[str, ...] | None = None
    tol: tuple[str, ...] | None = None
    failing: tuple[int, ...] = ()
    elapsed: float = 0.0
    diagnosis_stopped: str | None = None
    stability: dict | None = None  # a stability claim's evidence as JSON-ready data (check.stability)
    # The full evidence (shown by --verbose): both sides as parsed, with every
    # definition expanded; the intermediate forms of the check; the sample
    # points where the two sides were compared and agreed.
    sides: tuple[str, str] | None = None
    forms: tuple[str, ...] = ()
    sample_points: tuple[str, ...] = ()

    def with_(self, **changes: Any) -> Outcome:
        """Return a copy with some fields changed."""
        return replace(self, **changes)
