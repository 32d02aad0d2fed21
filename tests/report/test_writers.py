from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from harness.checks import REGISTRY, Source, register
from harness.report.record import Evidence, Outcome, RunRecord
from harness.report.writers import (
    junit_xml,
    report_html,
    results_json,
    summary_md,
    write_reports,
)

CHECK = REGISTRY.get("TEST-WRITER") or register(
    "TEST-WRITER", "test", "a rule for the writer tests", Source.HARNESS, "tests"
)


def _record() -> RunRecord:
    record = RunRecord(
        kind="server",
        target={"endpoint": "http://x"},
        tool={"ahi-contract": "0"},
        seed=5,
        profile="quick",
        started_at=100.0,
    )
    record.add(Outcome(CHECK.id, "GetDatastore", "passed", duration=0.5))
    record.add(
        Outcome(
            CHECK.id,
            "GetDatastore",
            "failed",
            "it broke",
            [Evidence(curl="curl -X GET http://x/datastore/a", status=500, response_body="{}")],
            duration=0.25,
        )
    )
    record.add(Outcome(CHECK.id, "ListDatastores", "passed"))
    record.finished_at = 101.0
    return record


def test_outcomes_merge_per_check_and_subject_and_failures_win() -> None:
    merged = _record().merged()
    assert [(o.subject, o.status) for o in merged] == [
        ("GetDatastore", "failed"),
        ("ListDatastores", "passed"),
    ]
    assert merged[0].duration == 0.75
    assert merged[0].evidence[0].status == 500


def test_junit_has_a_case_per_check_and_subject_with_evidence() -> None:
    suite = ElementTree.fromstring(junit_xml(_record()))
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    failed = [case for case in suite if case.find("failure") is not None]
    assert [case.get("name") for case in failed] == ["TEST-WRITER [GetDatastore]"]
    text = failed[0].find("failure").text or ""  # type: ignore[union-attr]
    assert "Rule: a rule for the writer tests" in text
    assert "Source: harness decision (tests)" in text
    assert "curl -X GET http://x/datastore/a" in text and "HTTP 500" in text


def test_results_json_is_versioned_and_complete() -> None:
    results = results_json(_record())
    assert results["schemaVersion"] == 1
    assert results["passed"] is False and results["seed"] == 5
    failed = [check for check in results["checks"] if check["status"] == "failed"]
    assert failed[0]["source"] == "harness decision"
    assert failed[0]["evidence"][0]["curl"].startswith("curl")


def test_summary_lists_each_failure_with_rule_and_source() -> None:
    text = summary_md(_record())
    assert text.startswith("## Server conformance: http://x: FAILED")
    assert "| failed | `TEST-WRITER` | GetDatastore | a rule for the writer tests " in text
    assert "| harness decision | it broke |" in text


def test_writers_are_pure_functions_of_the_record(tmp_path: Path) -> None:
    first = {p.name: p.read_bytes() for p in write_reports(_record(), tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in write_reports(_record(), tmp_path / "b")}
    assert first == second
    assert set(first) == {"junit.xml", "results.json", "summary.md", "report.html"}
    assert json.loads(first["results.json"])["kind"] == "server"


def test_sdk_reports_show_scenarios_by_sdk_with_deviations_marked() -> None:
    record = RunRecord(
        kind="sdk",
        target={"sdk": {"sdk": "boto3", "version": "1"}},
        tool={},
        seed=None,
        profile=None,
    )
    record.add(Outcome(CHECK.id, "boto3", "deviation", "known deviation: x"))
    html = report_html(record)
    assert "<th>scenario</th><th>boto3</th>" in html.replace("\n", "")
    assert '<td class="deviation"' in html
    assert "SDK certification: boto3 1" in html
