"""Writers: pure functions from a `RunRecord` to report files."""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from harness.report import replay, views
from harness.report.record import RESULTS_SCHEMA_VERSION, Evidence, Outcome, RunRecord

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot carry, even escaped (generated test data holds them)."""


def xml_text(text: str) -> str:
    """`text` with the characters XML 1.0 forbids written as `\\xNN` escapes."""
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def outcome_text(outcome: Outcome, record: RunRecord | None = None) -> str:
    """A failure as text: rule, source, message and every piece of evidence."""
    check = outcome.check
    lines = [
        f"Rule: {check.rule}",
        f"Source: {check.source.value} ({check.reference})",
        f"Message: {outcome.message}",
    ]
    command = replay.replay_command(record, outcome) if record is not None else None
    if record is not None and command is not None:
        lines += ["Replay:", *replay.emulator_setup(record), command]
    for index, evidence in enumerate(views.shown_evidence(outcome), 1):
        lines.append(f"--- evidence {index}")
        if evidence.note:
            lines.append(evidence.note)
        if evidence.curl:
            lines.append(evidence.curl)
        if evidence.status is not None:
            lines.append(f"HTTP {evidence.status}")
            lines += [f"{name}: {value}" for name, value in evidence.response_headers.items()]
        if evidence.response_body:
            lines.append(evidence.response_body)
        if evidence.exchange:
            lines.append(f"exchange {evidence.exchange}")
    return "\n".join(lines)


def _flattened(prefix: str, value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in _flattened(f"{prefix}.{key}", item)]
    if value is None or value == [] or value == "":
        return []
    if isinstance(value, list | tuple):
        return [(prefix, ",".join(str(item) for item in value))]
    return [(prefix, str(value).lower() if isinstance(value, bool) else str(value))]


def junit_properties(record: RunRecord) -> list[tuple[str, str]]:
    """The run's facts as JUnit properties: seed, profile, target, tool, model and SDK versions."""
    properties = [("kind", record.kind), ("startedAt", views.timestamp(record.started_at))]
    if record.seed is not None:
        properties.append(("seed", str(record.seed)))
    if record.profile:
        properties.append(("profile", record.profile))
    properties += _flattened("target", record.target)
    properties += _flattened("tool", record.tool)
    if record.exchanges_file:
        properties.append(("exchanges", record.exchanges_file))
    return properties


def junit_xml(record: RunRecord) -> str:
    """JUnit XML (the Ant format Jenkins, GitLab and GitHub read): a test case per check
    and subject with its duration, the suite's timestamp, host, counts and properties."""
    outcomes = record.merged()
    aborted = 1 if record.aborted else 0
    suite = ElementTree.Element(
        "testsuite",
        name=f"ahi-contract {record.kind}",
        tests=str(len(outcomes) + aborted),
        failures=str(sum(o.status == "failed" for o in outcomes)),
        errors=str(sum(o.status == "error" for o in outcomes) + aborted),
        skipped=str(sum(o.status == "deviation" for o in outcomes)),
        time=f"{(record.finished_at or record.started_at) - record.started_at:.3f}",
        timestamp=datetime.fromtimestamp(record.started_at, UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        hostname=record.host or "localhost",
    )
    properties = ElementTree.SubElement(suite, "properties")
    for name, value in junit_properties(record):
        ElementTree.SubElement(properties, "property", name=name, value=xml_text(value))
    for outcome in outcomes:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=f"{record.kind}.{outcome.check.family}",
            name=xml_text(f"{outcome.check_id} [{outcome.subject}]"),
            time=f"{outcome.duration:.6f}",
        )
        if outcome.status == "deviation":
            skipped = ElementTree.SubElement(
                case, "skipped", message=xml_text(outcome.message[:500])
            )
            skipped.text = xml_text(outcome_text(outcome, record))
        elif outcome.status != "passed":
            tag = "failure" if outcome.status == "failed" else "error"
            element = ElementTree.SubElement(case, tag, message=xml_text(outcome.message[:500]))
            element.text = xml_text(outcome_text(outcome, record))
    if record.aborted:
        case = ElementTree.SubElement(
            suite, "testcase", classname=record.kind, name="run", time="0.000"
        )
        aborted_text = xml_text(record.aborted)
        ElementTree.SubElement(case, "error", message=aborted_text).text = aborted_text
    ElementTree.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(
        suite, encoding="unicode"
    )


def _evidence_json(evidence: Evidence, entries: dict[str, int]) -> dict[str, Any]:
    shown = asdict(evidence)
    if evidence.exchange in entries:
        shown["harEntry"] = entries[evidence.exchange]
    return shown


def _replay_json(record: RunRecord, outcome: Outcome) -> dict[str, str]:
    command = replay.replay_command(record, outcome) if outcome.status != "passed" else None
    return {} if command is None else {"replay": command}


def results_json(record: RunRecord) -> dict[str, Any]:
    """The machine-readable results (schema version RESULTS_SCHEMA_VERSION).

    Fields are only ever added to a version: `host`, `replay` (the emulator set-up and
    the command that replays the run), `exchanges` (the HAR file), and per check its
    `replay` command and each evidence's `exchange` id and `harEntry` index.
    """
    entries = record.exchange_entries()
    return {
        "schemaVersion": RESULTS_SCHEMA_VERSION,
        "kind": record.kind,
        "tool": record.tool,
        "target": record.target,
        "profile": record.profile,
        "seed": record.seed,
        "startedAt": record.started_at,
        "finishedAt": record.finished_at,
        "passed": record.passed,
        "aborted": record.aborted,
        "host": record.host,
        "replay": {
            "setup": replay.emulator_setup(record),
            "command": replay.server_command(record) if record.kind == "server" else None,
        },
        "exchanges": (
            {"file": record.exchanges_file, "count": len(record.exchanges)}
            if record.exchanges_file
            else None
        ),
        "checks": [
            {
                "id": outcome.check_id,
                "family": outcome.check.family,
                "rule": outcome.check.rule,
                "source": outcome.check.source.value,
                "reference": outcome.check.reference,
                "subject": outcome.subject,
                "status": outcome.status,
                "message": outcome.message,
                "duration": round(outcome.duration, 4),
                "evidence": [_evidence_json(evidence, entries) for evidence in outcome.evidence],
                **_replay_json(record, outcome),
            }
            for outcome in record.merged()
        ],
    }


MAX_REPRODUCED = 40
"""Failed checks the summary spells out with their commands (a CI job summary has a size limit)."""
CURLS_PER_CHECK = 3


def _fenced(lines: list[str]) -> list[str]:
    return ["```sh", *lines, "```"]


def _reproductions(record: RunRecord, problems: list[Outcome]) -> list[str]:
    """The summary's "Reproduce" section: the set-up, then per failed check its replay
    command and the requests that showed the failure as curl commands."""
    by_check: dict[str, list[Outcome]] = {}
    for outcome in problems:
        if outcome.status in ("failed", "error"):
            by_check.setdefault(outcome.check_id, []).append(outcome)
    if not by_check:
        return []
    lines = ["", "### Reproduce", ""]
    setup = replay.emulator_setup(record)
    if setup:
        lines += [
            "Start the emulator as the run had it (same port and faults), in the shell you "
            "replay from:",
            "",
            *_fenced(setup),
        ]
    elif record.kind == "server":
        lines.append(
            "Credentials come from the environment (`AWS_ACCESS_KEY_ID`, "
            "`AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), as for every AWS tool."
        )
    entries = record.exchange_entries()
    for check_id, outcomes in list(by_check.items())[:MAX_REPRODUCED]:
        first = outcomes[0]
        message = first.message.splitlines()[0] if first.message else first.status
        subjects = ", ".join(outcome.subject for outcome in outcomes)
        lines += [
            "",
            f"#### `{check_id}`",
            "",
            f"{first.status} on {subjects}: {message[:300]}",
            "",
        ]
        command = replay.replay_command(record, first)
        lines += _fenced([command]) if command else []
        shown = 0
        for outcome in outcomes:
            evidence = next((e for e in views.shown_evidence(outcome) if e.curl), None)
            if evidence is None or evidence.curl is None or shown == CURLS_PER_CHECK:
                continue
            shown += 1
            where = ""
            if evidence.exchange in entries:
                where = f" (entry {entries[evidence.exchange]} of `{record.exchanges_file}`)"
            answer = f", answered HTTP {evidence.status}" if evidence.status is not None else ""
            lines += ["", f"{outcome.subject}{answer}{where}:", "", *_fenced([evidence.curl])]
    if len(by_check) > MAX_REPRODUCED:
        more = len(by_check) - MAX_REPRODUCED
        lines += ["", f"... and {more} more failed checks in results.json and report.html"]
    return lines


def summary_md(record: RunRecord) -> str:
    """A Markdown summary that fits a CI job summary: the verdict, a table of failures, and
    the commands that reproduce each."""
    outcomes = record.merged()
    counts = views.totals(outcomes)
    lines = [
        f"## {views.title(record)}: {'passed' if record.passed else 'FAILED'}",
        "",
        f"{counts['passed']} passed, {counts['failed']} failed, {counts['error']} errors, "
        f"{counts['deviation']} known deviations"
        + (
            f" — seed `{record.seed}`, profile `{record.profile}`"
            if record.seed is not None
            else ""
        )
        + (
            f", {views.duration(record.finished_at - record.started_at)}"
            if record.finished_at is not None
            else ""
        ),
    ]
    if record.aborted:
        lines += ["", f"**The run ended early:** {record.aborted}"]
    problems = [o for o in outcomes if o.status != "passed"]
    if problems:
        lines += [
            "",
            "| status | check | subject | rule | source | message |",
            "|---|---|---|---|---|---|",
        ]
        for outcome in problems:
            message = outcome.message.splitlines()[0] if outcome.message else ""
            cells = [
                outcome.status,
                f"`{outcome.check_id}`",
                outcome.subject,
                outcome.check.rule,
                outcome.check.source.value,
                message[:200],
            ]
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    lines += _reproductions(record, problems)
    return "\n".join(lines) + "\n"


_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("harness.report", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def report_html(record: RunRecord, exchanges_href: str | None = None) -> str:
    """One self-contained HTML page: metadata, the matrices, every failure with its evidence
    and replay command, and the passed checks; filtered in the page without a network.

    `exchanges_href` links the recorded HAR file (relative to the page).
    """
    outcomes = record.merged()
    problems = [o for o in outcomes if o.status != "passed"]
    return _TEMPLATES.get_template("report.html.j2").render(
        title=views.title(record),
        record=record,
        totals=views.totals(outcomes),
        meta=views.metadata(record),
        grid=views.matrix(outcomes, record.kind),
        units=views.units_matrix(outcomes) if record.kind == "server" else None,
        statuses=views.STATUS_ORDER,
        problems=problems,
        passed=[o for o in outcomes if o.status == "passed"],
        evidence_of=views.shown_evidence,
        replay_of=lambda outcome: replay.replay_command(record, outcome),
        setup=replay.emulator_setup(record),
        entries=record.exchange_entries(),
        exchanges_href=exchanges_href,
        duration=views.duration,
    )


def _relative(path: str | None, directory: Path) -> str | None:
    """`path` as a link from a page in `directory`."""
    if path is None:
        return None
    return Path(os.path.relpath(Path(path).resolve(), directory.resolve())).as_posix()


def write_reports(record: RunRecord, directory: Path) -> list[Path]:
    """Write every report for `record` into `directory`; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    contents = {
        "junit.xml": junit_xml(record),
        "results.json": json.dumps(results_json(record), indent=2) + "\n",
        "summary.md": summary_md(record),
        "report.html": report_html(record, _relative(record.exchanges_file, directory)),
    }
    written = []
    for name, text in contents.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
