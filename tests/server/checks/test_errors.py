"""Errors: the shape and status of an error answer, and the errors the documentation promises
(not found, malformed and invalid input) asked for of a scripted target."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import requests

from harness.model import operations
from harness.model.samples import UNKNOWN_ID, datastore_arn
from harness.server.checks.errors import (
    _names_a_datastore,
    error_shape,
    error_status,
    error_statuses,
    invalid_member,
    malformed_body,
    not_found,
)
from harness.server.observation import Observation
from harness.server.probe import Exchange
from harness.server.run_model import RunModel
from tests.server.exchanges import (
    STORE,
    HistoryContext,
    Reply,
    failures,
    outcomes,
    refusal,
    scripted,
)


def answer(status: int, body: Any, error_type: str | None = None) -> Exchange:
    headers = {"Content-Type": "application/json"}
    if error_type is not None:
        headers["X-Amzn-Errortype"] = error_type
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange("GET", "http://x/datastore", {}, None, status, headers, raw)


def judged(check: Any, exchange: Exchange) -> tuple[bool, str] | None:
    context = HistoryContext(RunModel())
    check(context, "GetDatastore", exchange)
    return context.verdicts.get((check.check.id, "GetDatastore"))


def passes(check: Any, exchange: Exchange) -> bool | None:
    """Whether the check passed the exchange; None when it did not judge it."""
    found = judged(check, exchange)
    return None if found is None else found[0]


def test_an_error_with_an_error_type_and_a_string_message_has_its_shape() -> None:
    assert passes(error_shape, answer(404, {"message": "no"}, "ResourceNotFoundException"))
    assert passes(error_shape, answer(400, {"Message": "no"}, "ValidationException"))
    assert passes(error_shape, answer(400, {"message": ""}, "ValidationException"))
    assert judged(error_shape, answer(200, {})) is None
    assert judged(error_shape, Exchange("GET", "http://x", {}, None, error="reset")) is None


def test_an_error_without_its_type_or_a_string_message_fails_its_shape() -> None:
    for exchange in (
        answer(404, {"message": "no"}),
        answer(404, {"detail": "no"}, "ResourceNotFoundException"),
        answer(404, {"message": 404}, "ResourceNotFoundException"),
        answer(404, b"<html>not found</html>", "ResourceNotFoundException"),
    ):
        assert judged(error_shape, exchange) == (
            False,
            "error answer without X-Amzn-Errortype or without a JSON `message`",
        ), exchange.body


def test_an_errors_status_is_the_one_its_type_has() -> None:
    assert passes(error_status, answer(400, {"message": ""}, "ValidationException"))
    namespaced = "com.amazonaws.medicalimaging#ResourceNotFoundException:http://internal"
    assert passes(error_status, answer(404, {"message": ""}, namespaced))
    assert judged(error_status, answer(500, {"message": ""}, "ValidationException")) == (
        False,
        "ValidationException answered with HTTP 500; its status is 400",
    )
    assert passes(error_status, answer(403, {}, "MissingAuthenticationTokenException"))
    assert passes(error_status, answer(401, {}, "MissingAuthenticationTokenException")) is False


def test_an_error_type_no_one_documents_or_a_success_is_not_judged_by_status() -> None:
    assert judged(error_status, answer(418, {"message": ""}, "TeapotException")) is None
    assert judged(error_status, answer(200, {}, "ValidationException")) is None


def test_every_modelled_error_and_the_aws_wide_ones_have_a_status() -> None:
    statuses = error_statuses()
    for operation in operations().values():
        for error in operation.errors:
            assert statuses[error.name] == error.status
    assert statuses["SerializationException"] == 400
    assert statuses["ResourceNotFoundException"] == 404
    assert statuses["ServiceQuotaExceededException"] == 402
    assert statuses["InvalidSignatureException"] == 403


NAMING_A_DATASTORE = {
    "StartDICOMImportJob",
    "GetDICOMImportJob",
    "ListDICOMImportJobs",
    "GetDatastore",
    "DeleteDatastore",
    "SearchImageSets",
    "GetImageSet",
    "GetImageSetMetadata",
    "GetImageFrame",
    "ListImageSetVersions",
    "UpdateImageSetMetadata",
    "CopyImageSet",
    "DeleteImageSet",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
}
NAMING_A_CHILD = NAMING_A_DATASTORE - {
    "StartDICOMImportJob",
    "ListDICOMImportJobs",
    "GetDatastore",
    "DeleteDatastore",
    "SearchImageSets",
}


def test_the_operations_that_name_a_data_store_are_those_with_its_id_or_an_arn() -> None:
    assert {name for name in operations() if _names_a_datastore(name)} == NAMING_A_DATASTORE


def holding_only_its_data_store(lenient_children: bool = False) -> Callable[[Observation], Reply]:
    """A target that holds the suite's data store, empty: anything else is not found
    (`lenient_children`: a child of its data store is answered 200 all the same)."""

    def answer(seen: Observation) -> Reply:
        labels = seen.labels
        arn = labels.get("resourceArn")
        store = labels.get("datastoreId") or re.sub(r".*datastore/([^/]+).*", r"\1", arn or "")
        child = any(labels.get(n) for n in ("jobId", "imageSetId", "sourceImageSetId"))
        child = child or "/imageset/" in (arn or "")
        if store != STORE or (child and not lenient_children):
            return refusal(404, "ResourceNotFoundException", "not found")
        return Reply({})

    return answer


def test_unknown_data_stores_and_unknown_children_of_the_own_one_are_asked_for_and_404() -> None:
    sent: list[tuple[str, dict[str, str]]] = []

    def recorded(seen: Observation) -> Reply:
        sent.append((seen.operation, seen.labels))
        return holding_only_its_data_store()(seen)

    with scripted(recorded) as context:
        not_found(context)
        found = outcomes(context, "NOT-FOUND-404")
    assert {status for _, status, _ in found} == {"passed"}
    assert [subject for subject, _, _ in found] == [operation for operation, _ in sent]
    assert {operation for operation, _ in sent} == NAMING_A_DATASTORE
    own = [(operation, labels) for operation, labels in sent if STORE in str(labels)]
    assert {operation for operation, _ in own} == NAMING_A_CHILD
    assert ("GetImageSet", {"datastoreId": STORE, "imageSetId": UNKNOWN_ID}) in own
    arn = f"{datastore_arn(STORE)}/imageset/{UNKNOWN_ID}"
    assert ("ListTagsForResource", {"resourceArn": arn}) in own


def test_an_unknown_child_of_the_own_data_store_answered_200_fails_naming_the_operation() -> None:
    with scripted(holding_only_its_data_store(lenient_children=True)) as context:
        not_found(context)
        found = failures(context, "NOT-FOUND-404")
    assert {subject for subject, _ in found} == NAMING_A_CHILD
    assert {message for _, message in found} == {
        "expected HTTP 404 ResourceNotFoundException, got HTTP 200 (no X-Amzn-Errortype)"
    }


def refusing_what_is_not_an_object(seen: Observation) -> Reply:
    try:
        body = json.loads(seen.exchange.request_body or b"")
    except ValueError:
        return refusal(400, "SerializationException")
    if not isinstance(body, dict):
        return refusal(400, "SerializationException")
    if not isinstance(body.get("clientToken", ""), str):
        return refusal(400, "ValidationException")
    return Reply({})


def test_bodies_that_are_not_a_json_object_refused_with_400_pass() -> None:
    sent: list[bytes | None] = []

    def recorded(seen: Observation) -> Reply:
        sent.append(seen.exchange.request_body)
        return refusing_what_is_not_an_object(seen)

    with scripted(recorded) as context:
        malformed_body(context)
        found = outcomes(context, "MALFORMED-BODY-400")
    with_body = [op for op in operations().values() if op.has_request_body]
    assert len(found) == 2 * len(with_body) + 1
    assert {status for _, status, _ in found} == {"passed"}
    assert set(sent) == {b"{not json", b"[1, 2]", b'{"clientToken": 5}'}


def test_a_malformed_body_answered_with_a_5xx_fails() -> None:
    def crashing(seen: Observation) -> Reply:
        if seen.sent:
            return Reply({})
        return refusal(500, "InternalServerException", "unexpected token")

    with scripted(crashing) as context:
        malformed_body(context)
        found = failures(context, "MALFORMED-BODY-400")
    assert found[0][1] == (
        "expected HTTP 400 SerializationException or ValidationException, got HTTP 500 "
        "InternalServerException"
    )
    assert found[-1] == (
        "StartDICOMImportJob",
        "expected HTTP 400 SerializationException or ValidationException, got HTTP 200 "
        "(no X-Amzn-Errortype)",
    )


INVALID = [
    "inputS3Uri is not an s3:// URI",
    "inputS3Uri matches the pattern only as a search",
    "a role ARN with a short account id",
    "clientToken longer than 64",
    "maxResults above 50",
    "maxResults below 1",
    "an imageSetId that breaks [0-9a-z]{32}",
]


def test_each_invalid_member_is_sent_alone_and_a_target_taking_it_fails_naming_it() -> None:
    sent: list[tuple[str, dict[str, Any]]] = []

    def taking_anything(seen: Observation) -> Reply:
        sent.append((seen.operation, {**seen.sent, **seen.query, **seen.labels}))
        return Reply({})

    with scripted(taking_anything) as context:
        invalid_member(context)
        found = [o for o in context.record.outcomes if o.check_id == "INVALID-MEMBER-400"]
        valid = context.start_body()
    assert [o.status for o in found] == ["failed"] * len(INVALID)
    assert [o.evidence[0].note for o in found] == INVALID
    starts = [params for operation, params in sent if operation == "StartDICOMImportJob"]
    changed = [
        {
            key
            for key in params
            if key not in ("clientToken", "datastoreId") and params[key] != valid.get(key)
        }
        for params in starts
    ]
    assert changed == [{"inputS3Uri"}, {"inputS3Uri"}, {"dataAccessRoleArn"}, set()]
    assert len(starts[3]["clientToken"]) == 65
    assert [params.get("maxResults") for op, params in sent if op == "SearchImageSets"] == [
        "51",
        "0",
    ]


def test_invalid_members_refused_with_400_validation_pass() -> None:
    with scripted(lambda seen: refusal(400, "ValidationException")) as context:
        invalid_member(context)
        assert failures(context, "INVALID-MEMBER-400") == []
        assert len(outcomes(context, "INVALID-MEMBER-400")) == len(INVALID)
    with scripted(lambda seen: refusal(400, "SerializationException")) as context:
        invalid_member(context)
        assert len(failures(context, "INVALID-MEMBER-400")) == len(INVALID)


def test_an_expected_error_with_no_answer_is_an_error_not_a_verdict() -> None:
    def broken(seen: Observation) -> Reply:
        raise requests.ConnectionError("connection reset")

    with scripted(broken) as context:
        invalid_member(context)
        found = outcomes(context, "INVALID-MEMBER-400")
    assert {status for _, status, _ in found} == {"error"}
    assert found[0][2] == "no answer: ConnectionError: connection reset"
