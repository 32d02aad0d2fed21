"""Import jobs judged on what the run's two imports showed: statuses only forward, endedAt,
the output folder, how each import ended, the result files, and the job quota."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.imaging.known_set import SampleFile
from harness.server.checks.jobs import (
    completes,
    ended_at,
    fails_with_message,
    job_ids,
    manifest_accounts,
    manifest_files,
    manifest_outcomes,
    manifest_summary,
    output_uri,
    quota,
    status_forward,
)
from harness.server.context import Environment, SuiteContext
from harness.server.observation import Observation
from harness.server.probe import Exchange
from harness.server.scenes.imports import IMPORTS, RESULTS, Followed, Imports, Results
from tests.server.exchanges import (
    JOB,
    OTHER,
    STORE,
    Reply,
    exchange,
    failures,
    get_job,
    outcomes,
    refusal,
    scripted,
    unreachable,
)

NOW = 1_800_000_000.0
FOLDER = f"s3://out-bucket/out/{STORE}-DicomImport-{JOB}/"
SAMPLES = [
    SampleFile("good.dcm", b"", True, "valid"),
    SampleFile("bad.dcm", b"", False, "not DICOM"),
]
WITH_SAMPLES = Environment(STORE, True, "in-bucket", "input/", "out-bucket", "out/", SAMPLES)
Step = Callable[[SuiteContext], None]


def polled(job_id: str, status: str) -> Exchange:
    body = {"jobProperties": {"jobId": job_id, "datastoreId": STORE, "jobStatus": status}}
    return exchange("GET", f"/getDICOMImportJob/datastore/{STORE}/job/{job_id}", body, at=NOW)


def started(job_id: str) -> Exchange:
    body = {"jobId": job_id, "datastoreId": STORE, "jobStatus": "SUBMITTED", "submittedAt": NOW}
    path = f"/startDICOMImportJob/datastore/{STORE}"
    return exchange("POST", path, body, {"clientToken": job_id}, at=NOW)


def seen_moving(**jobs: list[str]) -> list[tuple[str, str, str]]:
    """JOB-STATUS-FORWARD over jobs started and then seen in the given statuses."""
    with scripted(unreachable) as context:
        context.shared(IMPORTS, lambda: Imports(Followed(None), Followed(None)))
        for job_id, statuses in jobs.items():
            context.model.observe(started(job_id))
            for status in statuses:
                context.model.observe(polled(job_id, status))
        status_forward(context)
    return outcomes(context, "JOB-STATUS-FORWARD")


def test_jobs_whose_statuses_only_move_forward_pass() -> None:
    ((_, status, _),) = seen_moving(
        one=["IN_PROGRESS", "IN_PROGRESS", "COMPLETED", "COMPLETED"], two=["FAILED"], three=[]
    )
    assert status == "passed"


def test_a_status_moving_back_after_an_end_or_unknown_fails_naming_the_job() -> None:
    ((_, status, message),) = seen_moving(
        back=["IN_PROGRESS", "SUBMITTED"],
        ends_twice=["COMPLETED", "FAILED"],
        odd=["QUEUED"],
        fine=["COMPLETED"],
    )
    assert status == "failed"
    assert message == (
        "job back seen SUBMITTED -> IN_PROGRESS -> SUBMITTED; "
        "job ends_twice seen SUBMITTED -> COMPLETED -> FAILED; "
        "job odd seen SUBMITTED -> QUEUED"
    )


def judged(check: Step, main: Followed, failing: Followed | None = None) -> SuiteContext:
    with scripted(unreachable) as context:
        context.shared(IMPORTS, lambda: Imports(main, failing or Followed(None)))
        check(context)
    return context


def followed(*properties: dict[str, Any], job_id: str = JOB) -> Followed:
    return Followed(
        job_id, get_job(NOW), [(get_job(NOW, **p), {"submittedAt": NOW, **p}) for p in properties]
    )


def test_a_broken_poll_is_an_error_of_the_job_checks() -> None:
    broken = Followed(JOB, broken=get_job(NOW))
    assert outcomes(judged(ended_at, broken), "JOB-ENDED-AT") == [
        ("GetDICOMImportJob", "error", "no job properties")
    ]


def test_ended_at_set_once_the_job_ends_and_not_before_it_was_submitted_passes() -> None:
    job = followed(
        {"jobStatus": "SUBMITTED"},
        {"jobStatus": "IN_PROGRESS"},
        {"jobStatus": "COMPLETED", "endedAt": NOW},
        {"jobStatus": "COMPLETED", "endedAt": NOW + 1},
    )
    failed = followed({"jobStatus": "FAILED", "endedAt": NOW + 2})
    context = judged(ended_at, job, failed)
    assert [status for _, status, _ in outcomes(context, "JOB-ENDED-AT")] == ["passed"] * 2


def test_ended_at_while_running_missing_once_ended_or_too_early_fails_naming_it() -> None:
    for properties, shown in (
        ({"jobStatus": "IN_PROGRESS", "endedAt": NOW}, f"IN_PROGRESS endedAt={NOW}"),
        ({"jobStatus": "COMPLETED"}, "COMPLETED endedAt=None"),
        ({"jobStatus": "FAILED", "endedAt": NOW - 1}, f"FAILED endedAt={NOW - 1}"),
        ({"jobStatus": "FAILED", "endedAt": "soon"}, "FAILED endedAt=soon"),
    ):
        found = failures(judged(ended_at, followed(properties)), "JOB-ENDED-AT")
        assert found == [
            (
                "GetDICOMImportJob",
                "endedAt present while running, missing once ended, or before submittedAt: "
                f"{shown} submittedAt={NOW}",
            )
        ]


def test_the_output_uri_is_the_jobs_folder_under_the_output_prefix() -> None:
    good = judged(output_uri, followed({"jobStatus": "COMPLETED", "outputS3Uri": FOLDER}))
    assert outcomes(good, "JOB-OUTPUT-URI") == [("GetDICOMImportJob", "passed", "")]
    bare = judged(output_uri, followed({"jobStatus": "COMPLETED", "outputS3Uri": "s3://out/"}))
    assert failures(bare, "JOB-OUTPUT-URI") == [
        ("GetDICOMImportJob", f"outputS3Uri is 's3://out/', expected '{FOLDER}'")
    ]
    assert outcomes(judged(output_uri, Followed(None)), "JOB-OUTPUT-URI") == []


def test_the_known_set_completes_and_the_missing_bucket_fails_with_a_message() -> None:
    completed = followed({"jobStatus": "COMPLETED"})
    failed = followed({"jobStatus": "FAILED", "message": "no such bucket"})
    assert failures(judged(completes, completed, failed), "JOB-COMPLETES") == []
    assert failures(judged(fails_with_message, completed, failed), "JOB-FAILS-WITH-MESSAGE") == []


def test_an_import_ending_otherwise_fails_naming_how_it_ended() -> None:
    failed = followed({"jobStatus": "FAILED", "message": "pixel data"})
    assert failures(judged(completes, failed), "JOB-COMPLETES") == [
        ("GetDICOMImportJob", "job ended FAILED (message 'pixel data')")
    ]
    silent = followed({"jobStatus": "FAILED"})
    assert failures(judged(fails_with_message, silent, silent), "JOB-FAILS-WITH-MESSAGE") == [
        ("GetDICOMImportJob", "job ended FAILED with message None")
    ]
    completed = followed({"jobStatus": "COMPLETED"})
    assert failures(judged(fails_with_message, completed, completed), "JOB-FAILS-WITH-MESSAGE")


def test_an_import_never_started_fails_on_its_start_answer() -> None:
    refused = exchange("POST", f"/startDICOMImportJob/datastore/{STORE}", {}, {}, status=500)
    context = judged(completes, Followed(None, started=refused))
    assert failures(context, "JOB-COMPLETES") == [
        ("StartDICOMImportJob", "expected HTTP 200 with JSON, got HTTP 500")
    ]


def results(**changes: Any) -> Results:
    summary = {
        "jobId": JOB,
        "datastoreId": STORE,
        "inputS3Uri": "s3://in-bucket/input/",
        "outputS3Uri": FOLDER,
        "successOutputS3Uri": f"{FOLDER}SUCCESS/",
        "failureOutputS3Uri": f"{FOLDER}FAILURE/",
        "numberOfScannedFiles": 2,
        "numberOfImportedFiles": 1,
        "numberOfGeneratedImageSets": 1,
        "numberOfFilesWithCustomerError": 1,
        "numberOfFilesWithServerError": 0,
    }
    found = Results(
        JOB,
        "where",
        FOLDER,
        [],
        True,
        summary,
        [{"inputFile": "input/good.dcm", "importResponse": {"imageSetId": "1" * 32}}],
        [{"inputFile": "input/bad.dcm", "exception": {"exceptionType": "ValidationException"}}],
    )
    for name, value in changes.items():
        if name in summary:
            summary[name] = value
        else:
            setattr(found, name, value)
    return found


def read(check: Step, found: Results | None) -> list[tuple[str, str, str]]:
    main = followed({"jobStatus": "COMPLETED" if found else "FAILED"})
    with scripted(unreachable, WITH_SAMPLES) as context:
        context.shared(IMPORTS, lambda: Imports(main, Followed(None)))
        if found is not None:
            context.shared(RESULTS, lambda: found)
        check(context)
    return [(o.subject, o.status, o.message) for o in context.record.outcomes]


def test_result_files_that_are_there_and_parse_pass_every_manifest_check() -> None:
    for check in (manifest_files, manifest_accounts, manifest_outcomes, manifest_summary):
        assert read(check, results()) == [("import results", "passed", "")], check


def test_the_result_files_are_not_judged_when_the_import_did_not_complete() -> None:
    for check in (manifest_files, manifest_accounts, manifest_outcomes, manifest_summary):
        assert read(check, None) == []


def test_a_missing_or_unparsed_result_file_fails_naming_it() -> None:
    missing = read(manifest_files, results(missing=["SUCCESS/success.ndjson"], parsed=False))
    assert missing == [("import results", "failed", "missing: ['SUCCESS/success.ndjson']")]
    unparsed = read(manifest_files, results(parsed=False))
    assert unparsed == [
        ("import results", "failed", "job-output-manifest.json has no jobSummary object")
    ]
    assert read(manifest_accounts, results(parsed=False)) == []


def test_an_input_absent_listed_twice_or_unknown_fails_the_accounting() -> None:
    good = {"inputFile": "input/good.dcm", "importResponse": {"imageSetId": "1" * 32}}
    bad = {"inputFile": "input/bad.dcm", "exception": {}}
    found = read(manifest_accounts, results(successes=[good, good], failures=[]))
    assert found == [
        (
            "import results",
            "failed",
            "absent: ['input/bad.dcm']; listed twice: ['input/good.dcm']; not an input: []",
        )
    ]
    stray = {"inputFile": "input/other.dcm", "exception": {}}
    found = read(manifest_accounts, results(failures=[bad, stray]))
    assert found[0][2] == "absent: []; listed twice: []; not an input: ['input/other.dcm']"


def test_a_good_file_failed_or_a_broken_file_imported_fails_naming_why() -> None:
    good = {"inputFile": "input/good.dcm", "exception": {}}
    bad = {"inputFile": "input/bad.dcm", "importResponse": {"imageSetId": "1" * 32}}
    found = read(manifest_outcomes, results(successes=[bad], failures=[good]))
    assert found == [
        (
            "import results",
            "failed",
            "input/bad.dcm: expected failure (not DICOM); input/good.dcm: expected import (valid)",
        )
    ]


def test_a_summary_that_does_not_match_the_files_fails_naming_each_member() -> None:
    found = read(manifest_summary, results(numberOfImportedFiles=2, outputS3Uri="s3://x/"))
    assert found[0][:2] == ("import results", "failed")
    assert found[0][2] == (
        f"outputS3Uri='s3://x/' (expected '{FOLDER}'); numberOfImportedFiles=2 (expected 1)"
    )
    errors = read(manifest_summary, results(numberOfFilesWithCustomerError=0))
    assert errors[0][2] == "error counts (0, 0) for 1 failure lines"
    typed = read(manifest_summary, results(numberOfFilesWithServerError="0"))
    assert typed[0][2] == "error counts (1, '0') for 1 failure lines"


class Quota:
    """A target whose data stores take `limit` unfinished jobs each, unless it `ignores` the
    quota or `refuses_at` a start within it."""

    def __init__(self, limit: int, ignores: bool = False, refuses_at: int = 0) -> None:
        self.limit, self.ignores, self.refuses_at = limit, ignores, refuses_at
        self.starts: list[str] = []

    def __call__(self, seen: Observation) -> Reply:
        if seen.operation == "CreateDatastore":
            return Reply({"datastoreId": OTHER, "datastoreStatus": "CREATING"})
        if seen.operation == "GetDatastore":
            return Reply(
                {"datastoreProperties": {"datastoreId": OTHER, "datastoreStatus": "ACTIVE"}}
            )
        assert seen.operation == "StartDICOMImportJob"
        self.starts.append(seen.labels["datastoreId"])
        count = len(self.starts)
        if count == self.refuses_at or (count > self.limit and not self.ignores):
            return refusal(402, "ServiceQuotaExceededException")
        return Reply({"jobId": f"j{count}", "datastoreId": OTHER, "jobStatus": "SUBMITTED"})


def filled(target: Any, limit: int | None) -> list[tuple[str, str, str]]:
    with scripted(target, job_quota=limit) as context:
        quota(context)
    return outcomes(context, "QUOTA-402")


def test_a_start_over_the_quota_on_a_fresh_data_store_is_refused_with_402() -> None:
    target = Quota(2)
    assert filled(target, 2) == [("StartDICOMImportJob", "passed", "")]
    assert target.starts == [OTHER] * 3
    assert filled(unreachable, None) == []


def test_a_start_over_the_quota_accepted_or_one_within_it_refused_fails() -> None:
    assert filled(Quota(2, ignores=True), 2) == [
        (
            "StartDICOMImportJob",
            "failed",
            "expected HTTP 402 ServiceQuotaExceededException, got HTTP 200 (no X-Amzn-Errortype)",
        )
    ]
    assert filled(Quota(2, refuses_at=2), 2) == [
        ("StartDICOMImportJob", "failed", "start 2 of 2 (within the quota) was refused")
    ]


def test_a_quota_data_store_that_cannot_be_created_fails_on_its_answer() -> None:
    assert filled(lambda seen: refusal(500, "InternalServerException"), 2) == [
        ("CreateDatastore", "failed", "expected HTTP 200 with JSON, got HTTP 500")
    ]


def test_the_job_ids_a_listing_shows_are_read_over_every_page() -> None:
    def two_pages(seen: Observation) -> Reply:
        assert seen.query["maxResults"] == "50"
        if "nextToken" not in seen.query:
            return Reply(
                {"jobSummaries": [{"jobId": "j1", "datastoreId": STORE}], "nextToken": "t"}
            )
        return Reply({"jobSummaries": [{"jobId": "j2", "datastoreId": STORE}]})

    with scripted(two_pages) as context:
        assert job_ids(context, STORE) == {"j1", "j2"}
