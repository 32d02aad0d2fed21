"""The scenario catalogue: data, not code paths.

Each scenario scripts the service's answers, names one call, and states what a
correct SDK reports and which request rules it must keep. The rules come from
the model, the Smithy restJson1 specification, AWS SDK conventions, or the
harness's own documented choices (labelled as such).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harness.checks import Source, register
from harness.model import IN_SCOPE_OPERATIONS, load_pinned_model, operations

DATASTORE = "0123456789abcdef0123456789abcdef"
JOB = "fedcba9876543210fedcba9876543210"
IMAGE_SET = "00112233445566778899aabbccddeeff"
COPY = "ffeeddccbbaa99887766554433221100"
FRAME = "0123456789abcdef0123456789abcdef"
DATASTORE_ARN = f"arn:aws:medical-imaging:us-east-1:123456789012:datastore/{DATASTORE}"
ROLE = "arn:aws:iam::123456789012:role/ImportRole"
TOKEN = "caller-chosen-token-1"
NAMESPACE = "com.amazonaws.medicalimaging"
CORAL_URI = "http://internal.amazon.com/coral/com.amazon.coral.validate/"


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


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
    request_rules: tuple[tuple[str, str], ...] = field(default_factory=tuple)


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
            "filters": [{"operator": "EQUAL", "values": [{"DICOMPatientId": "PAT-1"}]}]
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
        "copyImageSetInformation": {"sourceImageSet": {"latestVersionId": "1"}},
    },
    "DeleteImageSet": {"datastoreId": DATASTORE, "imageSetId": IMAGE_SET},
    "TagResource": {"resourceArn": DATASTORE_ARN, "tags": {"team": "imaging"}},
    "UntagResource": {"resourceArn": DATASTORE_ARN, "tagKeys": ["team"]},
    "ListTagsForResource": {"resourceArn": DATASTORE_ARN},
}
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
        }
    },
    "ListDICOMImportJobs": {"jobSummaries": []},
    "CreateDatastore": {"datastoreId": DATASTORE, "datastoreStatus": "CREATING"},
    "GetDatastore": {
        "datastoreProperties": {
            "datastoreId": DATASTORE,
            "datastoreName": "store",
            "datastoreStatus": "ACTIVE",
            "createdAt": 1732300000.5,
            "updatedAt": 1732300001.25,
        }
    },
    "ListDatastores": {"datastoreSummaries": []},
    "DeleteDatastore": {"datastoreId": DATASTORE, "datastoreStatus": "DELETING"},
    "SearchImageSets": {
        "imageSetsMetadataSummaries": [
            {
                "imageSetId": IMAGE_SET,
                "version": 1,
                "createdAt": 1732300000.5,
                "updatedAt": 1732300001.25,
                "isPrimary": True,
                "DICOMTags": {"DICOMPatientId": "PAT-1", "DICOMStudyInstanceUID": "1.2.3"},
            }
        ]
    },
    "GetImageSet": {
        "datastoreId": DATASTORE,
        "imageSetId": IMAGE_SET,
        "versionId": "1",
        "imageSetState": "ACTIVE",
        "imageSetWorkflowStatus": "IMPORTED",
        "createdAt": 1732300000.5,
        "updatedAt": 1732300001.25,
        "imageSetArn": f"{DATASTORE_ARN}/imageset/{IMAGE_SET}",
        "isPrimary": True,
    },
    "GetImageSetMetadata": {},
    "GetImageFrame": {},
    "ListImageSetVersions": {
        "imageSetPropertiesList": [
            {
                "imageSetId": IMAGE_SET,
                "versionId": "1",
                "imageSetState": "ACTIVE",
                "ImageSetWorkflowStatus": "IMPORTED",
                "createdAt": 1732300000.5,
            }
        ]
    },
    "UpdateImageSetMetadata": {
        "datastoreId": DATASTORE,
        "imageSetId": IMAGE_SET,
        "latestVersionId": "2",
        "imageSetState": "LOCKED",
        "imageSetWorkflowStatus": "UPDATING",
        "createdAt": 1732300000.5,
        "updatedAt": 1732300001.25,
    },
    "CopyImageSet": {
        "datastoreId": DATASTORE,
        "sourceImageSetProperties": {
            "imageSetId": IMAGE_SET,
            "latestVersionId": "1",
            "imageSetState": "LOCKED",
            "imageSetWorkflowStatus": "COPYING_WITH_READ_ONLY_ACCESS",
        },
        "destinationImageSetProperties": {
            "imageSetId": COPY,
            "latestVersionId": "1",
            "imageSetState": "LOCKED",
            "imageSetWorkflowStatus": "COPYING",
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
    "ListTagsForResource": {"tags": {"team": "imaging"}},
}


def _request_line(operation: str) -> tuple[str, str]:
    """Method and path the SDK must send for the operation's sample input."""
    binding = operations()[operation]
    labels = {member.name: SAMPLE_INPUT[operation][member.name] for member in binding.labels}
    return binding.method, binding.path(labels)


PATHS = {operation: _request_line(operation) for operation in IN_SCOPE_OPERATIONS}
SIGNED = ("signed", "us-east-1/medical-imaging")


def _ok(operation: str) -> Reply:
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
                request_rules=(("token", "uuid4"), SIGNED),
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
            request_rules=(("token", "differs-per-call"),),
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
            request_rules=(("token", TOKEN),),
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
                    ("token", "uuid4"),
                    ("token", "same-across-attempts"),
                    ("invocation-id", "constant"),
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
            request_rules=(("invocation-id", "constant"),),
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
        rules: list[tuple[str, str]] = [("method", method), ("path", path), SIGNED]
        if method == "POST":
            rules += [("content-type", "application/json"), ("body", "no-nulls")]
        _add(
            Scenario(
                f"SDK-SERIALIZE-{operation}",
                "sdk-serialization",
                f"{operation} is sent as {method} {path.split('/')[1] or '/'}..., signed for "
                "medical-imaging",
                Source.MODEL,
                "the operation's http binding; SigV4 signing name",
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
            request_rules=(("path", "/datastore/ab%20c%21%27%28%29%2A~._-"),),
        )
    )
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
                ("query", "jobStatus=COMPLETED"),
                ("query", "maxResults=5"),
                ("query", "nextToken=t/1+"),
            ),
        )
    )


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


_errors()
_idempotency()
_retries()
_serialization()
_deserialization()
BY_ID = {scenario.id: scenario for scenario in CATALOGUE}
