"""The scenario catalogue: data, not code paths.

Each scenario scripts the service's answers, names one call, and states what a
correct SDK reports and which request rules it must keep. The rules come from
the model, the Smithy restJson1 specification, AWS SDK conventions, or the
harness's own documented choices (labelled as such). Inputs and expected
outputs are Python values: `bytes` for blobs, epoch seconds for timestamps.
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass, field
from typing import Any

from harness.checks import Source, register
from harness.model import IN_SCOPE_OPERATIONS, load_pinned_model, operations
from harness.sdk import matchers
from harness.sdk.matchers import RequestRule
from harness.sdk.stub import Reply

DATASTORE = "0123456789abcdef0123456789abcdef"
JOB = "fedcba9876543210fedcba9876543210"
IMAGE_SET = "00112233445566778899aabbccddeeff"
COPY = "ffeeddccbbaa99887766554433221100"
FRAME = "aaaabbbbccccddddeeeeffff00001111"
DATASTORE_ARN = f"arn:aws:medical-imaging:us-east-1:123456789012:datastore/{DATASTORE}"
IMAGE_SET_ARN = f"{DATASTORE_ARN}/imageset/{IMAGE_SET}"
ROLE = "arn:aws:iam::123456789012:role/ImportRole"
TOKEN = "caller-chosen-token-1"
NAMESPACE = "com.amazonaws.medicalimaging"
CORAL_URI = "http://internal.amazon.com/coral/com.amazon.coral.validate/"

# An HTJ2K codestream starts with SOC (FF4F) and SIZ (FF51); every byte value follows.
FRAME_BYTES = b"\xffO\xffQ\x00\x2f" + bytes(range(256))
METADATA_DOCUMENT = json.dumps(
    {
        "SchemaVersion": "1.1",
        "DatastoreID": DATASTORE,
        "ImageSetID": IMAGE_SET,
        "Patient": {"DICOM": {"PatientName": "MÜLLER^HANS", "PatientSex": None}},
        "Study": {"DICOM": {"StudyInstanceUID": "1.2.3"}, "Series": {}},
    },
    ensure_ascii=False,
).encode()
METADATA_GZIP = gzip.compress(METADATA_DOCUMENT, mtime=0)
UPDATABLE = '{"SchemaVersion":1.1,"Patient":{"DICOM":{"PatientName":"MÜLLER^HANS"}}}'.encode()
REMOVABLE = b'{"SchemaVersion":1.1,"Study":{"DICOM":{"StudyDescription":"CHEST"}}}'


def reply(
    status: int, body: Any = None, error_type: str | None = None, raw: bytes | None = None
) -> Reply:
    headers: list[tuple[str, str]] = []
    if error_type is not None:
        headers.append(("X-Amzn-Errortype", error_type))
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
    if data and raw is None:
        headers.append(("Content-Type", "application/json"))
    return Reply(status, tuple(headers), data)


@dataclass(frozen=True)
class Expect:
    """What a correct SDK reports, and how many requests it sends."""

    outcome: str  # "output" | "service" | "client"
    code: str | None = None
    modeled: bool | None = None
    message: str | None = None
    http_status: int | None = None
    attempts: int | None = None
    output: dict[str, Any] | None = None


@dataclass(frozen=True)
class Scenario:
    """One catalogue entry; its ID is also a registered check."""

    id: str
    family: str
    rule: str
    source: Source
    reference: str
    operation: str
    params: dict[str, Any]
    replies: tuple[Reply, ...]
    expect: Expect
    max_attempts: int = 3
    calls: int = 1
    request_rules: tuple[RequestRule, ...] = field(default_factory=tuple)


CATALOGUE: list[Scenario] = []


def _add(scenario: Scenario) -> None:
    register(scenario.id, scenario.family, scenario.rule, scenario.source, scenario.reference)
    CATALOGUE.append(scenario)


SAMPLE_INPUT: dict[str, dict[str, Any]] = {
    "StartDICOMImportJob": {
        "datastoreId": DATASTORE,
        "dataAccessRoleArn": ROLE,
        "inputS3Uri": "s3://input-bucket/in/",
        "outputS3Uri": "s3://output-bucket/out/",
        "clientToken": TOKEN,
    },
    "GetDICOMImportJob": {"datastoreId": DATASTORE, "jobId": JOB},
    "ListDICOMImportJobs": {"datastoreId": DATASTORE},
    "CreateDatastore": {"datastoreName": "store", "clientToken": TOKEN},
    "GetDatastore": {"datastoreId": DATASTORE},
    "ListDatastores": {},
    "DeleteDatastore": {"datastoreId": DATASTORE},
    "SearchImageSets": {
        "datastoreId": DATASTORE,
        "searchCriteria": {
            "filters": [{"operator": "EQUAL", "values": [{"DICOMPatientId": "PAT-1"}]}],
            "sort": {"sortField": "updatedAt", "sortOrder": "DESC"},
        },
    },
    "GetImageSet": {"datastoreId": DATASTORE, "imageSetId": IMAGE_SET},
    "GetImageSetMetadata": {"datastoreId": DATASTORE, "imageSetId": IMAGE_SET},
    "GetImageFrame": {
        "datastoreId": DATASTORE,
        "imageSetId": IMAGE_SET,
        "imageFrameInformation": {"imageFrameId": FRAME},
    },
    "ListImageSetVersions": {"datastoreId": DATASTORE, "imageSetId": IMAGE_SET},
    "UpdateImageSetMetadata": {
        "datastoreId": DATASTORE,
        "imageSetId": IMAGE_SET,
        "latestVersionId": "1",
        "updateImageSetMetadataUpdates": {"revertToVersionId": "1"},
    },
    "CopyImageSet": {
        "datastoreId": DATASTORE,
        "sourceImageSetId": IMAGE_SET,
        "copyImageSetInformation": {
            "sourceImageSet": {"latestVersionId": "1"},
            "destinationImageSet": {"imageSetId": COPY, "latestVersionId": "4"},
        },
    },
    "DeleteImageSet": {"datastoreId": DATASTORE, "imageSetId": IMAGE_SET},
    "TagResource": {"resourceArn": DATASTORE_ARN, "tags": {"team": "imaging"}},
    "UntagResource": {"resourceArn": DATASTORE_ARN, "tagKeys": ["team"]},
    "ListTagsForResource": {"resourceArn": DATASTORE_ARN},
}
# The JSON body each sample input must produce, written out (not derived from a
# serializer): body members as one object, a payload member as the body itself.
SAMPLE_BODY: dict[str, Any] = {
    "StartDICOMImportJob": {
        "dataAccessRoleArn": ROLE,
        "inputS3Uri": "s3://input-bucket/in/",
        "outputS3Uri": "s3://output-bucket/out/",
        "clientToken": TOKEN,
    },
    "CreateDatastore": {"datastoreName": "store", "clientToken": TOKEN},
    "SearchImageSets": {
        "filters": [{"operator": "EQUAL", "values": [{"DICOMPatientId": "PAT-1"}]}],
        "sort": {"sortField": "updatedAt", "sortOrder": "DESC"},
    },
    "GetImageFrame": {"imageFrameId": FRAME},
    "UpdateImageSetMetadata": {"revertToVersionId": "1"},
    "CopyImageSet": {
        "sourceImageSet": {"latestVersionId": "1"},
        "destinationImageSet": {"imageSetId": COPY, "latestVersionId": "4"},
    },
    "TagResource": {"tags": {"team": "imaging"}},
}
# Every output member the model has, timestamps with fractions.
SAMPLE_OUTPUT: dict[str, dict[str, Any]] = {
    "StartDICOMImportJob": {
        "datastoreId": DATASTORE,
        "jobId": JOB,
        "jobStatus": "SUBMITTED",
        "submittedAt": 1732300000.123,
    },
    "GetDICOMImportJob": {
        "jobProperties": {
            "jobId": JOB,
            "jobName": "nightly",
            "jobStatus": "COMPLETED",
            "datastoreId": DATASTORE,
            "dataAccessRoleArn": ROLE,
            "submittedAt": 1732300000.123,
            "endedAt": 1732300042.5,
            "inputS3Uri": "s3://input-bucket/in/",
            "outputS3Uri": f"s3://output-bucket/out/{DATASTORE}-DicomImport-{JOB}/",
            "message": "2 files failed validation",
        }
    },
    "ListDICOMImportJobs": {
        "jobSummaries": [
            {
                "jobId": JOB,
                "jobName": "nightly",
                "jobStatus": "FAILED",
                "datastoreId": DATASTORE,
                "dataAccessRoleArn": ROLE,
                "endedAt": 1732300042.5,
                "submittedAt": 1732300000.123,
                "message": "input bucket not readable",
            }
        ],
        "nextToken": "page-2",
    },
    "CreateDatastore": {"datastoreId": DATASTORE, "datastoreStatus": "CREATING"},
    "GetDatastore": {
        "datastoreProperties": {
            "datastoreId": DATASTORE,
            "datastoreName": "store",
            "datastoreStatus": "ACTIVE",
            "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:alias/imaging",
            "lambdaAuthorizerArn": "arn:aws:lambda:us-east-1:123456789012:function:authorize",
            "losslessStorageFormat": "JPEG_2000_LOSSLESS",
            "datastoreArn": DATASTORE_ARN,
            "createdAt": 1732300000.5,
            "updatedAt": 1732300001.25,
        }
    },
    "ListDatastores": {
        "datastoreSummaries": [
            {
                "datastoreId": DATASTORE,
                "datastoreName": "store",
                "datastoreStatus": "ACTIVE",
                "datastoreArn": DATASTORE_ARN,
                "createdAt": 1732300000.5,
                "updatedAt": 1732300001.25,
            }
        ],
        "nextToken": "page-2",
    },
    "DeleteDatastore": {"datastoreId": DATASTORE, "datastoreStatus": "DELETING"},
    "SearchImageSets": {
        "imageSetsMetadataSummaries": [
            {
                "imageSetId": IMAGE_SET,
                "version": 3,
                "createdAt": 1732300000.5,
                "updatedAt": 1732300001.25,
                "lastAccessedAt": 1732300002.125,
                "storageTier": "ARCHIVE_INSTANT_ACCESS",
                "isPrimary": False,
                "DICOMTags": {
                    "DICOMPatientId": "PAT-1",
                    "DICOMPatientName": "MÜLLER^HANS",
                    "DICOMPatientBirthDate": "19700101",
                    "DICOMPatientSex": "M",
                    "DICOMStudyInstanceUID": "1.2.3",
                    "DICOMStudyId": "S1",
                    "DICOMStudyDescription": "CHEST",
                    "DICOMNumberOfStudyRelatedSeries": 2,
                    "DICOMNumberOfStudyRelatedInstances": 40,
                    "DICOMAccessionNumber": "ACC-9",
                    "DICOMSeriesInstanceUID": "1.2.3.4",
                    "DICOMSeriesModality": "CT",
                    "DICOMSeriesBodyPart": "CHEST",
                    "DICOMSeriesNumber": -1,
                    "DICOMStudyDate": "20240101",
                    "DICOMStudyTime": "120000",
                },
            }
        ],
        "sort": {"sortField": "updatedAt", "sortOrder": "DESC"},
        "nextToken": "page-2",
    },
    "GetImageSet": {
        "datastoreId": DATASTORE,
        "imageSetId": IMAGE_SET,
        "versionId": "2",
        "imageSetState": "ACTIVE",
        "imageSetWorkflowStatus": "UPDATED",
        "createdAt": 1732300000.5,
        "updatedAt": 1732300001.25,
        "deletedAt": 1732300009.75,
        "message": "update done",
        "imageSetArn": IMAGE_SET_ARN,
        "overrides": {"forced": True},
        "isPrimary": True,
        "lastAccessedAt": 1732300002.125,
        "storageTier": "FREQUENT_ACCESS",
    },
    "GetImageSetMetadata": {
        "imageSetMetadataBlob": METADATA_GZIP,
        "contentType": "application/json",
        "contentEncoding": "gzip",
    },
    "GetImageFrame": {"imageFrameBlob": FRAME_BYTES, "contentType": "image/jph"},
    "ListImageSetVersions": {
        "imageSetPropertiesList": [
            {
                "imageSetId": IMAGE_SET,
                "versionId": "2",
                "imageSetState": "ACTIVE",
                "ImageSetWorkflowStatus": "COPY_FAILED",
                "createdAt": 1732300000.5,
                "updatedAt": 1732300001.25,
                "deletedAt": 1732300009.75,
                "message": "INVALID_REQUEST: Series do not match",
                "overrides": {"forced": False},
                "isPrimary": True,
            }
        ],
        "nextToken": "page-2",
    },
    "UpdateImageSetMetadata": {
        "datastoreId": DATASTORE,
        "imageSetId": IMAGE_SET,
        "latestVersionId": "2",
        "imageSetState": "LOCKED",
        "imageSetWorkflowStatus": "UPDATING",
        "createdAt": 1732300000.5,
        "updatedAt": 1732300001.25,
        "message": "update accepted",
    },
    "CopyImageSet": {
        "datastoreId": DATASTORE,
        "sourceImageSetProperties": {
            "imageSetId": IMAGE_SET,
            "latestVersionId": "1",
            "imageSetState": "LOCKED",
            "imageSetWorkflowStatus": "COPYING_WITH_READ_ONLY_ACCESS",
            "createdAt": 1732300000.5,
            "updatedAt": 1732300001.25,
            "imageSetArn": IMAGE_SET_ARN,
        },
        "destinationImageSetProperties": {
            "imageSetId": COPY,
            "latestVersionId": "5",
            "imageSetState": "LOCKED",
            "imageSetWorkflowStatus": "COPYING",
            "createdAt": 1732300003.5,
            "updatedAt": 1732300004.25,
            "imageSetArn": f"{DATASTORE_ARN}/imageset/{COPY}",
        },
    },
    "DeleteImageSet": {
        "datastoreId": DATASTORE,
        "imageSetId": IMAGE_SET,
        "imageSetState": "LOCKED",
        "imageSetWorkflowStatus": "DELETING",
    },
    "TagResource": {},
    "UntagResource": {},
    "ListTagsForResource": {"tags": {"team": "imaging", "cost-centre": ""}},
}
# The one union of the import operations (checked apart: see _import_configuration).
IMPORT_CONFIGURATION = {
    "dicomJsonMetadataImportConfiguration": {
        "dicomMetadataMappings": [
            {
                "studyInstanceUID": "1.2.3",
                "seriesInstanceUID": "1.2.3.4",
                "metadataFilePath": "metadata/study-1.json",
            }
        ]
    }
}
# Blob answers: the raw body and the headers their header members come from.
BLOB_REPLY: dict[str, Reply] = {
    "GetImageFrame": Reply(200, (("Content-Type", "image/jph"),), FRAME_BYTES),
    "GetImageSetMetadata": Reply(
        200, (("Content-Type", "application/json"), ("Content-Encoding", "gzip")), METADATA_GZIP
    ),
}


def _request_line(operation: str) -> tuple[str, str]:
    """Method and path the SDK must send for the operation's sample input."""
    binding = operations()[operation]
    labels = {member.name: SAMPLE_INPUT[operation][member.name] for member in binding.labels}
    return binding.method, binding.path(labels)


PATHS = {operation: _request_line(operation) for operation in IN_SCOPE_OPERATIONS}
SIGNED = matchers.signed("us-east-1/medical-imaging")


def _ok(operation: str) -> Reply:
    if operation in BLOB_REPLY:
        return BLOB_REPLY[operation]
    return reply(200, SAMPLE_OUTPUT[operation])


# name -> (rule, source, how the error is sent); `{e}` is the error's name.
ERROR_VARIANTS: dict[str, tuple[str, Source, Any]] = {
    "HEADER": (
        "named in X-Amzn-Errortype maps to the modeled error with its message",
        Source.SMITHY,
        lambda e: ({"message": "m"}, e),
    ),
    "URI-SUFFIX": (
        "with a `:URI` suffix on the header maps to the modeled error",
        Source.SMITHY,
        lambda e: ({"message": "m"}, f"{e}:{CORAL_URI}"),
    ),
    "OWN-NAMESPACE": (
        "with the service's `namespace#` prefix maps to the modeled error",
        Source.SMITHY,
        lambda e: ({"message": "m"}, f"{NAMESPACE}#{e}"),
    ),
    "OTHER-NAMESPACE": (
        "with another `namespace#` prefix maps to the modeled error",
        Source.SMITHY,
        lambda e: ({"message": "m"}, f"aws.protocoltests.restjson#{e}"),
    ),
    "BODY-TYPE": (
        "named only in body `__type` maps to the modeled error",
        Source.SMITHY,
        lambda e: ({"__type": f"{NAMESPACE}#{e}", "message": "m"}, None),
    ),
    "BODY-CODE": (
        "named only in body `code` maps to the modeled error",
        Source.SMITHY,
        lambda e: ({"code": e, "message": "m"}, None),
    ),
    "BODY-NAMESPACE-URI": (
        "named in body `__type` with namespace and URI maps to the modeled error",
        Source.SMITHY,
        lambda e: ({"__type": f"{NAMESPACE}#{e}:{CORAL_URI}", "message": "m"}, None),
    ),
    "HEADER-WINS": (
        "named in the header while the body names another error: the header wins "
        "(derived: the header is checked first)",
        Source.SMITHY,
        lambda e: ({"__type": "SomeOtherException", "message": "m"}, e),
    ),
    "MESSAGE-CAPITALISED": (
        "with `Message` instead of `message` keeps the message",
        Source.AWS_CONVENTION,
        lambda e: ({"Message": "m"}, e),
    ),
}


def _errors() -> None:
    model = load_pinned_model()
    reference = "Smithy aws.protocols#restJson1, operation error serialization; model errors"
    for operation in IN_SCOPE_OPERATIONS:
        params = SAMPLE_INPUT[operation]
        for error in model.operation(operation)["errors"]:  # type: ignore[index]
            name = error["shape"]
            status = model.shape(name)["error"]["httpStatusCode"]
            for variant, (rule, source, shape_of) in ERROR_VARIANTS.items():
                body, header = shape_of(name)
                _add(
                    Scenario(
                        f"SDK-ERR-{variant}-{operation}-{name}",
                        "sdk-errors",
                        f"{operation}: {name} {rule}",
                        source,
                        reference,
                        operation,
                        params,
                        (reply(status, body, header),),
                        Expect("service", name, True, "m", status),
                        max_attempts=1,
                    )
                )
        _add(
            Scenario(
                f"SDK-ERR-UNKNOWN-CODE-{operation}",
                "sdk-errors",
                f"{operation}: an unknown error code gives a generic error that keeps the code",
                Source.AWS_CONVENTION,
                reference,
                operation,
                params,
                (reply(400, {"message": "m"}, "BrandNewException"),),
                Expect("service", "BrandNewException", False, "m", 400),
                max_attempts=1,
            )
        )
        _add(
            Scenario(
                f"SDK-ERR-5XX-EMPTY-BODY-{operation}",
                "sdk-errors",
                f"{operation}: a 500 with the header and no body still maps to the named error "
                "(Smithy test RestJsonFooErrorUsingXAmznErrorType)",
                Source.SMITHY,
                reference,
                operation,
                params,
                (reply(500, None, "InternalServerException"),),
                Expect("service", "InternalServerException", True, None, 500),
                max_attempts=1,
            )
        )


def _idempotency() -> None:
    start = {k: v for k, v in SAMPLE_INPUT["StartDICOMImportJob"].items() if k != "clientToken"}
    create = {"datastoreName": "store"}
    rule_source = ("model: clientToken carries idempotencyToken: true", Source.MODEL)
    for operation, params in (("StartDICOMImportJob", start), ("CreateDatastore", create)):
        _add(
            Scenario(
                f"SDK-TOKEN-FILLED-{operation}",
                "sdk-idempotency",
                f"{operation}: an absent clientToken is filled with a UUID v4",
                rule_source[1],
                rule_source[0],
                operation,
                params,
                (_ok(operation),),
                Expect("output", attempts=1),
                request_rules=(matchers.token_is_uuid4(), SIGNED),
            )
        )
    _add(
        Scenario(
            "SDK-TOKEN-FRESH-PER-CALL",
            "sdk-idempotency",
            "Two separate calls without clientToken get two different tokens",
            Source.MODEL,
            rule_source[0],
            "StartDICOMImportJob",
            start,
            (_ok("StartDICOMImportJob"), _ok("StartDICOMImportJob")),
            Expect("output", attempts=2),
            calls=2,
            request_rules=(matchers.token_differs_per_call(),),
        )
    )
    _add(
        Scenario(
            "SDK-TOKEN-KEPT",
            "sdk-idempotency",
            "A clientToken the caller set is sent unchanged",
            Source.MODEL,
            rule_source[0],
            "StartDICOMImportJob",
            SAMPLE_INPUT["StartDICOMImportJob"],
            (_ok("StartDICOMImportJob"),),
            Expect("output", attempts=1),
            request_rules=(matchers.token_equals(TOKEN),),
        )
    )
    for key, first in (
        ("500", reply(500, {"message": "m"}, "InternalServerException")),
        ("THROTTLED", reply(429, {"message": "m"}, "ThrottlingException")),
    ):
        _add(
            Scenario(
                f"SDK-TOKEN-SAME-ON-RETRY-{key}",
                "sdk-idempotency",
                "A filled clientToken is the same on every attempt of one call",
                Source.AWS_CONVENTION,
                "AWS SDKs generate the token once per call (botocore before-parameter-build)",
                "StartDICOMImportJob",
                start,
                (first, _ok("StartDICOMImportJob")),
                Expect("output", attempts=2),
                request_rules=(
                    matchers.token_is_uuid4(),
                    matchers.token_same_across_attempts(),
                    matchers.invocation_id_constant(),
                ),
            )
        )


def _retries() -> None:
    get = "GetDICOMImportJob"
    throttled = reply(429, {"message": "slow down"}, "ThrottlingException")
    _add(
        Scenario(
            "SDK-RETRY-THROTTLING",
            "sdk-retries",
            "ThrottlingException (429) is retried",
            Source.AWS_CONVENTION,
            "AWS SDK retry behaviour: throttling errors are retryable",
            get,
            SAMPLE_INPUT[get],
            (throttled, throttled, _ok(get)),
            Expect("output", attempts=3, output=SAMPLE_OUTPUT[get]),
            request_rules=(matchers.invocation_id_constant(),),
        )
    )
    _add(
        Scenario(
            "SDK-RETRY-GIVES-UP",
            "sdk-retries",
            "After maxAttempts throttled answers the last error is surfaced",
            Source.AWS_CONVENTION,
            "AWS SDK retry behaviour: maxAttempts is the total",
            get,
            SAMPLE_INPUT[get],
            (throttled, throttled, throttled),
            Expect("service", "ThrottlingException", True, "slow down", 429, attempts=3),
        )
    )
    for status in (500, 502, 503, 504):
        first = (
            reply(500, {"message": "m"}, "InternalServerException")
            if status == 500
            else reply(status, raw=b"<html>gateway trouble</html>")
        )
        _add(
            Scenario(
                f"SDK-RETRY-{status}",
                "sdk-retries",
                f"A transient {status} is retried",
                Source.AWS_CONVENTION,
                "AWS SDK retry behaviour: 500, 502, 503, 504 are transient",
                get,
                SAMPLE_INPUT[get],
                (first, _ok(get)),
                Expect("output", attempts=2),
            )
        )
    for status, name in (
        (400, "ValidationException"),
        (402, "ServiceQuotaExceededException"),
        (403, "AccessDeniedException"),
        (404, "ResourceNotFoundException"),
        (409, "ConflictException"),
    ):
        _add(
            Scenario(
                f"SDK-NO-RETRY-{status}",
                "sdk-retries",
                f"A {status} {name} is not retried",
                Source.AWS_CONVENTION,
                "AWS SDK retry behaviour: client errors are final",
                "StartDICOMImportJob",
                SAMPLE_INPUT["StartDICOMImportJob"],
                (reply(status, {"message": "m"}, name), _ok("StartDICOMImportJob")),
                Expect("service", name, True, "m", status, attempts=1),
            )
        )


def _serialization() -> None:
    for operation in IN_SCOPE_OPERATIONS:
        method, path = PATHS[operation]
        binding = operations()[operation]
        rules: list[RequestRule] = [matchers.method(method), matchers.path(path), SIGNED]
        if binding.has_request_body:
            rules += [
                matchers.content_type("application/json"),
                matchers.no_nulls(),
                matchers.json_body(SAMPLE_BODY[operation]),
            ]
            carried = "its JSON body"
            reference = (
                "the operation's http binding; SigV4 signing name; restJson1 tests "
                "RestJsonHttpPayloadWithStructure (a payload member is the body itself) "
                "and RestJsonTestBodyStructure"
            )
        else:
            rules.append(matchers.no_body())
            carried = "no body and no Content-Type"
            reference = (
                "the operation's http binding; SigV4 signing name; restJson1 tests "
                "RestJsonHttpGetWithNoModeledBody, RestJsonHttpPostWithNoModeledBody"
            )
        _add(
            Scenario(
                f"SDK-SERIALIZE-{operation}",
                "sdk-serialization",
                f"{operation} is sent as {method} {path.split('/')[1] or '/'}..., signed for "
                f"medical-imaging, with {carried}",
                Source.MODEL,
                reference,
                operation,
                SAMPLE_INPUT[operation],
                (_ok(operation),),
                Expect("output"),
                request_rules=tuple(rules),
            )
        )
    odd = "ab c!'()*~._-"
    _add(
        Scenario(
            "SDK-LABEL-ENCODING",
            "sdk-serialization",
            "Labels percent-encode everything outside RFC 3986 unreserved, !'()* included",
            Source.SMITHY,
            "restJson1 test RestJsonHttpRequestLabelEscaping",
            "GetDatastore",
            {"datastoreId": odd},
            (_ok("GetDatastore"),),
            Expect("output"),
            request_rules=(matchers.path("/datastore/ab%20c%21%27%28%29%2A~._-"),),
        )
    )
    _add(
        Scenario(
            "SDK-LABEL-ARN",
            "sdk-serialization",
            "An ARN label is one path segment: its `:` and `/` are percent-encoded",
            Source.SMITHY,
            "model: resourceArn is a (non-greedy) httpLabel of /tags/{resourceArn}; restJson1 "
            "test RestJsonHttpRequestLabelEscaping",
            "ListTagsForResource",
            {"resourceArn": IMAGE_SET_ARN},
            (_ok("ListTagsForResource"),),
            Expect("output"),
            request_rules=(
                matchers.path(
                    "/tags/arn%3Aaws%3Amedical-imaging%3Aus-east-1%3A123456789012%3Adatastore"
                    f"%2F{DATASTORE}%2Fimageset%2F{IMAGE_SET}"
                ),
            ),
        )
    )
    _query()
    _search()
    _import_configuration()


def _query() -> None:
    _add(
        Scenario(
            "SDK-QUERY-MEMBERS",
            "sdk-serialization",
            "ListDICOMImportJobs sends jobStatus, maxResults and nextToken as query parameters",
            Source.MODEL,
            "httpQuery bindings",
            "ListDICOMImportJobs",
            {
                "datastoreId": DATASTORE,
                "jobStatus": "COMPLETED",
                "maxResults": 5,
                "nextToken": "t/1+",
            },
            (_ok("ListDICOMImportJobs"),),
            Expect("output"),
            request_rules=(
                matchers.query_has("jobStatus", "COMPLETED"),
                matchers.query_has("maxResults", "5"),
                matchers.query_has("nextToken", "t/1+"),
            ),
        )
    )
    _add(
        Scenario(
            "SDK-QUERY-TAGKEYS-REPEATED",
            "sdk-serialization",
            "UntagResource sends a list query member as one `tagKeys=` pair per key, in order",
            Source.SMITHY,
            "model: tagKeys is an httpQuery list; restJson1 test RestJsonAllQueryStringTypes "
            "(StringList=a&StringList=b)",
            "UntagResource",
            {"resourceArn": DATASTORE_ARN, "tagKeys": ["team", "cost-centre"]},
            (_ok("UntagResource"),),
            Expect("output", output={}),
            request_rules=(matchers.query_values("tagKeys", ["team", "cost-centre"]),),
        )
    )
    _add(
        Scenario(
            "SDK-QUERY-BOOLEANS",
            "sdk-serialization",
            "CopyImageSet sends its boolean query members as `true` and `false`",
            Source.SMITHY,
            "model: force and promoteToPrimary are httpQuery booleans; restJson1 test "
            "RestJsonAllQueryStringTypes (Boolean=true)",
            "CopyImageSet",
            {**SAMPLE_INPUT["CopyImageSet"], "force": True, "promoteToPrimary": False},
            (_ok("CopyImageSet"),),
            Expect("output"),
            request_rules=(
                matchers.query_has("force", "true"),
                matchers.query_has("promoteToPrimary", "false"),
            ),
        )
    )
    _add(
        Scenario(
            "SDK-QUERY-LATEST-VERSION",
            "sdk-serialization",
            "UpdateImageSetMetadata sends its required latestVersionId as the query parameter "
            "`latestVersion`, and force beside it",
            Source.MODEL,
            "model: latestVersionId is required, httpQuery(latestVersion); force httpQuery",
            "UpdateImageSetMetadata",
            {**SAMPLE_INPUT["UpdateImageSetMetadata"], "latestVersionId": "7", "force": True},
            (_ok("UpdateImageSetMetadata"),),
            Expect("output"),
            request_rules=(
                matchers.query_has("latestVersion", "7"),
                matchers.query_has("force", "true"),
                matchers.query_lacks("latestVersionId"),
            ),
        )
    )
    _add(
        Scenario(
            "SDK-QUERY-INCLUDE-STUDY",
            "sdk-serialization",
            "UpdateImageSetMetadata sends includeStudyImageSets as a query boolean",
            Source.MODEL,
            "model: includeStudyImageSets is httpQuery(includeStudyImageSets), a boolean",
            "UpdateImageSetMetadata",
            {**SAMPLE_INPUT["UpdateImageSetMetadata"], "includeStudyImageSets": True},
            (_ok("UpdateImageSetMetadata"),),
            Expect("output"),
            request_rules=(
                matchers.query_has("latestVersion", "1"),
                matchers.query_has("includeStudyImageSets", "true"),
            ),
        )
    )
    _add(
        Scenario(
            "SDK-QUERY-VERSION",
            "sdk-serialization",
            "GetImageSet sends its versionId member as the query parameter `version`",
            Source.MODEL,
            "model: versionId is httpQuery(version)",
            "GetImageSet",
            {**SAMPLE_INPUT["GetImageSet"], "versionId": "3"},
            (_ok("GetImageSet"),),
            Expect("output"),
            request_rules=(
                matchers.query_has("version", "3"),
                matchers.query_lacks("versionId"),
            ),
        )
    )


def _search() -> None:
    search = "SearchImageSets"
    _add(
        Scenario(
            "SDK-SEARCH-EMPTY",
            "sdk-serialization",
            "SearchImageSets without searchCriteria sends the empty JSON object `{}`",
            Source.SMITHY,
            "model: searchCriteria is an optional structure httpPayload; restJson1 test "
            "RestJsonHttpWithEmptyStructurePayload",
            search,
            {"datastoreId": DATASTORE},
            (_ok(search),),
            Expect("output"),
            request_rules=(
                matchers.content_type("application/json"),
                matchers.json_body({}),
            ),
        )
    )
    between = [{"createdAt": 1732300000}, {"createdAt": 1732400000}]
    _add(
        Scenario(
            "SDK-SEARCH-TIMESTAMPS",
            "sdk-serialization",
            "SearchImageSets sends createdAt filter values as epoch-second numbers, and "
            "maxResults as a query parameter",
            Source.SMITHY,
            "restJson1: timestamps without timestampFormat travel in JSON as epoch-seconds "
            "(RestJsonJsonTimestamps); model: maxResults httpQuery",
            search,
            {
                "datastoreId": DATASTORE,
                "maxResults": 10,
                "searchCriteria": {"filters": [{"operator": "BETWEEN", "values": between}]},
            },
            (_ok(search),),
            Expect("output"),
            request_rules=(
                matchers.json_body({"filters": [{"operator": "BETWEEN", "values": between}]}),
                matchers.query_has("maxResults", "10"),
            ),
        )
    )


def _import_configuration() -> None:
    start = "StartDICOMImportJob"
    _add(
        Scenario(
            "SDK-SERIALIZE-IMPORT-CONFIGURATION",
            "sdk-serialization",
            "StartDICOMImportJob sends the importConfiguration union in its JSON body",
            Source.MODEL,
            "model: importConfiguration, a union body member of StartDICOMImportJobRequest "
            "(dicomJsonMetadataImportConfiguration)",
            start,
            {**SAMPLE_INPUT[start], "importConfiguration": IMPORT_CONFIGURATION},
            (_ok(start),),
            Expect("output"),
            request_rules=(
                matchers.json_body(
                    {**SAMPLE_BODY[start], "importConfiguration": IMPORT_CONFIGURATION}
                ),
            ),
        )
    )
    get = "GetDICOMImportJob"
    output = json.loads(json.dumps(SAMPLE_OUTPUT[get]))
    output["jobProperties"]["importConfiguration"] = IMPORT_CONFIGURATION
    _add(
        Scenario(
            "SDK-DESERIALIZE-IMPORT-CONFIGURATION",
            "sdk-deserialization",
            "GetDICOMImportJob reads the importConfiguration union the job echoes",
            Source.MODEL,
            "model: DICOMImportJobProperties.importConfiguration",
            get,
            SAMPLE_INPUT[get],
            (reply(200, output),),
            Expect("output", output=output),
        )
    )


def _blobs() -> None:
    streaming = (
        "model: the output's payload is a streaming blob, its header members beside it; "
        "restJson1 test RestJsonHttpPayloadTraitsWithBlob (response); "
        "runtime-api-facts §1: botocore does not gunzip"
    )
    _add(
        Scenario(
            "SDK-BLOB-FRAME",
            "sdk-blobs",
            "GetImageFrame hands back the frame's bytes unchanged, with contentType",
            Source.MODEL,
            streaming,
            "GetImageFrame",
            SAMPLE_INPUT["GetImageFrame"],
            (BLOB_REPLY["GetImageFrame"],),
            Expect("output", output=SAMPLE_OUTPUT["GetImageFrame"]),
        )
    )
    _add(
        Scenario(
            "SDK-BLOB-METADATA-GZIP",
            "sdk-blobs",
            "GetImageSetMetadata hands back the gzip bytes as sent (not gunzipped), with "
            "contentType and contentEncoding",
            Source.MODEL,
            streaming,
            "GetImageSetMetadata",
            SAMPLE_INPUT["GetImageSetMetadata"],
            (BLOB_REPLY["GetImageSetMetadata"],),
            Expect("output", output=SAMPLE_OUTPUT["GetImageSetMetadata"]),
        )
    )
    _add(
        Scenario(
            "SDK-BLOB-METADATA-PLAIN",
            "sdk-blobs",
            "GetImageSetMetadata without Content-Encoding hands back the JSON bytes unparsed",
            Source.MODEL,
            streaming,
            "GetImageSetMetadata",
            SAMPLE_INPUT["GetImageSetMetadata"],
            (Reply(200, (("Content-Type", "application/json"),), METADATA_DOCUMENT),),
            Expect(
                "output",
                output={
                    "imageSetMetadataBlob": METADATA_DOCUMENT,
                    "contentType": "application/json",
                },
            ),
        )
    )
    updates = {"updatableAttributes": UPDATABLE, "removableAttributes": REMOVABLE}
    _add(
        Scenario(
            "SDK-BLOB-UPDATE-BASE64",
            "sdk-blobs",
            "UpdateImageSetMetadata sends the DICOMUpdates blobs base64-encoded in its JSON body",
            Source.SMITHY,
            "model: removableAttributes/updatableAttributes are blobs inside the union payload; "
            "restJson1 test RestJsonJsonBlobs (blobs in JSON are base64)",
            "UpdateImageSetMetadata",
            {
                **SAMPLE_INPUT["UpdateImageSetMetadata"],
                "updateImageSetMetadataUpdates": {"DICOMUpdates": updates},
            },
            (_ok("UpdateImageSetMetadata"),),
            Expect("output"),
            request_rules=(
                matchers.content_type("application/json"),
                matchers.json_body(
                    {
                        "DICOMUpdates": {
                            "updatableAttributes": base64.b64encode(UPDATABLE).decode(),
                            "removableAttributes": base64.b64encode(REMOVABLE).decode(),
                        }
                    }
                ),
                matchers.query_has("latestVersion", "1"),
            ),
        )
    )


DESERIALIZE_NOTES = {
    "SearchImageSets": "; version is an integer, DICOMTags read whole",
    "ListImageSetVersions": "; ImageSetWorkflowStatus keeps its capital I",
    "GetImageSet": "; overrides and isPrimary read",
    "CopyImageSet": "; both nested properties read",
    "TagResource": " (an empty output)",
    "UntagResource": " (an empty output)",
}


def _deserialization() -> None:
    get = "GetDICOMImportJob"
    extended = json.loads(json.dumps(SAMPLE_OUTPUT[get]))
    extended["jobProperties"]["futureMember"] = {"nested": True}
    extended["unknownTopLevel"] = 1
    _add(
        Scenario(
            "SDK-DESERIALIZE-FRACTIONS",
            "sdk-deserialization",
            "Every output member is read, epoch timestamps keep their fractions",
            Source.SMITHY,
            "restJson1 timestamps: epoch-seconds with fractions",
            get,
            SAMPLE_INPUT[get],
            (_ok(get),),
            Expect("output", output=SAMPLE_OUTPUT[get]),
        )
    )
    _add(
        Scenario(
            "SDK-DESERIALIZE-UNKNOWN-MEMBERS",
            "sdk-deserialization",
            "Unknown response members are ignored",
            Source.SMITHY,
            "clients must ignore members they do not know",
            get,
            SAMPLE_INPUT[get],
            (reply(200, extended),),
            Expect("output", output=SAMPLE_OUTPUT[get]),
        )
    )
    minimal = {
        "datastoreId": DATASTORE,
        "jobId": JOB,
        "jobStatus": "SUBMITTED",
        "submittedAt": 1732300000,
    }
    _add(
        Scenario(
            "SDK-DESERIALIZE-WHOLE-SECONDS",
            "sdk-deserialization",
            "An integer epoch timestamp is read as that second",
            Source.SMITHY,
            "restJson1 timestamps",
            "StartDICOMImportJob",
            SAMPLE_INPUT["StartDICOMImportJob"],
            (reply(200, minimal),),
            Expect("output", output=minimal),
        )
    )
    for operation in IN_SCOPE_OPERATIONS:
        if operations()[operation].blob_output or operation == get:
            continue
        _add(
            Scenario(
                f"SDK-DESERIALIZE-{operation}",
                "sdk-deserialization",
                f"{operation}: every output member is read with the model's names and types, "
                f"timestamps with their fractions{DESERIALIZE_NOTES.get(operation, '')}",
                Source.MODEL,
                "the output shape's members; restJson1 epoch-seconds timestamps",
                operation,
                SAMPLE_INPUT[operation],
                (_ok(operation),),
                Expect("output", output=SAMPLE_OUTPUT[operation]),
            )
        )


_errors()
_idempotency()
_retries()
_serialization()
_blobs()
_deserialization()
BY_ID = {scenario.id: scenario for scenario in CATALOGUE}
