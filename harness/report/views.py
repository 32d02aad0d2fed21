"""What the human-facing reports show, computed once from a record."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from harness.model.scope import IN_SCOPE_OPERATIONS
from harness.report.record import Outcome, RunRecord

STATUS_ORDER = ("passed", "deviation", "failed", "error")


@dataclass
class Cell:
    """One matrix cell: the outcomes of a family on a subject."""

    counts: Counter[str] = field(default_factory=Counter)

    @property
    def status(self) -> str:
        present = [status for status in STATUS_ORDER if self.counts[status]]
        return present[-1] if present else "none"


@dataclass
class Matrix:
    """Rows by subject (operation or SDK), columns by check family."""

    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], Cell]


def matrix(outcomes: list[Outcome], kind: str = "server") -> Matrix:
    """Server runs: operations by check family. SDK runs: scenarios by SDK.

    A server matrix lists every operation in scope first, in scope order, judged or
    not (an operation no check reached shows as an empty row), then the suite's
    other subjects. The harness's own step outcomes stay out.
    """
    cells: dict[tuple[str, str], Cell] = {}
    for outcome in outcomes:
        if outcome.check.family == "harness":
            continue
        if kind == "sdk":
            key = (outcome.check_id, outcome.subject)
        else:
            key = (outcome.subject, outcome.check.family)
        cell = cells.setdefault(key, Cell())
        cell.counts[outcome.status] += 1
    subjects = {subject for subject, _ in cells}
    if kind == "sdk":
        rows = sorted(subjects)
    else:
        rows = list(IN_SCOPE_OPERATIONS) + sorted(subjects - set(IN_SCOPE_OPERATIONS))
    columns = sorted({family for _, family in cells})
    return Matrix(rows, columns, cells)


def totals(outcomes: list[Outcome]) -> Counter[str]:
    return Counter(outcome.status for outcome in outcomes)


def title(record: RunRecord) -> str:
    if record.kind == "sdk":
        sdk = record.target.get("sdk", {})
        name = sdk.get("sdk", record.target.get("adapter"))
        return f"SDK certification: {name} {sdk.get('version', '')}".strip()
    where = "embedded emulator" if record.target.get("embedded") else record.target.get("endpoint")
    faults = record.target.get("faults") or []
    return f"Server conformance: {where}" + (f" with faults {', '.join(faults)}" if faults else "")
