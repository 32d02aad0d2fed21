"""The HAR file: HAR 1.2's required fields, custom fields that link failures, nothing secret."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from harness.checks import REGISTRY, Source, register
from harness.report.har import Recording, har_document
from harness.report.record import Outcome, RunRecord
from harness.server.probe import Exchange
from tests.report.har_schema import HAR_1_2

CHECK = REGISTRY.get("HAR-TEST") or register(
    "HAR-TEST", "test", "a rule for the HAR tests", Source.HARNESS, "tests"
)
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN"
SIGNATURE = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"


def _exchanges() -> list[Exchange]:
    signed = Exchange(
        "POST",
        "http://x/datastore",
        {
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/"
            f"medical-imaging/aws4_request, SignedHeaders=host;x-amz-date, Signature={SIGNATURE}",
            "X-Amz-Security-Token": TOKEN,
            "Content-Type": "application/json",
        },
        json.dumps({"echo": SECRET + "x"}).encode(),
        status=400,
        headers={"Content-Type": "application/json"},
        body=json.dumps({"message": f"bad signature {SIGNATURE}"}).encode(),
        elapsed=0.012,
        id="ab-1",
        started_at=1_800_000_000.5,
        step="AUTH-BAD-SIGNATURE",
    )
    frame = Exchange(
        "GET",
        "http://x/frame?X-Amz-Signature=abc&X-Amz-Credential=AKID&a=1",
        {},
        None,
        status=200,
        headers={"Content-Type": "application/octet-stream"},
        body=b"\x00\xff\x10",
        id="ab-2",
        started_at=1_800_000_001.0,
    )
    lost = Exchange("GET", "http://x/datastore", {}, None, error="ConnectTimeout", id="ab-3")
    return [signed, frame, lost]


def _record() -> RunRecord:
    record = RunRecord(
        kind="server", target={"endpoint": "http://x"}, tool={}, seed=1, profile="quick"
    )
    record.exchanges = list(_exchanges())
    record.add(Outcome(CHECK.id, "ListDatastores", "passed"))
    failed = record.exchanges[0].evidence("refused?")
    record.add(Outcome(CHECK.id, "CreateDatastore", "failed", "it broke", [failed]))
    return record


def test_every_exchange_is_an_entry_with_the_fields_har_1_2_requires() -> None:
    document = har_document(_record(), [SECRET, TOKEN])
    jsonschema.validate(document, HAR_1_2, format_checker=jsonschema.FormatChecker())
    entries = document["log"]["entries"]
    assert [entry["_ahiId"] for entry in entries] == ["ab-1", "ab-2", "ab-3"]
    first = entries[0]
    assert first["startedDateTime"] == "2027-01-15T08:00:00.500Z"
    assert first["time"] == 12.0 and first["request"]["postData"]["mimeType"] == "application/json"
    assert first["_ahiStep"] == "AUTH-BAD-SIGNATURE"
    assert first["_ahiChecks"] == [
        {"check": "HAR-TEST", "subject": "CreateDatastore", "status": "failed"}
    ]
    assert entries[1]["_ahiChecks"] == []
    assert entries[1]["response"]["content"] == {
        "size": 3,
        "mimeType": "application/octet-stream",
        "text": "AP8Q",
        "encoding": "base64",
    }
    assert (
        entries[2]["response"]["status"] == 0
        and entries[2]["response"]["_error"] == "ConnectTimeout"
    )


def test_credentials_and_signatures_are_redacted_everywhere() -> None:
    text = json.dumps(har_document(_record(), [SECRET, TOKEN]))
    for secret in (SECRET, TOKEN, SIGNATURE, "AKIDEXAMPLE", "X-Amz-Signature=abc"):
        assert secret not in text, secret
    authorization = har_document(_record(), [SECRET])["log"]["entries"][0]["request"]["headers"][0]
    assert authorization["value"] == (
        "AWS4-HMAC-SHA256 Credential=<redacted>/20260101/us-east-1/medical-imaging/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=<redacted>"
    )
    assert "<redacted>x" in text  # a wrong secret made from the real one keeps only its change


def test_a_recording_writes_its_file_when_the_run_breaks_off(tmp_path: Path) -> None:
    path = tmp_path / "run" / "exchanges.har"
    try:
        with Recording(path) as recording:
            recording.record = RunRecord(kind="server", target={}, tool={}, seed=1, profile=None)
            recording.secrets = [SECRET]
            assert recording.journal is not None
            recording.journal += reversed(_exchanges())
            raise RuntimeError("the target went away")
    except RuntimeError:
        pass
    entries = json.loads(path.read_text())["log"]["entries"]
    assert [entry["_ahiId"] for entry in entries] == ["ab-3", "ab-1", "ab-2"]  # by start time
    assert recording.record is not None and recording.record.exchanges_file == str(path)
    with Recording(None) as nothing:
        assert nothing.journal is None
