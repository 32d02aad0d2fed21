"""Import jobs: idempotency, lifecycle, results in S3, quota, and the deletion guard."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from harness.checks import Source, register
from harness.server.checks.expect import expect_error, success_json
from harness.server.checks.listing import walk
from harness.server.context import SuiteContext
from harness.server.probe import Exchange

REPLAY = register(
    "IDEMPOTENT-REPLAY",
    "idempotency",
    "StartDICOMImportJob replayed with the same clientToken and parameters returns the "
    "same job and creates none",
    Source.MODEL,
    "clientToken is an idempotencyToken; StartDICOMImportJob is @idempotent",
)
CONFLICT = register(
    "IDEMPOTENT-CONFLICT",
    "idempotency",
    "The same clientToken with other parameters is a 409 ConflictException",
    Source.HARNESS,
    "decision IDEMPOTENCY-CONFLICT, after the AWS-wide convention",
)
CONCURRENT = register(
    "IDEMPOTENT-CONCURRENT",
    "idempotency",
    "Parallel identical starts with one clientToken yield one job",
    Source.MODEL,
    "idempotencyToken semantics hold under concurrency",
)
FORWARD = register(
    "JOB-STATUS-FORWARD",
    "lifecycle",
    "A job's status moves SUBMITTED, IN_PROGRESS, COMPLETED|FAILED, never backwards, and "
    "a terminal status is final",
    Source.SERVICE_DOCS,
    "API reference, JobStatus",
)
ENDED_AT = register(
    "JOB-ENDED-AT",
    "lifecycle",
    "endedAt is absent until the job ends, then set and not before submittedAt",
    Source.SERVICE_DOCS,
    "API reference, DICOMImportJobProperties",
)
OUTPUT_URI = register(
    "JOB-OUTPUT-URI",
    "lifecycle",
    "GetDICOMImportJob reports outputS3Uri as <prefix><datastoreId>-DicomImport-<jobId>/",
    Source.SERVICE_DOCS,
    "developer guide 'Understanding import jobs'; AWS CLI example for get-dicom-import-job",
)
COMPLETES = register(
    "JOB-COMPLETES",
    "lifecycle",
    "An import of readable input ends COMPLETED within the profile's job timeout, even when "
    "some files are not valid DICOM",
    Source.SERVICE_DOCS,
    "developer guide 'Getting import job properties': COMPLETED refers to the execution",
)
FAILS_WITH_MESSAGE = register(
    "JOB-FAILS-WITH-MESSAGE",
    "lifecycle",
    "An import whose input bucket does not exist ends FAILED with a message",
    Source.HARNESS,
    "API reference: `message` is the error thrown if an import job fails",
)
MANIFEST_FILES = register(
    "MANIFEST-FILES",
    "manifests",
    "A COMPLETED job wrote job-output-manifest.json, SUCCESS/success.ndjson and "
    "FAILURE/failure.ndjson in its output folder, and they parse",
    Source.SERVICE_DOCS,
    "developer guide 'Understanding import jobs'",
)
MANIFEST_ACCOUNTS = register(
    "MANIFEST-ACCOUNTS-ALL",
    "manifests",
    "Every input object appears exactly once across success.ndjson and failure.ndjson",
    Source.SERVICE_DOCS,
    "developer guide 'Understanding import jobs'",
)
MANIFEST_OUTCOMES = register(
    "MANIFEST-OUTCOMES",
    "manifests",
    "Known-good DICOM P10 files are imported and known-broken ones fail",
    Source.SERVICE_DOCS,
    "developer guide: pixel data verification, required UIDs, P10 format",
)
MANIFEST_SUMMARY = register(
    "MANIFEST-SUMMARY",
    "manifests",
    "jobSummary names the job, data store and folders, and its counts match the ndjson files",
    Source.SERVICE_DOCS,
    "developer guide 'Understanding import jobs', job-output-manifest.json",
)
QUOTA = register(
    "QUOTA-402",
    "quota",
    "Starting more concurrent jobs on one data store than its quota is a 402 "
    "ServiceQuotaExceededException",
    Source.HARNESS,
    "decision QUOTA-402 (model status of ServiceQuotaExceededException; quota 'Endpoints "
    "and quotas')",
)
DELETE_GUARD = register(
    "DATASTORE-DELETE-GUARD",
    "lifecycle",
    "A data store that holds image sets cannot be deleted (409 ConflictException)",
    Source.SERVICE_DOCS,
    "developer guide 'Deleting a data store'",
)

ORDER = {"SUBMITTED": 0, "IN_PROGRESS": 1, "COMPLETED": 2, "FAILED": 2}
TERMINAL = ("COMPLETED", "FAILED")


def _token() -> str:
    return uuid.uuid4().hex


def job_ids(context: SuiteContext, datastore_id: str) -> set[str]:
    """Every job id the listing shows, in pages of 50."""
    return set(walk(context, datastore_id, 50).ids)


def start(context: SuiteContext, check_id: str, note: str, **changes: Any) -> str | None:
    """Start a job on the suite's data store; its id, or None (recorded as a failure)."""
    exchange = context.start_job(context.env.datastore_id, **context.start_body(**changes))
    body = success_json(context, check_id, "StartDICOMImportJob", exchange, note)
    if body is None or not isinstance(body.get("jobId"), str):
        return None
    context.created_jobs.append(body["jobId"])
    return str(body["jobId"])


def idempotency(context: SuiteContext) -> None:
    env = context.env
    token = _token()
    first = context.start_job(env.datastore_id, **context.start_body(clientToken=token))
    first_body = success_json(context, REPLAY.id, "StartDICOMImportJob", first, "first start")
    if first_body is None:
        return
    context.created_jobs.append(first_body["jobId"])
    before = job_ids(context, env.datastore_id)
    replay = context.start_job(env.datastore_id, **context.start_body(clientToken=token))
    replay_body = replay.json() if replay.status == 200 else None
    replayed_id = replay_body.get("jobId") if isinstance(replay_body, dict) else None
    after = job_ids(context, env.datastore_id)
    new_jobs = after - before
    context.verdict(
        REPLAY.id,
        "StartDICOMImportJob",
        replayed_id == first_body["jobId"] and not new_jobs,
        f"replay answered jobId {replayed_id} (first {first_body['jobId']}); "
        f"jobs that appeared: {sorted(new_jobs)}",
        first,
        replay,
        note="the same clientToken and parameters, sent twice",
    )
    conflict = context.start_job(
        env.datastore_id, **context.start_body(clientToken=token, jobName="other-parameters")
    )
    expect_error(
        context,
        CONFLICT.id,
        "StartDICOMImportJob",
        conflict,
        409,
        ("ConflictException",),
        "the first start's clientToken with another jobName",
    )

    shared = _token()
    before = job_ids(context, env.datastore_id)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(
                lambda _: context.start_job(
                    env.datastore_id, **context.start_body(clientToken=shared)
                ),
                range(8),
            )
        )
    after = job_ids(context, env.datastore_id)
    ids = {
        body.get("jobId")
        for body in (answer.json() for answer in answers)
        if isinstance(body, dict)
    }
    new_jobs = after - before
    context.created_jobs += [job for job in ids if isinstance(job, str)]
    context.verdict(
        CONCURRENT.id,
        "StartDICOMImportJob",
        all(answer.status == 200 for answer in answers) and len(ids) == 1 and len(new_jobs) == 1,
        f"8 parallel starts answered {sorted(str(i) for i in ids)}; new jobs listed: "
        f"{sorted(new_jobs)}",
        *answers[:3],
        note="8 parallel StartDICOMImportJob calls with one clientToken",
    )


def follow(context: SuiteContext, job_id: str, timeout: float) -> list[tuple[Exchange, Any]]:
    """Poll a job until it ends (then three reads more), recording lifecycle checks."""
    env = context.env
    seen: list[tuple[Exchange, Any]] = []
    deadline = time.monotonic() + timeout
    terminal_reads = 0
    while time.monotonic() < deadline and terminal_reads < 4:
        exchange = context.get_job(env.datastore_id, job_id)
        body = exchange.json()
        properties = body.get("jobProperties") if isinstance(body, dict) else None
        if exchange.status != 200 or not isinstance(properties, dict):
            context.error(FORWARD.id, "GetDICOMImportJob", "no job properties", exchange)
            return seen
        seen.append((exchange, properties))
        if properties.get("jobStatus") in TERMINAL:
            terminal_reads += 1
        else:
            time.sleep(0.2)
    statuses = [str(p.get("jobStatus")) for _, p in seen]
    ranks = [ORDER.get(status, -1) for status in statuses]
    first_terminal = next((i for i, s in enumerate(statuses) if s in TERMINAL), None)
    forward = ranks == sorted(ranks) and -1 not in ranks
    final = first_terminal is None or len(set(statuses[first_terminal:])) == 1
    context.verdict(
        FORWARD.id,
        "GetDICOMImportJob",
        forward and final,
        f"statuses observed in order: {statuses}",
        *[exchange for exchange, _ in seen[-2:]],
        note=f"polling job {job_id}",
    )
    bad_ended = [
        (exchange, p)
        for exchange, p in seen
        if ("endedAt" in p) != (p.get("jobStatus") in TERMINAL)
        or ("endedAt" in p and not _not_before(p.get("endedAt"), p.get("submittedAt")))
    ]
    context.verdict(
        ENDED_AT.id,
        "GetDICOMImportJob",
        not bad_ended,
        "endedAt present while running, missing once ended, or before submittedAt: "
        + "; ".join(
            f"{p.get('jobStatus')} endedAt={p.get('endedAt')} submittedAt={p.get('submittedAt')}"
            for _, p in bad_ended[:3]
        ),
        *[exchange for exchange, _ in bad_ended[:2]],
    )
    return seen


def _not_before(ended: Any, submitted: Any) -> bool:
    return (
        isinstance(ended, int | float)
        and isinstance(submitted, int | float)
        and not isinstance(ended, bool)
        and ended >= submitted
    )


def lifecycle_and_manifests(context: SuiteContext, job_id: str) -> bool:
    """Follow the main import job; check its URI and its results. True when it COMPLETED."""
    env = context.env
    seen = follow(context, job_id, context.profile.job_timeout_seconds)
    if not seen:
        return False
    last_exchange, last = seen[-1]
    folder_key = f"{env.output_prefix}{env.datastore_id}-DicomImport-{job_id}/"
    expected_uri = f"s3://{env.output_bucket}/{folder_key}"
    context.verdict(
        OUTPUT_URI.id,
        "GetDICOMImportJob",
        last.get("outputS3Uri") == expected_uri,
        f"outputS3Uri is {last.get('outputS3Uri')!r}, expected {expected_uri!r}",
        last_exchange,
    )
    completed = bool(last.get("jobStatus") == "COMPLETED")
    context.verdict(
        COMPLETES.id,
        "GetDICOMImportJob",
        completed,
        f"job ended {last.get('jobStatus')} (message {last.get('message')!r})",
        last_exchange,
    )
    if completed:
        manifests(context, job_id, folder_key, expected_uri)
    return completed


def _read(context: SuiteContext, key: str) -> bytes | None:
    try:
        body: bytes = context.s3.get_object(Bucket=context.env.output_bucket, Key=key)[
            "Body"
        ].read()
        return body
    except (ClientError, BotoCoreError):
        return None


def manifests(context: SuiteContext, job_id: str, folder_key: str, folder_uri: str) -> None:
    env = context.env
    subject = "import results"
    raw = {
        name: _read(context, folder_key + name)
        for name in ("job-output-manifest.json", "SUCCESS/success.ndjson", "FAILURE/failure.ndjson")
    }
    missing = [name for name, data in raw.items() if data is None]
    try:
        summary = json.loads(raw["job-output-manifest.json"] or b"null")["jobSummary"]
        successes = [
            json.loads(line)
            for line in (raw["SUCCESS/success.ndjson"] or b"").splitlines()
            if line.strip()
        ]
        failures = [
            json.loads(line)
            for line in (raw["FAILURE/failure.ndjson"] or b"").splitlines()
            if line.strip()
        ]
        parsed = isinstance(summary, dict)
    except (ValueError, TypeError, KeyError):
        summary, successes, failures, parsed = {}, [], [], False
    where = f"s3://{env.output_bucket}/{folder_key} (job {job_id})"
    if not context.verdict(
        MANIFEST_FILES.id,
        subject,
        not missing and parsed,
        f"missing: {missing}" if missing else "job-output-manifest.json has no jobSummary object",
        note=where,
    ):
        return
    inputs = {f"{env.input_prefix}{sample.key}": sample for sample in env.samples}
    listed = [str(r.get("inputFile")) for r in successes] + [
        str(r.get("inputFile")) for r in failures
    ]
    duplicates = sorted({key for key in listed if listed.count(key) > 1})
    absent = sorted(set(inputs) - set(listed))
    unknown = sorted(set(listed) - set(inputs))
    context.verdict(
        MANIFEST_ACCOUNTS.id,
        subject,
        not duplicates and not absent and not unknown,
        f"absent: {absent}; listed twice: {duplicates}; not an input: {unknown}",
        note=where,
    )
    imported = {str(r.get("inputFile")) for r in successes}
    wrong = sorted(
        key
        for key, sample in inputs.items()
        if key in listed and (key in imported) != sample.importable
    )
    context.verdict(
        MANIFEST_OUTCOMES.id,
        subject,
        not wrong,
        "; ".join(
            f"{key}: expected {'import' if inputs[key].importable else 'failure'} "
            f"({inputs[key].why})"
            for key in wrong
        ),
        note=where,
    )
    expected = {
        "jobId": job_id,
        "datastoreId": env.datastore_id,
        "inputS3Uri": env.input_uri,
        "outputS3Uri": folder_uri,
        "successOutputS3Uri": f"{folder_uri}SUCCESS/",
        "failureOutputS3Uri": f"{folder_uri}FAILURE/",
        "numberOfScannedFiles": len(inputs),
        "numberOfImportedFiles": len(successes),
        "numberOfGeneratedImageSets": len(
            {str(r.get("importResponse", {}).get("imageSetId")) for r in successes}
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
    if not all(isinstance(n, int) for n in errors) or sum(errors) != len(failures):
        mismatches.append(f"error counts {errors} for {len(failures)} failure lines")
    context.verdict(
        MANIFEST_SUMMARY.id,
        subject,
        not mismatches,
        "; ".join(mismatches),
        note=where + "\n" + json.dumps(summary, indent=1)[:1500],
    )


def unreadable_input(context: SuiteContext, run_id: str) -> str | None:
    return start(
        context,
        FAILS_WITH_MESSAGE.id,
        "input bucket that does not exist",
        clientToken=_token(),
        inputS3Uri=f"s3://ahi-contract-missing-{run_id}/input/",
    )


def check_failed_job(context: SuiteContext, job_id: str) -> None:
    seen = follow(context, job_id, context.profile.job_timeout_seconds)
    if not seen:
        return
    exchange, last = seen[-1]
    context.verdict(
        FAILS_WITH_MESSAGE.id,
        "GetDICOMImportJob",
        last.get("jobStatus") == "FAILED" and bool(last.get("message")),
        f"job ended {last.get('jobStatus')} with message {last.get('message')!r}",
        exchange,
    )


def quota(context: SuiteContext, run_id: str) -> None:
    """Fill a fresh data store to its quota with quick jobs, then one more."""
    limit = context.target.job_quota
    if limit is None:
        return
    created = success_json(
        context,
        QUOTA.id,
        "CreateDatastore",
        context.create_datastore(
            datastoreName=f"ahi-contract-quota-{run_id}", clientToken=_token()
        ),
        "a data store of its own for the quota check",
    )
    if created is None:
        return
    datastore_id = str(created["datastoreId"])
    context.wait_for_datastore(datastore_id)
    empty = f"s3://{context.env.input_bucket}/empty/"
    for index in range(limit):
        exchange = context.start_job(datastore_id, **context.start_body(inputS3Uri=empty))
        if exchange.status != 200:
            context.verdict(
                QUOTA.id,
                "StartDICOMImportJob",
                False,
                f"start {index + 1} of {limit} (within the quota) was refused",
                exchange,
            )
            return
    extra = context.start_job(datastore_id, **context.start_body(inputS3Uri=empty))
    expect_error(
        context,
        QUOTA.id,
        "StartDICOMImportJob",
        extra,
        402,
        ("ServiceQuotaExceededException",),
        f"start {limit + 1} with {limit} jobs unfinished",
    )


def delete_guard(context: SuiteContext) -> None:
    """Once every job the suite started has ended, the data store still cannot be deleted.

    Waiting first matters: a data store with running jobs may be refused for that
    reason alone, which would hide a service that deletes image sets.
    """
    if not context.env.owns_datastore:
        return  # never try to delete a user's data store
    deadline = time.monotonic() + context.profile.job_timeout_seconds
    for job_id in context.created_jobs:
        while time.monotonic() < deadline:
            body = context.get_job(context.env.datastore_id, job_id).json() or {}
            if body.get("jobProperties", {}).get("jobStatus") in (*TERMINAL, None):
                break
            time.sleep(0.2)
    expect_error(
        context,
        DELETE_GUARD.id,
        "DeleteDatastore",
        context.delete_datastore(context.env.datastore_id),
        409,
        ("ConflictException",),
        "every job has ended; the data store holds the image sets of the suite's import",
    )
