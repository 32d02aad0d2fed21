"""Import jobs: lifecycle, results in S3 and the quota, one function per check.

The lifecycle and manifest checks share the run's two imports (the known DICOM
set, and an input bucket that does not exist), started and followed once
through `SuiteContext.shared`.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from harness.checks import Check, Source
from harness.server.context import SuiteContext
from harness.server.expect import expect_error, success_json
from harness.server.paging import walk
from harness.server.probe import Exchange
from harness.server.registry import Unit, server_check
from harness.server.scenes.imports import (
    FAILING_NOTE,
    MAIN_NOTE,
    ORDER,
    TERMINAL,
    Followed,
    Results,
    imports,
    output_folder,
    results,
)

UNIT = Unit.JOBS


def job_ids(context: SuiteContext, datastore_id: str) -> set[str]:
    """Every job id the listing shows, in pages of 50."""
    return set(walk(context, datastore_id, 50).ids)


def _not_started(context: SuiteContext, check: Check, followed: Followed, note: str) -> bool:
    """Whether the job was never started; an answer that was not HTTP 200 with JSON is
    recorded as a failure of `check`."""
    if followed.job_id is None and followed.started is not None:
        success_json(context, check.id, "StartDICOMImportJob", followed.started, note)
        return True
    return False


def _followed(context: SuiteContext, check: Check) -> list[Followed]:
    """Both imports' polls; a broken poll is recorded as an error of `check`."""
    both = imports(context)
    found = []
    for followed in (both.main, both.failing):
        if followed.broken is not None:
            context.error(check.id, "GetDICOMImportJob", "no job properties", followed.broken)
        elif followed.seen:
            found.append(followed)
    return found


@server_check(
    "JOB-STATUS-FORWARD",
    "lifecycle",
    "A job's status moves SUBMITTED, IN_PROGRESS, COMPLETED|FAILED, never backwards, and "
    "a terminal status is final",
    Source.SERVICE_DOCS,
    "API reference, JobStatus",
    unit=UNIT,
)
def status_forward(context: SuiteContext, check: Check) -> None:
    """Judged on every job the run's model knows so far, over every status any exchange
    showed of it (the start answer and every GetDICOMImportJob), once the imports ended."""
    _followed(context, check)
    wrong: list[tuple[str, list[tuple[str, Exchange]]]] = []
    for job_id in sorted(context.model.jobs):
        seen = context.model.statuses(job_id)
        statuses = [status for status, _ in seen]
        ranks = [ORDER.get(status, -1) for status in statuses]
        first_terminal = next((i for i, s in enumerate(statuses) if s in TERMINAL), None)
        forward = ranks == sorted(ranks) and -1 not in ranks
        final = first_terminal is None or len(statuses) == first_terminal + 1
        if not (forward and final):
            wrong.append((job_id, seen))
    context.verdict(
        check.id,
        "GetDICOMImportJob",
        not wrong,
        "; ".join(
            f"job {job_id} seen {' -> '.join(status for status, _ in seen)}"
            for job_id, seen in wrong[:3]
        ),
        *[exchange for _, exchange in (wrong[0][1][-2:] if wrong else [])],
        note=f"{len(context.model.jobs)} jobs, every status seen of each",
    )


def _not_before(ended: Any, submitted: Any) -> bool:
    return (
        isinstance(ended, int | float)
        and isinstance(submitted, int | float)
        and not isinstance(ended, bool)
        and ended >= submitted
    )


@server_check(
    "JOB-ENDED-AT",
    "lifecycle",
    "endedAt is absent until the job ends, then set and not before submittedAt",
    Source.SERVICE_DOCS,
    "API reference, DICOMImportJobProperties",
    unit=UNIT,
)
def ended_at(context: SuiteContext, check: Check) -> None:
    for followed in _followed(context, check):
        bad_ended = [
            (exchange, p)
            for exchange, p in followed.seen
            if ("endedAt" in p) != (p.get("jobStatus") in TERMINAL)
            or ("endedAt" in p and not _not_before(p.get("endedAt"), p.get("submittedAt")))
        ]
        context.verdict(
            check.id,
            "GetDICOMImportJob",
            not bad_ended,
            "endedAt present while running, missing once ended, or before submittedAt: "
            + "; ".join(
                f"{p.get('jobStatus')} endedAt={p.get('endedAt')} "
                f"submittedAt={p.get('submittedAt')}"
                for _, p in bad_ended[:3]
            ),
            *[exchange for exchange, _ in bad_ended[:2]],
        )


@server_check(
    "JOB-OUTPUT-URI",
    "lifecycle",
    "GetDICOMImportJob reports outputS3Uri as <prefix><datastoreId>-DicomImport-<jobId>/",
    Source.SERVICE_DOCS,
    "developer guide 'Understanding import jobs'; AWS CLI example for get-dicom-import-job",
    unit=UNIT,
)
def output_uri(context: SuiteContext, check: Check) -> None:
    main = imports(context).main
    if main.last is None or main.job_id is None:
        return
    exchange, last = main.last
    expected = output_folder(context, main.job_id)[1]
    context.verdict(
        check.id,
        "GetDICOMImportJob",
        last.get("outputS3Uri") == expected,
        f"outputS3Uri is {last.get('outputS3Uri')!r}, expected {expected!r}",
        exchange,
    )


@server_check(
    "JOB-COMPLETES",
    "lifecycle",
    "An import of readable input ends COMPLETED within the profile's job timeout, even when "
    "some files are not valid DICOM",
    Source.SERVICE_DOCS,
    "developer guide 'Getting import job properties': COMPLETED refers to the execution",
    unit=UNIT,
)
def completes(context: SuiteContext, check: Check) -> None:
    main = imports(context).main
    if _not_started(context, check, main, MAIN_NOTE) or main.last is None:
        return
    exchange, last = main.last
    context.verdict(
        check.id,
        "GetDICOMImportJob",
        last.get("jobStatus") == "COMPLETED",
        f"job ended {last.get('jobStatus')} (message {last.get('message')!r})",
        exchange,
    )


@server_check(
    "JOB-FAILS-WITH-MESSAGE",
    "lifecycle",
    "An import whose input bucket does not exist ends FAILED with a message",
    Source.HARNESS,
    "API reference: `message` is the error thrown if an import job fails",
    unit=UNIT,
)
def fails_with_message(context: SuiteContext, check: Check) -> None:
    failing = imports(context).failing
    if _not_started(context, check, failing, FAILING_NOTE) or failing.last is None:
        return
    exchange, last = failing.last
    context.verdict(
        check.id,
        "GetDICOMImportJob",
        last.get("jobStatus") == "FAILED" and bool(last.get("message")),
        f"job ended {last.get('jobStatus')} with message {last.get('message')!r}",
        exchange,
    )


def _readable(context: SuiteContext) -> Results | None:
    found = results(context)
    return found if found is not None and not found.missing and found.parsed else None


SUBJECT = "import results"


@server_check(
    "MANIFEST-FILES",
    "manifests",
    "A COMPLETED job wrote job-output-manifest.json, SUCCESS/success.ndjson and "
    "FAILURE/failure.ndjson in its output folder, and they parse",
    Source.SERVICE_DOCS,
    "developer guide 'Understanding import jobs'",
    unit=UNIT,
)
def manifest_files(context: SuiteContext, check: Check) -> None:
    found = results(context)
    if found is None:
        return
    context.verdict(
        check.id,
        SUBJECT,
        not found.missing and found.parsed,
        f"missing: {found.missing}"
        if found.missing
        else "job-output-manifest.json has no jobSummary object",
        note=found.where,
    )


def _inputs(context: SuiteContext) -> dict[str, Any]:
    env = context.env
    return {f"{env.input_prefix}{sample.key}": sample for sample in env.samples}


def _listed(found: Results) -> list[str]:
    return [str(r.get("inputFile")) for r in found.successes + found.failures]


@server_check(
    "MANIFEST-ACCOUNTS-ALL",
    "manifests",
    "Every input object appears exactly once across success.ndjson and failure.ndjson",
    Source.SERVICE_DOCS,
    "developer guide 'Understanding import jobs'",
    unit=UNIT,
)
def manifest_accounts(context: SuiteContext, check: Check) -> None:
    found = _readable(context)
    if found is None:
        return
    inputs, listed = _inputs(context), _listed(found)
    duplicates = sorted({key for key in listed if listed.count(key) > 1})
    absent = sorted(set(inputs) - set(listed))
    unknown = sorted(set(listed) - set(inputs))
    context.verdict(
        check.id,
        SUBJECT,
        not duplicates and not absent and not unknown,
        f"absent: {absent}; listed twice: {duplicates}; not an input: {unknown}",
        note=found.where,
    )


@server_check(
    "MANIFEST-OUTCOMES",
    "manifests",
    "Known-good DICOM P10 files are imported and known-broken ones fail",
    Source.SERVICE_DOCS,
    "developer guide: pixel data verification, required UIDs, P10 format",
    unit=UNIT,
)
def manifest_outcomes(context: SuiteContext, check: Check) -> None:
    found = _readable(context)
    if found is None:
        return
    inputs, listed = _inputs(context), _listed(found)
    imported = {str(r.get("inputFile")) for r in found.successes}
    wrong = sorted(
        key
        for key, sample in inputs.items()
        if key in listed and (key in imported) != sample.importable
    )
    context.verdict(
        check.id,
        SUBJECT,
        not wrong,
        "; ".join(
            f"{key}: expected {'import' if inputs[key].importable else 'failure'} "
            f"({inputs[key].why})"
            for key in wrong
        ),
        note=found.where,
    )


@server_check(
    "MANIFEST-SUMMARY",
    "manifests",
    "jobSummary names the job, data store and folders, and its counts match the ndjson files",
    Source.SERVICE_DOCS,
    "developer guide 'Understanding import jobs', job-output-manifest.json",
    unit=UNIT,
)
def manifest_summary(context: SuiteContext, check: Check) -> None:
    found = _readable(context)
    if found is None:
        return
    env, summary, uri = context.env, found.summary, found.folder_uri
    expected = {
        "jobId": found.job_id,
        "datastoreId": env.datastore_id,
        "inputS3Uri": env.input_uri,
        "outputS3Uri": uri,
        "successOutputS3Uri": f"{uri}SUCCESS/",
        "failureOutputS3Uri": f"{uri}FAILURE/",
        "numberOfScannedFiles": len(_inputs(context)),
        "numberOfImportedFiles": len(found.successes),
        "numberOfGeneratedImageSets": len(
            {str(r.get("importResponse", {}).get("imageSetId")) for r in found.successes}
        ),
    }
    mismatches = [
        f"{key}={summary.get(key)!r} (expected {value!r})"
        for key, value in expected.items()
        if summary.get(key) != value
    ]
    errors = (
        summary.get("numberOfFilesWithCustomerError", 0),
        summary.get("numberOfFilesWithServerError", 0),
    )
    if not all(isinstance(n, int) for n in errors) or sum(errors) != len(found.failures):
        mismatches.append(f"error counts {errors} for {len(found.failures)} failure lines")
    context.verdict(
        check.id,
        SUBJECT,
        not mismatches,
        "; ".join(mismatches),
        note=found.where + "\n" + json.dumps(summary, indent=1)[:1500],
    )


@server_check(
    "QUOTA-402",
    "quota",
    "Starting more concurrent jobs on one data store than its quota is a 402 "
    "ServiceQuotaExceededException",
    Source.HARNESS,
    "decision QUOTA-402 (model status of ServiceQuotaExceededException; quota 'Endpoints "
    "and quotas')",
    unit=Unit.QUOTA,
)
def quota(context: SuiteContext, check: Check) -> None:
    """Fill a fresh data store to its quota with quick jobs, then one more."""
    limit = context.target.job_quota
    if limit is None:
        return
    created = success_json(
        context,
        check.id,
        "CreateDatastore",
        context.create_datastore(
            datastoreName=f"ahi-contract-quota-{uuid.uuid4().hex[:12]}",
            clientToken=uuid.uuid4().hex,
        ),
        "a data store of its own for the quota check",
    )
    if created is None:
        return
    datastore_id = str(created["datastoreId"])
    context.wait_for_datastore(datastore_id)
    empty = context.env.empty_uri
    for index in range(limit):
        exchange = context.start_job(datastore_id, **context.start_body(inputS3Uri=empty))
        if exchange.status != 200:
            context.verdict(
                check.id,
                "StartDICOMImportJob",
                False,
                f"start {index + 1} of {limit} (within the quota) was refused",
                exchange,
            )
            return
    extra = context.start_job(datastore_id, **context.start_body(inputS3Uri=empty))
    expect_error(
        context,
        check.id,
        "StartDICOMImportJob",
        extra,
        402,
        ("ServiceQuotaExceededException",),
        f"start {limit + 1} with {limit} jobs unfinished",
    )
