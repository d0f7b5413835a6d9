"""The ladder's evidence stage: after the checks ran, place each step in its chain, diagnose the
wrong ones, and try the other reading of a LaTeX step that failed.

Nothing here runs a check itself: the re-checks, diagnoses and other readings
are handed to ``run`` (the runner's ``run_tasks``, with the run's cache,
workers and limits), so this stage stays below ``check/run/``. Checks are
known by their index in the plan, never by identity.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy

from derivcheck.bounds import MAX_SLIP_ROUNDS
from derivcheck.check.evidence.diagnose import DiagnoseTask
from derivcheck.check.evidence.slips import Link, Placement, walk
from derivcheck.check.ladder.engine import NumberTask, StepTask
from derivcheck.check.outcome import Outcome, Verdict
from derivcheck.check.screen.stability import StabilityTask

Task = StepTask | NumberTask | StabilityTask | DiagnoseTask
Run = Callable[[Sequence[Task]], list[Outcome]]


@dataclass(frozen=True, kw_only=True)
class Check:
    """One check of a run: its task and what the evidence stage needs to place and explain it.

    ``chain`` numbers the chain of a step check (every step of one chain has
    the same number); ``link`` is the step's place in that chain;
    ``diagnosis`` explains the step if it is reported wrong; ``alternative``
    is the step read another way (a LaTeX ``\\sum`` covering the terms after
    it), tried when the step is wrong.
    """

    task: StepTask | NumberTask | StabilityTask
    chain: int | None = None
    link: Link | None = None
    diagnosis: DiagnoseTask | None = None
    alternative: StepTask | None = None


@dataclass(frozen=True)
class Checked:
    """What a check ended with: the outcome to report, its place in its chain, its other reading's outcome."""

    outcome: Outcome
    placement: Placement | None = None
    other_reading: Outcome | None = None


def gather_evidence(checks: Sequence[Check], outcomes: Sequence[Outcome], run: Run) -> list[Checked]:
    """Place the steps, diagnose the wrong ones and try other readings; one Checked per check, in order."""
    placements = place_slips(checks, outcomes, run)
    reported = [placements[i].outcome if i in placements else o for i, o in enumerate(outcomes)]
    reported = diagnose_wrong(reported, [c.diagnosis for c in checks], run)
    readings = other_readings(checks, reported, run)
    return [Checked(outcome, placements.get(i), readings.get(i)) for i, outcome in enumerate(reported)]


def place_slips(checks: Sequence[Check], outcomes: Sequence[Outcome], run: Run) -> dict[int, Placement]:
    """Place every step in its chain (see ``slips.walk``), running the re-checks it needs in rounds.

    Returns ``{index of the check: Placement}`` for every step check.
    """
    chains: dict[int, list[int]] = {}
    for index, check in enumerate(checks):
        if check.link is not None and check.chain is not None:
            chains.setdefault(check.chain, []).append(index)
    rechecked: dict[int, dict[tuple[int, int], Outcome]] = {key: {} for key in chains}
    placements: dict[int, Placement] = {}
    for round_number in range(MAX_SLIP_ROUNDS + 1):
        wanted: list[tuple[int, tuple[int, int], StepTask]] = []
        for key, members in chains.items():
            links = [_link(checks[i]) for i in members]
            placed, needed = walk(links, [outcomes[i] for i in members], rechecked[key])
            placements.update(zip(members, placed))
            exprs = _exprs_by_position([checks[i] for i in members])
            for k, anchor in needed:
                task = checks[members[k]].task
                assert isinstance(task, StepTask)  # a check with a link is a step
                if task.relation != "==":
                    continue  # an inequality step is reported as checked (never re-checked)
                wanted.append((key, (k, anchor), StepTask(exprs[anchor], task.current, task.conditions, task.symbols)))
        if not wanted or round_number == MAX_SLIP_ROUNDS:
            break  # a re-check never run leaves the step as it was checked: never a pass it did not earn
        found = run([task for _, _, task in wanted])
        for (key, pair, _), outcome in zip(wanted, found):
            rechecked[key][pair] = outcome
    return placements


def diagnose_wrong(
    outcomes: Sequence[Outcome], diagnoses: Sequence[DiagnoseTask | None], run: Run
) -> list[Outcome]:
    """Explain every ``wrong`` outcome that has a diagnosis task.

    ``diagnoses[i]`` is the task that explains ``outcomes[i]`` (or None). The
    diagnoses run like any check (cache, workers, limits); their difference
    and suggestion are merged into the outcomes, whose verdicts never change.
    """
    wrong = [
        i for i, (outcome, task) in enumerate(zip(outcomes, diagnoses))
        if task is not None and outcome.verdict is Verdict.WRONG
    ]
    merged = list(outcomes)
    if not wrong:
        return merged
    found = run([task for task in (diagnoses[i] for i in wrong) if task is not None])
    for index, diagnosis in zip(wrong, found):
        merged[index] = outcomes[index].with_(difference=diagnosis.difference, suggestion=diagnosis.suggestion)
    return merged


def other_readings(checks: Sequence[Check], outcomes: Sequence[Outcome], run: Run) -> dict[int, Outcome]:
    """The outcome of the other reading of every wrong step that has one, by index of the check."""
    wrong = [
        i for i, (check, outcome) in enumerate(zip(checks, outcomes))
        if check.alternative is not None and outcome.verdict is Verdict.WRONG
    ]
    if not wrong:
        return {}
    tried = run([task for task in (checks[i].alternative for i in wrong) if task is not None])
    return dict(zip(wrong, tried))


def _exprs_by_position(members: list[Check]) -> dict[int, sympy.Expr]:
    first = members[0].task
    assert isinstance(first, StepTask)
    exprs = {0: first.previous}
    for check in members:
        assert isinstance(check.task, StepTask)
        exprs[_link(check).position] = check.task.current
    return exprs


def _link(check: Check) -> Link:
    if check.link is None:
        raise ValueError("a number claim has no place in a chain")
    return check.link
