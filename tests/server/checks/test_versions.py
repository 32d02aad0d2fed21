"""Image set versions judged on the run's one update: the version bumps by one, the old one
is kept, stale and locked writes are refused, and every version is listed once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.server.checks.versions import (
    _expected_next,
    locked,
    old_version_kept,
    stale_version,
    version_bump,
    versions_listed,
)
from harness.server.context import SuiteContext
from harness.server.observation import Observation
from harness.server.scenes.imaging import SCENE, MetadataRead
from harness.server.scenes.updates import UPDATE, UpdateRun
from tests.server.exchanges import (
    Reply,
    exchange,
    failures,
    imported_scene,
    metadata,
    outcomes,
    refusal,
    scripted,
    unreachable,
    update_run,
)

IMAGE_SET = "d" * 32
Step = Callable[[SuiteContext], None]


def document(name: str) -> dict[str, Any]:
    return {"Patient": {"DICOM": {"PatientName": name}}, "Study": {"DICOM": {}}}


def judged(check: Step, run: UpdateRun, answer: Callable[[Observation], Reply]) -> SuiteContext:
    with scripted(answer) as context:
        context.shared(SCENE, lambda: imported_scene(IMAGE_SET))
        context.shared(UPDATE, lambda: run)
        check(context)
    return context


def test_the_next_version_is_one_higher_and_none_follows_a_version_that_is_not_a_number() -> None:
    assert _expected_next("1") == "2"
    assert _expected_next("9") == "10"
    assert _expected_next("None") is None


def reading(name: str) -> Callable[[Observation], Reply]:
    def answer(seen: Observation) -> Reply:
        assert seen.operation == "GetImageSetMetadata"
        return metadata(document(name))

    return answer


def test_an_update_answered_one_version_higher_and_settled_with_its_value_passes() -> None:
    context = judged(version_bump, update_run(IMAGE_SET), reading("AHI^CONTRACT^UPDATED"))
    assert outcomes(context, "IMAGESET-VERSION-BUMP") == [
        ("UpdateImageSetMetadata", "passed", ""),
        ("GetImageSet", "passed", ""),
    ]


def test_an_update_answering_another_version_fails_naming_both() -> None:
    run = update_run(IMAGE_SET, answer={"latestVersionId": "3"})
    context = judged(version_bump, run, reading("AHI^CONTRACT^UPDATED"))
    assert failures(context, "IMAGESET-VERSION-BUMP") == [
        (
            "UpdateImageSetMetadata",
            "from version 1: HTTP 200, latestVersionId '3', expected '2'",
        )
    ]


def test_an_update_that_does_not_settle_or_loses_its_value_fails_naming_what_it_shows() -> None:
    run = update_run(IMAGE_SET, after={"versionId": "2", "imageSetState": "LOCKED"})
    (found,) = failures(
        judged(version_bump, run, reading("AHI^CONTRACT^UPDATED")), "IMAGESET-VERSION-BUMP"
    )
    assert found == (
        "GetImageSet",
        "after the update: version '2' state 'LOCKED' PatientName 'AHI^CONTRACT^UPDATED'; "
        "expected '2' ACTIVE 'AHI^CONTRACT^UPDATED'",
    )
    (found,) = failures(
        judged(version_bump, update_run(IMAGE_SET), reading("OLD")), "IMAGESET-VERSION-BUMP"
    )
    assert "PatientName 'OLD'" in found[1]


def test_the_old_version_read_again_unchanged_passes_and_changed_fails() -> None:
    before = MetadataRead(exchange("POST", "/", {}), document("OLD"))
    run = update_run(IMAGE_SET, metadata_before=before)
    sent: list[dict[str, str]] = []

    def answer(seen: Observation) -> Reply:
        sent.append(seen.query)
        return metadata(document("OLD" if seen.query.get("version") == "1" else "NEW"))

    assert failures(judged(old_version_kept, run, answer), "IMAGESET-OLD-VERSION-KEPT") == []
    assert sent == [{"version": "1"}]
    changed = judged(old_version_kept, run, reading("NEW"))
    assert failures(changed, "IMAGESET-OLD-VERSION-KEPT") == [
        (
            "GetImageSetMetadata",
            "version 1 read before and after the update differs (documents not equal)",
        )
    ]


def stale_target(refuses: bool, changes: bool | None = None) -> Callable[[Observation], Reply]:
    """A target that refuses (or takes) an update from version 1, and makes version 3 when
    it takes it (or `changes` says it does all the same)."""

    def answer(seen: Observation) -> Reply:
        if seen.operation == "UpdateImageSetMetadata":
            assert seen.query == {"latestVersion": "1"}
            return refusal(409, "ConflictException") if refuses else Reply({})
        version = "3" if (not refuses if changes is None else changes) else "2"
        return Reply({"imageSetId": IMAGE_SET, "versionId": version, "imageSetState": "ACTIVE"})

    return answer


def test_an_update_from_a_stale_version_refused_with_409_and_changing_nothing_passes() -> None:
    context = judged(stale_version, update_run(IMAGE_SET), stale_target(refuses=True))
    assert outcomes(context, "IMAGESET-STALE-VERSION") == [("UpdateImageSetMetadata", "passed", "")]


def test_an_update_from_a_stale_version_taken_fails_naming_the_version_it_made() -> None:
    context = judged(stale_version, update_run(IMAGE_SET), stale_target(refuses=False))
    assert failures(context, "IMAGESET-STALE-VERSION") == [
        (
            "UpdateImageSetMetadata",
            "latestVersion 1 (latest is 2): HTTP 200 ; version afterwards '3'",
        )
    ]
    refused_but_made = judged(stale_version, update_run(IMAGE_SET), stale_target(True, True))
    assert failures(refused_but_made, "IMAGESET-STALE-VERSION") == [
        (
            "UpdateImageSetMetadata",
            "latestVersion 1 (latest is 2): HTTP 409 ConflictException; version afterwards '3'",
        )
    ]


def test_a_write_while_locked_is_refused_and_the_update_answers_locked() -> None:
    assert failures(judged(locked, update_run(IMAGE_SET), unreachable), "IMAGESET-LOCKED") == []
    active = update_run(IMAGE_SET, answer={"latestVersionId": "2", "imageSetState": "ACTIVE"})
    (found,) = failures(judged(locked, active, unreachable), "IMAGESET-LOCKED")
    assert "first update answered imageSetState 'ACTIVE' (LOCKED expected)" in found[1]
    taken = update_run(IMAGE_SET, second_write=exchange("POST", "/", {}))
    (found,) = failures(judged(locked, taken, unreachable), "IMAGESET-LOCKED")
    assert found[1].endswith("a second write sent at once answered HTTP 200 ")


def listing(*versions: str) -> Callable[[Observation], Reply]:
    """ListImageSetVersions of `versions`, one a page."""

    def answer(seen: Observation) -> Reply:
        assert seen.query["maxResults"] == "1"
        start = int(seen.query.get("nextToken", "0"))
        body: dict[str, Any] = {
            "imageSetPropertiesList": [
                {"imageSetId": IMAGE_SET, "versionId": version}
                for version in versions[start : start + 1]
            ]
        }
        if start + 1 < len(versions):
            body["nextToken"] = str(start + 1)
        return Reply(body)

    return answer


def test_every_version_listed_once_in_any_order_passes() -> None:
    context = judged(versions_listed, update_run(IMAGE_SET), listing("2", "1"))
    assert outcomes(context, "IMAGESET-VERSIONS-LISTED") == [("ListImageSetVersions", "passed", "")]


def test_a_version_missing_or_listed_twice_fails_naming_the_versions_listed() -> None:
    for versions in (("2",), ("1", "2", "2")):
        context = judged(versions_listed, update_run(IMAGE_SET), listing(*versions))
        assert failures(context, "IMAGESET-VERSIONS-LISTED") == [
            (
                "ListImageSetVersions",
                f"pages of 1 list versions {list(versions)}; latest is '2'",
            )
        ]
