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

from harness import __version__
from harness.report import replay, views
from harness.report.record import RESULTS_SCHEMA_VERSION, Evidence, Outcome, RunRecord

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot carry, even escaped (generated test data holds them)."""


def xml_text(text: str) -> str:
    """`text` with the characters XML 1.0 forbids written as `\\xNN` escapes."""
    return _NOT_XML.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def outcome_text(outcome: Outcome, record: RunRecord | None = None) -> str:
    """A failure as text: rule, source, message, the command that replays it, and every
    piece of evidence (a request that names resources the run made is labelled so)."""
    check = outcome.check
    lines = [
        f"Rule: {check.rule}",
        f"Source: {check.source.value} ({check.reference})",
        f"Message: {outcome.message}",
    ]
    command = replay.replay_command(record, outcome) if record is not None else None
    if command is not None:
        lines += ["Replay:", command]
    for index, evidence in enumerate(views.shown_evidence(outcome), 1):
        lines.append(f"--- evidence {index}")
        if evidence.note:
            lines.append(evidence.note)
        if evidence.curl:
            label = replay.evidence_label(evidence.curl, command)
            lines += [label, evidence.curl] if label else [evidence.curl]
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
    stopped = record.refused or record.aborted
    aborted = 1 if stopped else 0
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
    if stopped:
        case = ElementTree.SubElement(
            suite, "testcase", classname=record.kind, name="run", time="0.000"
        )
        why = "refused: " if record.refused else "ended early: "
        stopped_text = xml_text(why + stopped)
        ElementTree.SubElement(case, "error", message=stopped_text).text = stopped_text
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
    the command that replays the run), `exchanges` (the HAR file), `shard` (`{index,
    count}` of a `--shard K/N` run, else null), `status` (`passed`,
    `failed`, or `refused`: the run never started, `refused` says why and `checks` is
    empty), and per check its `replay` command and each evidence's `exchange` id and
    `harEntry` index.
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
        "status": record.verdict,
        "passed": record.passed,
        "aborted": record.aborted,
        "refused": record.refused,
        "host": record.host,
        "shard": record.shard.as_json() if record.shard else None,
        "replay": {
            "setup": replay.emulator_setup(record),
            "command": (
                replay.server_command(record)
                if record.kind == "server" and record.refused is None
                else None
            ),
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


def _fenced(lines: list[str], language: str = "sh") -> list[str]:
    return [f"```{language}", *lines, "```"]


def _failed_by_check(outcomes: list[Outcome]) -> dict[str, list[Outcome]]:
    by_check: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        if outcome.status in ("failed", "error"):
            by_check.setdefault(outcome.check_id, []).append(outcome)
    return by_check


def _check_section(record: RunRecord, outcomes: list[Outcome]) -> tuple[list[str], bool]:
    """One failed check in the summary: what failed, the command that replays it, and up to
    CURLS_PER_CHECK requests that showed it; and whether one of them is sent again."""
    first = outcomes[0]
    message = first.message.splitlines()[0] if first.message else first.status
    subjects = ", ".join(outcome.subject for outcome in outcomes)
    lines = ["", f"#### `{first.check_id}`", "", f"{first.status} on {subjects}: {message[:300]}"]
    command = replay.replay_command(record, first)
    if command:
        lines += ["", *_fenced([command])]
    sent_again, curls = False, 0
    for outcome in outcomes:
        item = next((item for item in views.shown(record, outcome) if item.curl), None)
        if item is None or item.curl is None or curls == CURLS_PER_CHECK:
            continue
        curls += 1
        where = (
            f" (entry {item.entry} of `{record.exchanges_file}`)" if item.entry is not None else ""
        )
        status = item.evidence.status
        answer = f", answered HTTP {status}" if status is not None else ""
        if item.label is None:
            sent_again = True
            lines += ["", f"{outcome.subject}{answer}{where}:", "", *_fenced([item.curl])]
        else:
            label = replay.evidence_label(item.curl, f"`{command}`" if command else None) or ""
            lines += [
                "",
                f"{outcome.subject}{answer}{where}. {label[0].upper()}{label[1:]}",
                "",
                *_fenced([item.curl], "text"),
            ]
    return lines, sent_again


def _reproductions(record: RunRecord, outcomes: list[Outcome]) -> list[str]:
    """The summary's "Reproduce" section: per failed check the command that replays it and
    the requests that showed it; for an embedded run, the lines that start an emulator for
    those requests first and stop it last, so that the section's `sh` blocks run in order
    form a bash script."""
    by_check = _failed_by_check(outcomes)
    if not by_check:
        return []
    lines = ["", "### Reproduce"]
    if replay.embedded(record):
        lines += [
            "",
            "Each failed check replays with the command under it, which starts the embedded "
            "emulator with the run's faults itself.",
        ]
    elif record.kind == "server":
        lines += [
            "",
            "Each failed check replays with the command under it. Credentials come from the "
            "environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), "
            "as for every AWS tool.",
        ]
    elif record.kind == "sdk":
        lines += ["", "Each failed scenario replays with the command under it."]
    sections: list[str] = []
    sent_again = False
    for outcomes_of_check in list(by_check.values())[:MAX_REPRODUCED]:
        section, sends = _check_section(record, outcomes_of_check)
        sections += section
        sent_again = sent_again or sends
    setup = replay.emulator_setup(record) if sent_again else []
    if setup:
        lines += [
            "",
            "The requests shown as `sh` are sent again to an emulator started as the run had "
            f"it. This starts one on a free port (bash; it gives up after {replay.START_SECONDS} "
            f"s) and puts its URL in `${replay.ENDPOINT_VARIABLE}`; the last block stops it. "
            "The `sh` blocks of this section, run in order, are one script.",
            "",
            *_fenced(setup),
        ]
    lines += sections
    if setup:
        lines += ["", "Stop the emulator:", "", *_fenced(replay.emulator_stop(record))]
    if len(by_check) > MAX_REPRODUCED:
        more = len(by_check) - MAX_REPRODUCED
        lines += ["", f"... and {more} more failed checks in results.json and report.html"]
    return lines


def summary_md(record: RunRecord) -> str:
    """A Markdown summary that fits a CI job summary: the verdict, a table of failures, and
    the commands that reproduce each (or, for a refused run, why it was refused)."""
    outcomes = record.merged()
    lines = [f"## {views.title(record)}: {views.verdict(record)}", ""]
    if record.refused is not None:
        lines += [
            f"**The run was refused before any check ran:** {record.refused}",
            "",
            "Nothing was checked: these reports replace those of any earlier run here.",
        ]
        return "\n".join(lines) + "\n"
    lines.append(views.counts_text(record))
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
    """One self-contained HTML page that opens on the verdict and the failures, each with
    its rule, source, message, replay command and evidence; the metadata, the matrices, the
    known deviations and the passed checks follow, folded. Filtered in the page, offline.

    `exchanges_href` links the recorded HAR file (relative to the page).
    """
    outcomes = record.merged()
    failures = [o for o in outcomes if o.status in ("failed", "error")]
    sends_again = any(
        item.curl and item.label is None
        for outcome in failures
        for item in views.shown(record, outcome)
    )
    return _TEMPLATES.get_template("report.html.j2").render(
        title=views.title(record),
        record=record,
        verdict=views.verdict(record),
        counts=views.counts_text(record),
        totals=views.totals(outcomes),
        meta=views.metadata(record),
        grid=views.matrix(outcomes, record.kind),
        units=views.units_matrix(outcomes) if record.kind == "server" else None,
        statuses=views.STATUS_ORDER,
        failures=failures,
        deviations=[o for o in outcomes if o.status == "deviation"],
        passed=[o for o in outcomes if o.status == "passed"],
        shown=lambda outcome: views.shown(record, outcome),
        replay_of=lambda outcome: replay.replay_command(record, outcome),
        setup=replay.emulator_setup(record) if sends_again else [],
        stop=replay.emulator_stop(record),
        start_seconds=replay.START_SECONDS,
        endpoint_variable=replay.ENDPOINT_VARIABLE,
        exchanges_href=exchanges_href,
        duration=views.duration,
    )


def _relative(path: str | None, directory: Path) -> str | None:
    """`path` as a link from a page in `directory`."""
    if path is None:
        return None
    return Path(os.path.relpath(Path(path).resolve(), directory.resolve())).as_posix()


REPORT_FILES = ("junit.xml", "results.json", "summary.md", "report.html")
"""The report set every run writes into its report directory."""


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
    for name in REPORT_FILES:
        path = directory / name
        path.write_text(contents[name], encoding="utf-8")
        written.append(path)
    return written


def refusal_record(
    kind: str,
    reason: str,
    target: dict[str, Any] | None = None,
    seed: int | None = None,
    profile: str | None = None,
) -> RunRecord:
    """The record of a run refused before any check ran, for `reason`."""
    record = RunRecord(
        kind=kind,
        target=dict(target or {}),
        tool={"ahi-contract": __version__},
        seed=seed,
        profile=profile,
        refused=" ".join(reason.split()),
    )
    record.finished_at = record.started_at
    return record


def write_refusal(
    directory: Path,
    kind: str,
    reason: str,
    target: dict[str, Any] | None = None,
    seed: int | None = None,
    profile: str | None = None,
) -> list[Path]:
    """Write the report set of a refused `kind` run into `directory`, saying why, in place of
    any earlier run's (each file of the set is removed first, so none is left stale).

    Returns the paths written; [] when `directory` cannot be written (the refusal on
    stderr is then all there is).
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name in REPORT_FILES:
            (directory / name).unlink(missing_ok=True)
        return write_reports(refusal_record(kind, reason, target, seed, profile), directory)
    except OSError:
        return []
