from __future__ import annotations

import json
import re
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import xmlschema

from harness.checks import REGISTRY, Source, register
from harness.report.record import Evidence, Outcome, RunRecord
from harness.report.writers import (
    REPORT_FILES,
    junit_xml,
    refusal_record,
    report_html,
    results_json,
    summary_md,
    write_refusal,
    write_reports,
)

CHECK = REGISTRY.get("TEST-WRITER") or register(
    "TEST-WRITER", "test", "a rule for the writer tests", Source.HARNESS, "tests"
)
JUNIT_SCHEMA = xmlschema.XMLSchema(Path(__file__).with_name("junit.xsd"))


def _record() -> RunRecord:
    record = RunRecord(
        kind="server",
        target={"endpoint": "http://x", "region": "us-east-1", "faults": []},
        tool={"ahi-contract": "0", "botocore": "1.43.11", "modelSha256": "ab12"},
        seed=5,
        profile="quick",
        started_at=100.0,
        host="ci-runner-7",
    )
    record.add(Outcome(CHECK.id, "GetDatastore", "passed", duration=0.5))
    record.add(
        Outcome(
            CHECK.id,
            "GetDatastore",
            "failed",
            "it broke",
            [
                Evidence(
                    curl="curl -X GET http://x/datastore/a",
                    status=500,
                    response_body="{}",
                    exchange="ab-1",
                ),
                Evidence(note="replay with --seed 5"),
            ],
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
    assert suite.get("skipped") == "0" and suite.get("hostname") == "ci-runner-7"
    assert suite.get("timestamp") == "1970-01-01T00:01:40"
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["seed"] == "5" and properties["profile"] == "quick"
    assert properties["target.endpoint"] == "http://x"
    assert properties["tool.botocore"] == "1.43.11" and properties["tool.modelSha256"] == "ab12"
    times = {case.get("name"): case.get("time") for case in suite.iter("testcase")}
    assert times["TEST-WRITER [GetDatastore]"] == "0.750000"
    failed = [case for case in suite if case.find("failure") is not None]
    assert [case.get("name") for case in failed] == ["TEST-WRITER [GetDatastore]"]
    text = failed[0].find("failure").text or ""  # type: ignore[union-attr]
    assert "Rule: a rule for the writer tests" in text
    assert "Source: harness decision (tests)" in text
    assert "curl -X GET http://x/datastore/a" in text and "HTTP 500" in text
    assert "ahi-contract server --endpoint http://x" in text and "--check TEST-WRITER" in text
    assert "replay with --seed" not in text  # the full replay command says it


def test_junit_validates_against_the_ant_and_jenkins_schema() -> None:
    JUNIT_SCHEMA.validate(junit_xml(_record()))
    sdk = RunRecord(kind="sdk", target={"adapter": "boto3"}, tool={}, seed=None, profile=None)
    sdk.add(Outcome(CHECK.id, "boto3", "deviation", "known deviation: x"))
    sdk.aborted = "the adapter crashed"
    text = junit_xml(sdk)
    JUNIT_SCHEMA.validate(text)
    suite = ElementTree.fromstring(text)
    assert suite.get("skipped") == "1" and suite.get("errors") == "1" and suite.get("tests") == "2"


def test_outcomes_without_a_duration_take_the_time_since_the_last_one() -> None:
    record = RunRecord(kind="server", target={}, tool={}, seed=1, profile="quick")
    record.lap()
    time.sleep(0.05)
    record.add(Outcome(CHECK.id, "GetDatastore", "passed"))
    record.add(Outcome(CHECK.id, "ListDatastores", "passed", duration=2.0))
    first, second = record.outcomes
    assert 0.04 < first.duration < 5 and second.duration == 2.0


def test_results_json_is_versioned_and_complete() -> None:
    results = results_json(_record())
    assert results["schemaVersion"] == 1
    assert results["passed"] is False and results["seed"] == 5
    failed = [check for check in results["checks"] if check["status"] == "failed"]
    assert failed[0]["source"] == "harness decision"
    assert failed[0]["evidence"][0]["curl"].startswith("curl")
    assert failed[0]["evidence"][0]["exchange"] == "ab-1"
    assert failed[0]["replay"].endswith("--seed 5 --profile quick --check TEST-WRITER")
    assert results["host"] == "ci-runner-7" and results["exchanges"] is None
    assert results["replay"] == {
        "setup": [],
        "command": "ahi-contract server --endpoint http://x --region us-east-1 --seed 5 "
        "--profile quick",
    }


def test_summary_lists_each_failure_with_rule_and_source() -> None:
    text = summary_md(_record())
    assert text.startswith("## Server conformance: http://x: FAILED")
    assert "| failed | `TEST-WRITER` | GetDatastore | a rule for the writer tests " in text
    assert "| harness decision | it broke |" in text
    assert "```sh\nahi-contract server --endpoint http://x --region us-east-1 --seed 5 " in text
    assert "#### `TEST-WRITER`\n\nfailed on GetDatastore: it broke\n" in text
    assert (
        "GetDatastore, answered HTTP 500:\n\n```sh\ncurl -X GET http://x/datastore/a\n```" in text
    )


def test_writers_are_pure_functions_of_the_record(tmp_path: Path) -> None:
    record = _record()
    first = {p.name: p.read_bytes() for p in write_reports(record, tmp_path / "a")}
    second = {p.name: p.read_bytes() for p in write_reports(record, tmp_path / "b")}
    assert first == second
    assert set(first) == {"junit.xml", "results.json", "summary.md", "report.html"}
    assert json.loads(first["results.json"])["kind"] == "server"


def test_sdk_reports_show_scenario_families_by_operation_with_deviations_marked() -> None:
    from harness.sdk.scenarios import CATALOGUE

    scenario = next(s for s in CATALOGUE if s.operation == "GetImageFrame")
    record = RunRecord(
        kind="sdk",
        target={"adapter": "boto3", "sdk": {"sdk": "boto3", "version": "1"}},
        tool={},
        seed=None,
        profile=None,
    )
    record.add(Outcome(scenario.id, "boto3", "deviation", "known deviation: x"))
    html = report_html(record).replace("\n", "")
    assert f"<th>operation</th><th>{scenario.family}</th>" in html
    row = html.split("<th>GetImageFrame</th>", 1)[1].split("</tr>", 1)[0]
    assert '<td class="deviation"' in row and scenario.id in row
    assert "SDK certification: boto3 1" in html
    assert f"ahi-contract sdk --adapter boto3 --scenario {scenario.id}" in html


def test_html_shows_metadata_as_text_passed_checks_and_the_replay() -> None:
    html = report_html(_record())
    assert "<td>started</td><td>1970-01-01T00:01:40Z</td>" in html
    assert "<td>duration</td><td>1.0 s</td>" in html
    assert "<td>tools</td><td>ahi-contract 0, botocore 1.43.11</td>" in html
    assert "{&#34;" not in html and '{"' not in html.split("<script>")[0]  # no raw JSON
    passed = html.split('id="passed"', 1)[1]
    assert "<td>TEST-WRITER</td><td>ListDatastores</td>" in passed
    assert "--check TEST-WRITER" in html and 'id="filter"' in html


def test_a_selftest_record_has_no_replay_command() -> None:
    record = RunRecord(kind="selftest", target={"workers": 2}, tool={}, seed=1, profile="quick")
    record.add(Outcome(CHECK.id, "fault x", "failed", "missed"))
    text = junit_xml(record)
    JUNIT_SCHEMA.validate(text)
    assert "Replay:" not in text and "ahi-contract server" not in summary_md(record)
    assert "replay" not in results_json(record)["checks"][0]


def test_characters_xml_cannot_carry_are_escaped_in_junit() -> None:
    record = _record()
    record.add(Outcome(CHECK.id, "GetImageSet", "failed", "generated `\x11\ud800` data"))
    text = junit_xml(record)
    JUNIT_SCHEMA.validate(text)
    assert "generated `\\x11\\xd800` data" in text


def test_results_json_states_the_runs_status() -> None:
    assert results_json(_record())["status"] == "failed"
    passing = RunRecord(kind="server", target={}, tool={}, seed=1, profile="quick")
    passing.add(Outcome(CHECK.id, "GetDatastore", "passed"))
    assert results_json(passing)["status"] == "passed"
    assert results_json(passing)["refused"] is None


def test_html_opens_on_the_verdict_and_the_failures_and_folds_the_rest() -> None:
    html = report_html(_record())
    body = html.split("<body>", 1)[1]
    verdict = body.index('id="verdict"')
    failure = body.index('id="TEST-WRITER--1"')
    assert verdict < failure < body.index('id="meta"') < body.index('id="matrix"')
    tag = re.search(r'<details[^>]*id="TEST-WRITER--1"[^>]*>', body)
    assert tag is not None and " open " in tag.group(0)
    for section in ("run-details", "matrix-section", "passed-checks"):
        folded = re.search(rf'<details[^>]*id="{section}"[^>]*>', body)
        assert folded is not None and "open" not in folded.group(0), section
    meta = body.index('id="meta"')
    assert body.rindex("<details", 0, meta) == body.index(
        '<details class="folded" id="run-details"'
    )
    first = body[failure : body.index("</details>", failure)]
    for shown in (
        "Rule:</strong> a rule for the writer tests",
        "Source:</strong> harness decision (tests)",
        "it broke",
        "--seed 5 --profile quick --check TEST-WRITER",
        "curl -X GET http://x/datastore/a",
        "HTTP 500",
    ):
        assert shown in first, shown
    assert first.index("--check TEST-WRITER") < first.index("curl -X GET")


def _refused() -> RunRecord:
    return refusal_record(
        "server",
        "cannot run: cannot connect to 127.0.0.1:9:\n  Connection refused",
        {"endpoint": "http://127.0.0.1:9", "embedded": False, "faults": []},
        profile="quick",
    )


def test_a_refused_runs_reports_say_it_was_refused_and_why() -> None:
    record = _refused()
    reason = "cannot run: cannot connect to 127.0.0.1:9: Connection refused"
    assert record.refused == reason and not record.passed

    results = results_json(record)
    assert results["status"] == "refused" and results["refused"] == reason
    assert results["passed"] is False and results["checks"] == []
    assert results["replay"] == {"setup": [], "command": None}

    text = junit_xml(record)
    JUNIT_SCHEMA.validate(text)
    suite = ElementTree.fromstring(text)
    assert suite.get("tests") == "1" and suite.get("errors") == "1"
    (case,) = suite.iter("testcase")
    error = case.find("error")
    assert error is not None and error.get("message") == f"refused: {reason}"

    summary = summary_md(record)
    assert summary.startswith("## Server conformance: http://127.0.0.1:9: REFUSED\n")
    assert f"refused before any check ran:** {reason}" in summary
    assert "passed," not in summary and "Reproduce" not in summary

    html = report_html(record)
    assert '<span id="verdict" class="verdict refused">REFUSED</span>' in html
    assert reason in html.split('id="refusal"', 1)[1].split("</div>", 1)[0]
    assert 'id="matrix"' not in html and 'id="filter"' not in html


def test_a_refusal_replaces_every_report_of_an_earlier_run(tmp_path: Path) -> None:
    write_reports(_record(), tmp_path)
    (tmp_path / "summary.md").unlink()  # an earlier run that left only some of the set
    (tmp_path / "exchanges.har").write_text("{}")  # not of the set: stays
    written = write_refusal(tmp_path, "sdk", "unknown scenario(s): NOPE", {"adapter": "boto3"})
    assert [path.name for path in written] == list(REPORT_FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*REPORT_FILES, "exchanges.har"])
    for name in REPORT_FILES:
        text = (tmp_path / name).read_text()
        assert "TEST-WRITER" not in text and "it broke" not in text, name
        assert "unknown scenario(s): NOPE" in text, name
    assert json.loads((tmp_path / "results.json").read_text())["kind"] == "sdk"
    assert "SDK certification: boto3: REFUSED" in (tmp_path / "summary.md").read_text()


def test_a_refusal_into_a_folder_that_cannot_be_written_writes_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert write_refusal(blocker / "reports", "server", "why") == []
    assert blocker.read_text() == "not a folder"


def test_a_request_naming_resources_the_run_made_is_labelled_as_evidence() -> None:
    own = "ee81664590de4c168e174602fa92e7e7"
    record = _record()
    record.add(
        Outcome(
            CHECK.id,
            "GetImageSet",
            "failed",
            "answered 500",
            [
                Evidence(
                    curl=f"curl -X POST http://x/datastore/{own}/imageSet/{'1' * 32}", status=500
                )
            ],
        )
    )
    command = (
        "ahi-contract server --endpoint http://x --region us-east-1 --seed 5 --profile quick "
        "--check TEST-WRITER"
    )
    summary = summary_md(record)
    assert (
        f"GetImageSet, answered HTTP 500. Evidence: this request names resources the run made "
        f"(data store {own}, image set {'1' * 32}); replay the check with: `{command}`\n\n"
        f"```text\ncurl -X POST http://x/datastore/{own}"
    ) in summary
    assert "```sh\ncurl -X GET http://x/datastore/a\n```" in summary  # names none: a command
    html = report_html(record)
    section = html.split('id="TEST-WRITER--2"', 1)[1].split("</details>", 1)[0]
    assert '<p class="evidence-label">evidence: this request names resources' in section
    assert f"replay the check with: {command}</p>" in section
    assert "evidence: this request" not in html.split('id="TEST-WRITER--2"', 1)[0]
    junit = junit_xml(record)
    assert junit.count("evidence: this request names resources the run made") == 1
