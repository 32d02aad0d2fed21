"""Data stores: what CREATING and DELETING announce follows within the bound, and one that
holds image sets is not deleted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from harness.server.checks.datastores import delete_guard, status_follows
from harness.server.context import PROFILES, Environment, Profile
from harness.server.observation import Observation
from harness.server.scenes.imaging import SCENE
from tests.server.exchanges import (
    ENVIRONMENT,
    OTHER,
    STORE,
    Reply,
    failures,
    get_job,
    imported_scene,
    outcomes,
    refusal,
    scripted,
    start,
    unreachable,
)

QUICK = PROFILES["quick"]


def lifecycle(created: list[str], deleted: list[str]) -> Callable[[Observation], Reply]:
    """A target whose new data store answers GetDatastore `created` in turn after it is
    created, then `deleted` in turn after it is deleted (the last of each repeats)."""
    answers = {"created": list(created), "deleted": list(deleted)}
    phase = ["created"]

    def answer(seen: Observation) -> Reply:
        if seen.operation == "CreateDatastore":
            return Reply({"datastoreId": OTHER, "datastoreStatus": "CREATING"})
        if seen.operation == "DeleteDatastore":
            phase[0] = "deleted"
            return Reply({"datastoreId": OTHER, "datastoreStatus": "DELETING"})
        assert seen.operation == "GetDatastore" and seen.labels["datastoreId"] == OTHER
        queue = answers[phase[0]]
        status = queue.pop(0) if len(queue) > 1 else queue[0]
        if status == "404":
            return refusal(404, "ResourceNotFoundException")
        return Reply({"datastoreProperties": {"datastoreId": OTHER, "datastoreStatus": status}})

    return answer


def followed(
    created: list[str], deleted: list[str], profile: Profile = QUICK
) -> list[tuple[str, str, str]]:
    with scripted(lifecycle(created, deleted), profile=profile) as context:
        status_follows(context)
    return outcomes(context, "DATASTORE-STATUS-FOLLOWS")


def test_creating_that_becomes_active_and_deleting_that_becomes_not_found_pass() -> None:
    assert followed(["ACTIVE"], ["DELETING", "404"]) == [
        ("CreateDatastore", "passed", ""),
        ("DeleteDatastore", "passed", ""),
    ]
    assert [status for _, status, _ in followed(["ACTIVE"], ["DELETED"])] == ["passed"] * 2


def test_a_data_store_that_fails_to_create_is_not_deleted_and_fails_naming_what_was_seen() -> None:
    assert followed(["CREATE_FAILED"], []) == [
        (
            "CreateDatastore",
            "failed",
            "after CREATING the data store was seen CREATE_FAILED within 30 s",
        )
    ]


def test_a_deleted_data_store_that_comes_back_fails() -> None:
    (_, deleted) = followed(["ACTIVE"], ["ACTIVE"])
    assert deleted == (
        "DeleteDatastore",
        "failed",
        "after DELETING the data store was seen ACTIVE within 30 s",
    )


def test_a_status_that_does_not_move_within_the_bound_fails() -> None:
    short = replace(QUICK, job_timeout_seconds=0.1)
    ((subject, status, message),) = followed(["CREATING"], [], short)
    assert (subject, status) == ("CreateDatastore", "failed")
    assert message.startswith("after CREATING the data store was seen CREATING within")


def test_a_data_store_that_cannot_be_created_is_an_error() -> None:
    with scripted(lambda seen: refusal(500, "InternalServerException")) as context:
        status_follows(context)
    assert outcomes(context, "DATASTORE-STATUS-FOLLOWS") == [
        ("CreateDatastore", "error", "a data store could not be created")
    ]


def guarded(
    answer: Callable[[Observation], Reply], environment: Environment = ENVIRONMENT
) -> list[tuple[str, str]]:
    sent: list[str] = []

    def recorded(seen: Observation) -> Reply:
        sent.append(seen.operation)
        return answer(seen)

    with scripted(recorded, environment) as context:
        context.shared(SCENE, lambda: imported_scene("1" * 32))
        context.model.observe(start(1_800_000_000.0, clientToken="t"))
        delete_guard(context)
    found = failures(context, "DATASTORE-DELETE-GUARD")
    return [*found, *[("sent", operation) for operation in sent]]


def after_the_job_ends(refused: bool) -> Callable[[Observation], Reply]:
    def answer(seen: Observation) -> Reply:
        if seen.operation == "GetDICOMImportJob":
            return Reply(get_job(0, jobStatus="COMPLETED").json())
        assert seen.labels == {"datastoreId": STORE}
        return refusal(409, "ConflictException") if refused else Reply({"datastoreId": STORE})

    return answer


def test_deleting_a_data_store_with_image_sets_once_its_jobs_ended_is_refused() -> None:
    assert guarded(after_the_job_ends(refused=True)) == [
        ("sent", "GetDICOMImportJob"),
        ("sent", "DeleteDatastore"),
    ]


def test_a_data_store_with_image_sets_deleted_fails() -> None:
    assert guarded(after_the_job_ends(refused=False))[0] == (
        "DeleteDatastore",
        "expected HTTP 409 ConflictException, got HTTP 200 (no X-Amzn-Errortype)",
    )


def test_a_data_store_the_suite_does_not_own_is_never_deleted() -> None:
    assert guarded(unreachable, replace(ENVIRONMENT, owns_datastore=False)) == []
