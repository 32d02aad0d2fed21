"""What the human-facing reports show, computed once from a record."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harness.model.scope import IN_SCOPE_OPERATIONS
from harness.report import replay
from harness.report.record import Evidence, Outcome, RunRecord

STATUS_ORDER = ("passed", "deviation", "failed", "error")
ALL_OPERATIONS = "all operations"
"""The subject of a check that exercised every operation (it is credited to each)."""
OTHER = "other"
_LABELS = {"jobQuota": "job quota", "s3Endpoint": "S3 endpoint", "adapter": "adapter"}
_SEED_NOTE = "replay with --seed "


@dataclass
class Cell:
    """One matrix cell: the outcomes of a family on a subject, and the checks behind them."""

    counts: Counter[str] = field(default_factory=Counter)
    checks: set[str] = field(default_factory=set)

    @property
    def status(self) -> str:
        present = [status for status in STATUS_ORDER if self.counts[status]]
        return present[-1] if present else "none"

    @property
    def title(self) -> str:
        return ", ".join(sorted(self.checks))


@dataclass
class Matrix:
    """Rows by subject (operation or suite unit), columns by check family."""

    rows: list[str]
    columns: list[str]
    cells: dict[tuple[str, str], Cell]


def operations_of(subject: str) -> list[str] | None:
    """The operations a subject names (`A, B` names two; `all operations` every one);
    None when it names a suite unit instead ("state machine", "schemathesis", ...)."""
    if subject == ALL_OPERATIONS:
        return list(IN_SCOPE_OPERATIONS)
    parts = [part.strip() for part in subject.split(",")]
    return parts if all(part in IN_SCOPE_OPERATIONS for part in parts) else None


def _judged(outcomes: list[Outcome]) -> list[Outcome]:
    """The outcomes a matrix shows: the harness's own step outcomes stay out."""
    return [outcome for outcome in outcomes if outcome.check.family != "harness"]


def _fill(cells: dict[tuple[str, str], Cell], row: str, outcome: Outcome) -> None:
    cell = cells.setdefault((row, outcome.check.family), Cell())
    cell.counts[outcome.status] += 1
    cell.checks.add(outcome.check_id)


def matrix(outcomes: list[Outcome], kind: str = "server") -> Matrix:
    """Operations by check family: every operation in scope, in scope order, judged or not.

    Server runs credit a check that spans operations to each operation it names; a
    suite unit's outcomes are in `units_matrix`. SDK runs place each scenario on its
    operation (scenario family by operation).
    """
    cells: dict[tuple[str, str], Cell] = {}
    for outcome in _judged(outcomes):
        if kind == "sdk":
            _fill(cells, outcome.check.operation or OTHER, outcome)
            continue
        for operation in operations_of(outcome.subject) or []:
            _fill(cells, operation, outcome)
    rows = list(IN_SCOPE_OPERATIONS)
    if any(row == OTHER for row, _ in cells):
        rows.append(OTHER)
    return Matrix(rows, sorted({family for _, family in cells}), cells)


def units_matrix(outcomes: list[Outcome]) -> Matrix:
    """Server runs: the suite units that are not one operation ("state machine", ...)."""
    cells: dict[tuple[str, str], Cell] = {}
    for outcome in _judged(outcomes):
        if operations_of(outcome.subject) is None:
            _fill(cells, outcome.subject, outcome)
    rows = sorted({row for row, _ in cells})
    return Matrix(rows, sorted({family for _, family in cells}), cells)


def totals(outcomes: list[Outcome]) -> Counter[str]:
    return Counter(outcome.status for outcome in outcomes)


def shown_evidence(outcome: Outcome) -> list[Evidence]:
    """The evidence worth showing: the bare "replay with --seed" notes give way to the
    full replay command the reports print beside each failure."""
    return [
        evidence
        for evidence in outcome.evidence
        if not (
            evidence.note
            and evidence.note.startswith(_SEED_NOTE)
            and evidence.curl is None
            and evidence.status is None
        )
    ]


@dataclass(frozen=True)
class Shown:
    """A piece of evidence as the reports show it.

    `curl` is the request to send again: for an embedded run, to the emulator that
    `replay.emulator_setup` starts. When `label` is set the request names resources the
    run made and `curl` is the request as the run sent it, evidence rather than a
    reproduction (the label names the check's replay command instead). `entry` is the
    request's index in the run's HAR file.
    """

    evidence: Evidence
    curl: str | None
    label: str | None
    entry: int | None


def shown(record: RunRecord, outcome: Outcome) -> list[Shown]:
    """The evidence of `outcome` as the reports show it (see `Shown`)."""
    entries = record.exchange_entries()
    command = replay.replay_command(record, outcome)
    found = []
    for evidence in shown_evidence(outcome):
        curl, label = evidence.curl, None
        if curl is not None:
            label = replay.evidence_label(curl, command)
            if label is None:
                curl = replay.standalone_curl(record, curl)
        entry = entries.get(evidence.exchange) if evidence.exchange else None
        found.append(Shown(evidence, curl, label, entry))
    return found


def verdict(record: RunRecord) -> str:
    """The run's verdict as the reports headline it: PASSED, FAILED or REFUSED."""
    return record.verdict.upper()


def counts_text(record: RunRecord) -> str:
    """The outcome counts and, when known, the seed, profile and duration, as one line."""
    if record.refused is not None:
        return "no check ran"
    counts = totals(record.merged())
    text = (
        f"{counts['passed']} passed, {counts['failed']} failed, {counts['error']} errors, "
        f"{counts['deviation']} known deviations"
    )
    if record.seed is not None:
        text += f", seed {record.seed}, profile {record.profile}"
    if record.finished_at is not None:
        text += f", {duration(record.finished_at - record.started_at)}"
    return text


def title(record: RunRecord) -> str:
    if record.kind == "selftest":
        return "Self-test: the suites against the emulator's faults and the reference SDK's bugs"
    if record.kind == "sdk":
        sdk = record.target.get("sdk", {})
        name = sdk.get("sdk", record.target.get("adapter"))
        return f"SDK certification: {name} {sdk.get('version', '')}".strip()
    where = "embedded emulator" if record.target.get("embedded") else record.target.get("endpoint")
    faults = record.target.get("faults") or []
    text = f"Server conformance: {where}" if where else "Server conformance"
    return text + (f" with faults {', '.join(faults)}" if faults else "")


def timestamp(seconds: float) -> str:
    """An epoch time as ISO 8601 in UTC, to the second."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def duration(seconds: float) -> str:
    """A duration as people read it: `850 ms`, `18.1 s`, `4 min 05 s`."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(
            f"{key} {_plain(item)}" for key, item in value.items() if item not in (None, "", [], {})
        )
    if isinstance(value, list | tuple):
        return ", ".join(_plain(item) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def metadata(record: RunRecord) -> list[tuple[str, str]]:
    """The run's metadata as labelled lines of text, in reading order."""
    rows: list[tuple[str, str]] = [("kind", record.kind)]
    target = dict(record.target)
    sdk = target.pop("sdk", None)
    if record.kind == "server":
        endpoint = str(target.pop("endpoint", ""))
        rows.append(
            (
                "target",
                f"{endpoint} (embedded emulator)" if target.pop("embedded", False) else endpoint,
            )
        )
    if isinstance(sdk, dict) and sdk:
        rest = {key: value for key, value in sdk.items() if key not in ("hello", "sdk", "version")}
        name = f"{sdk.get('sdk', '')} {sdk.get('version', '')}".strip()
        rows.append(("SDK", ", ".join(part for part in (name, _plain(rest)) if part)))
    for key, value in target.items():
        if value not in (None, "", [], {}):
            rows.append((_LABELS.get(key, key), _plain(value)))
    if record.profile:
        rows.append(("profile", record.profile))
    if record.seed is not None:
        rows.append(("seed", str(record.seed)))
    rows.append(("started", timestamp(record.started_at)))
    if record.finished_at is not None:
        rows.append(("finished", timestamp(record.finished_at)))
        rows.append(("duration", duration(record.finished_at - record.started_at)))
    rows.append(("host", record.host))
    tool = dict(record.tool)
    model = [f"API {tool.pop('modelApiVersion')}" if "modelApiVersion" in tool else ""]
    if "modelSha256" in tool:
        model.append(f"sha256 {tool.pop('modelSha256')}")
    rows.append(("tools", _plain(tool)))
    if any(model):
        rows.append(("model", ", ".join(part for part in model if part)))
    if record.exchanges_file:
        rows.append(("exchanges", f"{len(record.exchanges)} recorded in {record.exchanges_file}"))
    return rows
