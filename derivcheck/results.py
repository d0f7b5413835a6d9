"""Results: the contract between the checker and the reporters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from derivcheck.check.outcome import Outcome, Verdict


@dataclass(frozen=True)
class Result:
    """One line of the report: a checked step, a number claim, or a file that cannot be read."""

    file: str
    line: int | None
    kind: str  # "step", "number", "error", or "note" (a LaTeX row not checked, with its message)
    verdict: Verdict | None
    passes: bool
    title: str = ""
    chain: str = ""
    expr: str = ""
    previous: str = ""
    previous_line: int | None = None
    by: str | None = None
    erratum: str | None = None
    message: str = ""
    outcome: Outcome | None = None
    notes: tuple[str, ...] = ()
    # Where a step stands relative to the slips of its chain (check.slips.Role's
    # value: "slip", "resumes", "follows slip", "another error"), and the line of
    # the wrong step it refers to.
    role: str | None = None
    slip_line: int | None = None
    cell: int | None = None  # notebook cell (1-based); ``line`` then counts within it
    parsed: str | None = None  # a LaTeX step's reading in the Python syntax (``expr`` is the LaTeX)
    previous_parsed: str | None = None
    relation: str = "=="  # a step: how ``previous`` relates to ``expr``
    doubtful: tuple[str, ...] = ()  # notes that fail the step under --strict (a derivative 0 by absence)
    file_line: int | None = None  # in a notebook: the line of the .ipynb file that holds ``line`` of ``cell``

    @property
    def line_in_file(self) -> int | None:
        """The line in the file itself: ``file_line`` in a notebook, else ``line``."""
        return self.file_line if self.file_line is not None else self.line

    @property
    def is_error(self) -> bool:
        return self.kind == "error"


def passes(verdict: Verdict, erratum: str | None, strict: bool) -> bool:
    """Whether a verdict passes: docs/format.md's table, with ``wrong:`` steps passing only when refuted."""
    if erratum is not None:
        return verdict is Verdict.WRONG
    if verdict in (Verdict.PROVED, Verdict.PROVED_FOR_SIZES):
        return True
    if verdict is Verdict.NUMERIC:
        return not strict
    return False


@dataclass(frozen=True)
class Report:
    """Everything a run found, in file order."""

    results: tuple[Result, ...]
    files: tuple[str, ...]
    strict: bool = False
    empty_files: tuple[str, ...] = field(default=())
    cached: int = field(default=0, compare=False)
    computed: int = field(default=0, compare=False)
    # Things the user should know that are not results: paths skipped by
    # discovery (with the reason), an unusable cache. Printed on stderr by the CLI.
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def exit_code(self) -> int:
        """0 when everything passes, 1 when anything does not, 2 when a file cannot be read."""
        if any(r.is_error for r in self.results):
            return 2
        if any(not r.passes for r in self.results):
            return 1
        return 0

    def counts(self) -> dict[str, int]:
        """Return how many results got each verdict, plus errors and failures."""
        counter = Counter(str(r.verdict) for r in self.results if r.verdict is not None)
        out = {v.value: counter.get(v.value, 0) for v in Verdict}
        out["errors"] = sum(1 for r in self.results if r.is_error)
        out["failed"] = sum(1 for r in self.results if not r.passes)
        out["steps"] = sum(1 for r in self.results if r.kind == "step")
        out["numbers"] = sum(1 for r in self.results if r.kind == "number")
        out["stability"] = sum(1 for r in self.results if r.kind == "stability")
        out["errata"] = sum(1 for r in self.results if r.erratum is not None)
        return out
