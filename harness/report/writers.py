"""Writers: pure functions from a `RunRecord` to report files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from dataclasses import asdict
from pathlib import Path
from typing import Any

import jinja2

from harness.report import views
from harness.report.record import RESULTS_SCHEMA_VERSION, Outcome, RunRecord


def outcome_text(outcome: Outcome) -> str:
    """A failure as text: rule, source, message and every piece of evidence."""
    check = outcome.check
    lines = [
        f"Rule: {check.rule}",
        f"Source: {check.source.value} ({check.reference})",
        f"Message: {outcome.message}",
    ]
    for index, evidence in enumerate(outcome.evidence, 1):
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
    return "\n".join(lines)


def junit_xml(record: RunRecord) -> str:
    """JUnit XML: a test case per check and subject, so CI systems list them."""
    outcomes = record.merged()
    suite = ElementTree.Element(
        "testsuite",
        name=f"ahi-contract {record.kind}",
        tests=str(len(outcomes)),
        failures=str(sum(o.status == "failed" for o in outcomes)),
        errors=str(sum(o.status == "error" for o in outcomes) + (1 if record.aborted else 0)),
        time=f"{(record.finished_at or record.started_at) - record.started_at:.3f}",
    )
    for outcome in outcomes:
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=f"{record.kind}.{outcome.check.family}",
            name=f"{outcome.check_id} [{outcome.subject}]",
            time=f"{outcome.duration:.3f}",
        )
        if outcome.status == "deviation":
            skipped = ElementTree.SubElement(case, "skipped", message=outcome.message[:500])
            skipped.text = outcome_text(outcome)
        elif outcome.status != "passed":
            tag = "failure" if outcome.status == "failed" else "error"
            element = ElementTree.SubElement(case, tag, message=outcome.message[:500])
            element.text = outcome_text(outcome)
    if record.aborted:
        case = ElementTree.SubElement(suite, "testcase", classname=record.kind, name="run")
        ElementTree.SubElement(case, "error", message=record.aborted).text = record.aborted
    ElementTree.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(
        suite, encoding="unicode"
    )


def results_json(record: RunRecord) -> dict[str, Any]:
    """The machine-readable results (schema version RESULTS_SCHEMA_VERSION)."""
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
                "evidence": [asdict(evidence) for evidence in outcome.evidence],
            }
            for outcome in record.merged()
        ],
    }


def summary_md(record: RunRecord) -> str:
    """A Markdown summary that fits a CI job summary."""
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
    return "\n".join(lines) + "\n"


_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("harness.report", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def report_html(record: RunRecord) -> str:
    """One self-contained HTML page: the matrix, and every failure with its evidence."""
    outcomes = record.merged()
    meta = [
        ("kind", record.kind),
        ("target", json.dumps(record.target)),
        ("tool", json.dumps(record.tool)),
        ("profile", record.profile),
        ("seed", record.seed),
    ]
    return _TEMPLATES.get_template("report.html.j2").render(
        title=views.title(record),
        record=record,
        totals=views.totals(outcomes),
        meta=[(key, value) for key, value in meta if value is not None],
        grid=views.matrix(outcomes, record.kind),
        statuses=views.STATUS_ORDER,
        problems=[o for o in outcomes if o.status != "passed"],
    )


def write_reports(record: RunRecord, directory: Path) -> list[Path]:
    """Write every report for `record` into `directory`; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    contents = {
        "junit.xml": junit_xml(record),
        "results.json": json.dumps(results_json(record), indent=2) + "\n",
        "summary.md": summary_md(record),
        "report.html": report_html(record),
    }
    written = []
    for name, text in contents.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
