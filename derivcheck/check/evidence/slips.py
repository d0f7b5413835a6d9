"""Place each wrong step in its chain, so that one slip is reported once.

A chain is checked step by step. When a step is wrong (a *slip*), the step
after it is also checked against the last correct step, as for a step marked
``wrong:``:

- it equals the last correct step: the slip was alone, the chain goes on
  (role ``resumes``, the step passes with that check's verdict);
- it equals the wrong step: the error propagates (role ``follows slip``, the
  step passes: it is consistent with the wrong step, not a new error);
- it equals neither: another error (role ``another error``, reported against
  the step before it).

The walk only reads outcomes; the re-checks it asks for are run by the caller
(in rounds, since a step that resumes changes the last correct step).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from derivcheck.check.outcome import Outcome, Verdict

AGREES = (Verdict.PROVED, Verdict.PROVED_FOR_SIZES, Verdict.NUMERIC)


class Role(str, Enum):
    """Where a step stands relative to the slips of its chain."""

    SLIP = "slip"
    RESUMES = "resumes"
    FOLLOWS_SLIP = "follows slip"
    ANOTHER_ERROR = "another error"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Link:
    """One checked step of a chain: its position, the position it was checked against, its erratum mark."""

    position: int
    previous: int
    erratum: bool
    line: int


@dataclass(frozen=True)
class Placement:
    """The outcome a step is reported with, the position it was compared with, and its role."""

    outcome: Outcome
    against: int
    role: Role | None = None
    slip_line: int | None = None


def walk(
    links: list[Link], outcomes: list[Outcome], rechecked: dict[tuple[int, int], Outcome]
) -> tuple[list[Placement], list[tuple[int, int]]]:
    """Place every link of one chain; also return the re-checks ``(link index, anchor position)`` still missing.

    ``rechecked[(k, a)]`` is the outcome of link ``k`` checked against the
    step at position ``a``. A missing re-check is taken as failed for now.
    """
    anchor = 0  # the last step known to be correct
    on_track = True
    slip_line: int | None = None
    placements: list[Placement] = []
    needed: list[tuple[int, int]] = []
    for k, (link, outcome) in enumerate(zip(links, outcomes)):
        if link.erratum:
            placements.append(Placement(outcome, link.previous))
            continue
        if on_track:
            if outcome.verdict is Verdict.WRONG:
                on_track, slip_line = False, link.line
                placements.append(Placement(outcome, link.previous, Role.SLIP))
            else:
                on_track, anchor = True, link.position
                placements.append(Placement(outcome, link.previous))
            continue
        if outcome.verdict in AGREES:
            placements.append(Placement(outcome, link.previous, Role.FOLLOWS_SLIP, slip_line))
            continue
        again = rechecked.get((k, anchor))
        if again is None:
            needed.append((k, anchor))
        elif again.verdict in AGREES:
            placements.append(Placement(again, anchor, Role.RESUMES, slip_line))
            on_track, anchor = True, link.position
            continue
        if outcome.verdict is Verdict.WRONG:
            placements.append(Placement(outcome, link.previous, Role.ANOTHER_ERROR, slip_line))
            slip_line = link.line
        else:
            placements.append(Placement(outcome, link.previous))
    return placements, needed
