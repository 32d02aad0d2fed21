"""Malformed, unsigned, oversized and nonsensical requests: always a 4xx with a JSON body."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth
from harness.emulator import Emulator
from tests.emulator.conftest import ROLE, active_datastore

DATASTORE = "a" * 32


def _assert_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["X-Amzn-Errortype"] == code
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert isinstance(body["message"], str) and body["message"]
    return body


def _start_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "clientToken": "token-1",
        "dataAccessRoleArn": ROLE,
        "inputS3Uri": "s3://ahi-bucket/in/",
        "outputS3Uri": "s3://ahi-bucket/out/",
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def _start_url(emulator: Emulator, datastore_id: str = DATASTORE) -> str:
    return f"{emulator.url}/startDICOMImportJob/datastore/{datastore_id}"


def test_unsigned_request_is_403_missing_token(emulator: Emulator) -> None:
    response = requests.get(f"{emulator.url}/datastore", timeout=10)
    _assert_error(response, 403, "MissingAuthenticationTokenException")


def test_unknown_access_key_is_403_unrecognized_client(emulator: Emulator) -> None:
    auth = SigV4RequestsAuth(AwsCredentials("nobody", "secret"), "us-east-1")
    response = requests.get(f"{emulator.url}/datastore", auth=auth, timeout=10)
    _assert_error(response, 403, "UnrecognizedClientException")


def test_wrong_secret_is_403_invalid_signature(emulator: Emulator) -> None:
    auth = SigV4RequestsAuth(AwsCredentials("test", "wrong"), "us-east-1")
    response = requests.get(f"{emulator.url}/datastore", auth=auth, timeout=10)
    _assert_error(response, 403, "InvalidSignatureException")


def test_a_body_changed_after_signing_is_403(emulator: Emulator, signed: requests.Session) -> None:
    prepared = signed.prepare_request(
        requests.Request("POST", f"{emulator.url}/datastore", json={"clientToken": "abc"})
    )
    prepared.body = json.dumps({"clientToken": "abd"}).encode()
    response = signed.send(prepared, timeout=10)
    _assert_error(response, 403, "InvalidSignatureException")


def test_a_signature_dated_20_minutes_ago_is_403(emulator: Emulator) -> None:
    stale = datetime.now(UTC) - timedelta(minutes=20)
    auth = SigV4RequestsAuth(AwsCredentials("test", "test"), "us-east-1", clock=lambda: stale)
    response = requests.get(f"{emulator.url}/datastore", auth=auth, timeout=10)
    body = _assert_error(response, 403, "InvalidSignatureException")
    assert "expired" in body["message"]


def test_a_signature_for_another_service_is_403(emulator: Emulator) -> None:
    auth = SigV4RequestsAuth(AwsCredentials("test", "test"), "us-east-1", signing_name="s3")
    response = requests.get(f"{emulator.url}/datastore", auth=auth, timeout=10)
    _assert_error(response, 403, "InvalidSignatureException")


def test_an_action_outside_the_allow_list_is_403_access_denied(emulator: Emulator) -> None:
    auth = SigV4RequestsAuth(AwsCredentials("reader", "secret"), "us-east-1")
    allowed = requests.get(f"{emulator.url}/datastore/{'0' * 32}", auth=auth, timeout=10)
    _assert_error(allowed, 404, "ResourceNotFoundException")
    denied = requests.get(f"{emulator.url}/datastore", auth=auth, timeout=10)
    _assert_error(denied, 403, "AccessDeniedException")


def test_unknown_route_is_404_and_wrong_method_is_405(
    emulator: Emulator, signed: requests.Session
) -> None:
    _assert_error(
        signed.get(f"{emulator.url}/nowhere", timeout=10), 404, "UnknownOperationException"
    )
    response = signed.put(f"{emulator.url}/datastore", timeout=10)
    _assert_error(response, 405, "MethodNotAllowedException")
    assert set(response.headers["Allow"].split(", ")) == {"GET", "POST"}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "SerializationException"),
        (b"[1, 2]", "SerializationException"),
        (b'"text"', "SerializationException"),
        (b'{"clientToken": 5}', "SerializationException"),
        (b'{"clientToken": "x", "tags": []}', "SerializationException"),
        (b"\xff\xfe", "SerializationException"),
        (b"[" * 100_000, "SerializationException"),
    ],
)
def test_malformed_bodies_are_400(
    emulator: Emulator, signed: requests.Session, body: bytes, code: str
) -> None:
    response = signed.post(
        f"{emulator.url}/datastore",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    _assert_error(response, 400, code)


def test_unsupported_content_type_is_415(emulator: Emulator, signed: requests.Session) -> None:
    response = signed.post(
        f"{emulator.url}/datastore",
        data=b"clientToken=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    _assert_error(response, 415, "UnsupportedMediaTypeException")


def test_oversized_body_is_413(emulator: Emulator, signed: requests.Session) -> None:
    body = json.dumps({"clientToken": "x", "datastoreName": "n" * (5 * 1024 * 1024)})
    response = signed.post(
        f"{emulator.url}/datastore",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    _assert_error(response, 413, "RequestEntityTooLargeException")


@pytest.mark.parametrize(
    ("changes", "member", "constraint"),
    [
        ({"dataAccessRoleArn": None}, "/dataAccessRoleArn", "must not be null"),
        ({"clientToken": None}, "/clientToken", "must not be null"),
        ({"clientToken": "x" * 65}, "/clientToken", "length less than or equal to 64"),
        ({"clientToken": "has space"}, "/clientToken", "regular expression pattern"),
        ({"jobName": ""}, "/jobName", "length greater than or equal to 1"),
        ({"inputS3Uri": "https://bucket/x"}, "/inputS3Uri", "regular expression pattern"),
        ({"inputS3Uri": "xs3://ahi-bucket/in/"}, "/inputS3Uri", "regular expression pattern"),
        ({"dataAccessRoleArn": "arn:aws:iam::1:role/x"}, "/dataAccessRoleArn", "pattern"),
        ({"inputOwnerAccountId": "12345678901a"}, "/inputOwnerAccountId", "pattern"),
        ({"importConfiguration": {}}, "/importConfiguration", "exactly one member"),
        (
            {
                "importConfiguration": {
                    "dicomJsonMetadataImportConfiguration": {"dicomMetadataMappings": []}
                }
            },
            "/importConfiguration/dicomJsonMetadataImportConfiguration/dicomMetadataMappings",
            "length greater than or equal to 1",
        ),
        (
            {
                "importConfiguration": {
                    "dicomJsonMetadataImportConfiguration": {
                        "dicomMetadataMappings": [{"metadataFilePath": "a.json"}]
                    }
                }
            },
            "/importConfiguration/dicomJsonMetadataImportConfiguration/dicomMetadataMappings/0"
            "/studyInstanceUID",
            "must not be null",
        ),
    ],
)
def test_each_constraint_violation_is_a_400_naming_the_member(
    emulator: Emulator,
    signed: requests.Session,
    changes: dict[str, Any],
    member: str,
    constraint: str,
) -> None:
    response = signed.post(_start_url(emulator), json=_start_body(**changes), timeout=10)
    body = _assert_error(response, 400, "ValidationException")
    assert {field["path"] for field in body["fieldList"]} == {member}
    assert any(constraint in field["message"] for field in body["fieldList"])
    assert member in body["message"]


@pytest.mark.parametrize(
    ("path", "member"),
    [
        (f"/getDICOMImportJob/datastore/{'A' * 32}/job/abc", "/datastoreId"),
        (f"/getDICOMImportJob/datastore/{'a' * 33}/job/abc", "/datastoreId"),
        (f"/getDICOMImportJob/datastore/{'a' * 32}/job/{'b' * 33}", "/jobId"),
        (f"/getDICOMImportJob/datastore/{'a' * 32}/job/a-b", "/jobId"),
        (f"/listDICOMImportJobs/datastore/{'a' * 32}?maxResults=0", "/maxResults"),
        (f"/listDICOMImportJobs/datastore/{'a' * 32}?maxResults=51", "/maxResults"),
        (f"/listDICOMImportJobs/datastore/{'a' * 32}?jobStatus=DONE", "/jobStatus"),
        ("/datastore?datastoreStatus=active", "/datastoreStatus"),
    ],
)
def test_invalid_labels_and_query_members_are_400(
    emulator: Emulator, signed: requests.Session, path: str, member: str
) -> None:
    body = _assert_error(signed.get(emulator.url + path, timeout=10), 400, "ValidationException")
    assert [field["path"] for field in body["fieldList"]] == [member]


def test_a_non_integer_max_results_is_400(emulator: Emulator, signed: requests.Session) -> None:
    response = signed.get(
        f"{emulator.url}/listDICOMImportJobs/datastore/{'a' * 32}?maxResults=ten", timeout=10
    )
    _assert_error(response, 400, "SerializationException")


def test_unknown_members_are_ignored(
    emulator: Emulator, signed: requests.Session, imaging: Any
) -> None:
    datastore_id = active_datastore(imaging)
    response = signed.post(
        _start_url(emulator, datastore_id), json=_start_body(surprise=True), timeout=10
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {"datastoreId", "jobId", "jobStatus", "submittedAt"}
    assert isinstance(answer["submittedAt"], float)


def test_percent_encoded_labels_are_decoded_before_validation(
    emulator: Emulator, signed: requests.Session
) -> None:
    response = signed.get(f"{emulator.url}/datastore/{'a' * 31}%21", timeout=10)
    body = _assert_error(response, 400, "ValidationException")
    assert "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'" in body["message"]
