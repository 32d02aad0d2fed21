"""Remarks the spec adds to the model's operation texts, each with its source.

The model's own texts are one line each; the service documentation says more
that a conformance tester needs. Sources are named so that a reader can tell
service documentation from the harness's own choices.
"""

from __future__ import annotations

OPERATION_REMARKS: dict[str, tuple[str, ...]] = {
    "StartDICOMImportJob": (
        "The job writes its results under `<outputS3Uri><datastoreId>-DicomImport-<jobId>/`: "
        "`job-output-manifest.json`, `SUCCESS/success.ndjson` and `FAILURE/failure.ndjson` "
        "(HealthImaging developer guide, 'Understanding import jobs').",
        "`clientToken` is an idempotency token: SDKs fill it with a UUID v4 when the caller "
        "leaves it out and keep it across retries (model `idempotencyToken`). A replay with the "
        "same token and the same parameters returns the original job; the same token with "
        "other parameters is a ConflictException (harness decision IDEMPOTENCY-CONFLICT, after "
        "the AWS-wide convention; the service documentation is silent).",
        "Default quotas: 100 concurrent import jobs per data store, 5,000 files and 10 GB per "
        "job (developer guide, 'Endpoints and quotas'); beyond the concurrent-job quota the "
        "harness expects ServiceQuotaExceededException (harness decision QUOTA-402).",
    ),
    "GetDICOMImportJob": (
        "COMPLETED refers to the job's execution, not to every file: a COMPLETED job can hold "
        "files that failed validation. Check the manifests under `outputS3Uri` to know which "
        "files were imported (developer guide, 'Getting import job properties').",
        "`outputS3Uri` reports the resolved job folder "
        "`<prefix><datastoreId>-DicomImport-<jobId>/`, not the prefix the caller passed "
        "(AWS CLI example for get-dicom-import-job).",
        "`endedAt` is set once the job is COMPLETED or FAILED; `message` is the error message "
        "of a failed job (API reference, DICOMImportJobProperties).",
    ),
    "ListDICOMImportJobs": (
        "Jobs stay listed for 90 days (developer guide). The default page size is not "
        "documented; `nextToken` is opaque and a tampered token is a ValidationException "
        "(harness decision NEXT-TOKEN-OPAQUE).",
    ),
    "CreateDatastore": (
        "A new data store is CREATING and becomes ACTIVE; import jobs need an ACTIVE data "
        "store (developer guide, 'Creating a data store').",
    ),
    "DeleteDatastore": (
        "A data store must hold no image sets before it can be deleted; it moves DELETING, "
        "then DELETED (developer guide, 'Deleting a data store').",
    ),
}

DECISIONS: dict[str, str] = {
    "PATTERN-FULL-MATCH": (
        "Smithy patterns have search semantics; the spec anchors every pattern as "
        "`^(?:...)$` and writes `\\d`, `\\w` and `\\p{ASCII}` as explicit ASCII ranges. "
        "The raw model pattern stays in `x-smithy-pattern`."
    ),
    "TIMESTAMP-EPOCH-SECONDS": (
        "Timestamps without `timestampFormat` travel in restJson1 bodies as epoch seconds, "
        "a JSON number that may carry a fraction (Smithy restJson1); never an ISO string."
    ),
    "ERROR-TYPE-HEADER": (
        "Every modelled error is its own response with the model's status, a "
        "`X-Amzn-Errortype` header naming the error (an optional `namespace#` prefix and "
        "`:URI` suffix allowed, Smithy restJson1) and a JSON body with the required `message`."
    ),
    "COMMON-ERRORS": (
        "Besides the modelled errors, AWS services answer framework errors no model lists: "
        "400 SerializationException for malformed bodies and wrong types (Smithy server "
        "validation), 403 MissingAuthenticationTokenException, UnrecognizedClientException, "
        "InvalidSignatureException and IncompleteSignatureException for authentication "
        "failures (AWS-wide convention). They are allowed in `X-Amzn-Errortype` and listed in "
        "`x-aws-common-errors`; their bodies carry `message` like every error."
    ),
    "IDEMPOTENCY-CONFLICT": (
        "A StartDICOMImportJob replay with the same clientToken and the same parameters "
        "returns the original job and creates none; the same token with other parameters is a "
        "409 ConflictException (AWS-wide convention; the service documentation is silent)."
    ),
    "QUOTA-402": (
        "Starting more concurrent import jobs on one data store than the quota allows is a "
        "402 ServiceQuotaExceededException (the model's status for that error; which quota it "
        "reports is not documented)."
    ),
    "NEXT-TOKEN-OPAQUE": (
        "`nextToken` is opaque to callers; a token the service did not issue, or one altered "
        "by the caller, is a 400 ValidationException."
    ),
    "NULL-AS-ABSENT": (
        "An optional top-level request member may be JSON null, which a server treats as not "
        "set (Smithy protocol test AwsJson11ServersDontDeserializeNullStructureValues; "
        "restJson1 shares its JSON body rules). Responses never carry null."
    ),
    "UNKNOWN-MEMBERS": (
        "Structures leave `additionalProperties` open: clients must ignore unknown response "
        "members (Smithy), and whether the service rejects unknown request members is not "
        "documented. Unions allow exactly one known member."
    ),
}
