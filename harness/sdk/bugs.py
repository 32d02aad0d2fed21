"""Each deliberate bug of the reference adapter and the scenarios that must catch it.

As every emulator fault declares the check that catches it, every bug declares
exactly the scenarios whose failure catches it; the self-test and the tests
judge a bug caught only when exactly these fail.
"""

from __future__ import annotations

from functools import cache

from harness.model import IN_SCOPE_OPERATIONS, load_pinned_model, operations
from harness.sdk.scenarios.endpoints import REGION_CASES, case_id

MODEL = load_pinned_model()


def errors_of(*variants: str) -> set[str]:
    """The IDs of these error-mapping variants, for every modelled error of every operation."""
    return {
        f"SDK-ERR-{variant}-{operation}-{error['shape']}"
        for variant in variants
        for operation in IN_SCOPE_OPERATIONS
        for error in MODEL.operation(operation)["errors"]  # type: ignore[index]
    }


def serialize(*operations: str) -> set[str]:
    return {f"SDK-SERIALIZE-{operation}" for operation in operations}


def deserialize(*operations: str) -> set[str]:
    return {f"SDK-DESERIALIZE-{operation}" for operation in operations}


def empty_body(*operations: str) -> set[str]:
    return {f"SDK-EMPTY-BODY-{operation}" for operation in operations}


def host_prefix(*operations: str) -> set[str]:
    return {f"SDK-HOST-PREFIX-{operation}" for operation in operations}


WITHOUT_BODY = tuple(name for name, op in operations().items() if not op.has_request_body)
GETS = tuple(name for name in WITHOUT_BODY if operations()[name].method == "GET")
PREFIXED = tuple(name for name, op in operations().items() if op.host_prefix)
UNPREFIXED = tuple(name for name in IN_SCOPE_OPERATIONS if name not in PREFIXED)
CLOCK_SKEW = {
    f"SDK-CLOCK-SKEW-{case}"
    for case in (
        "RequestTimeTooSkewed",
        "InvalidSignatureException",
        "PERSISTS",
        "NO-DATE",
        "BELOW-THRESHOLD",
    )
}
# The scenarios that check the clock a request was signed at.
SIGNED_AT_SERVER_TIME = {
    "SDK-CLOCK-SKEW-RequestTimeTooSkewed",
    "SDK-CLOCK-SKEW-InvalidSignatureException",
    "SDK-CLOCK-SKEW-PERSISTS",
}


def _header_ignored() -> set[str]:
    """Without the header every header variant fails, and the codes of retry answers too.

    Clock-skew errors are named in the header, so none is recognised as one.
    """
    header_variants = errors_of(
        "HEADER",
        "URI-SUFFIX",
        "OWN-NAMESPACE",
        "OTHER-NAMESPACE",
        "HEADER-WINS",
        "MESSAGE-CAPITALISED",
    )
    per_operation = {
        f"SDK-ERR-{kind}-{operation}"
        for kind in ("UNKNOWN-CODE", "5XX-EMPTY-BODY")
        for operation in IN_SCOPE_OPERATIONS
    }
    retries = {f"SDK-NO-RETRY-{status}" for status in (400, 402, 403, 404, 409)}
    retries |= {"SDK-RETRY-GIVES-UP", "SDK-RETRY-QUOTA-COST", "SDK-RETRY-QUOTA-EXHAUSTS"}
    return header_variants | per_operation | retries | CLOCK_SKEW


@cache
def caught_by() -> dict[str, frozenset[str]]:
    """Each bug and exactly the scenarios whose failure catches it."""
    table: dict[str, set[str]] = {
        "no-token": {
            "SDK-TOKEN-FILLED-CreateDatastore",
            "SDK-TOKEN-FILLED-StartDICOMImportJob",
            "SDK-TOKEN-FRESH-PER-CALL",
            "SDK-TOKEN-SAME-ON-RETRY-500",
            "SDK-TOKEN-SAME-ON-RETRY-THROTTLED",
        },
        "token-per-attempt": {"SDK-TOKEN-SAME-ON-RETRY-500", "SDK-TOKEN-SAME-ON-RETRY-THROTTLED"},
        "namespace-kept": errors_of("OTHER-NAMESPACE", "OWN-NAMESPACE", "URI-SUFFIX"),
        "body-code-first": errors_of("HEADER-WINS"),
        "no-throttle-retry": {
            "SDK-RETRY-GIVES-UP",
            "SDK-RETRY-THROTTLING",
            "SDK-TOKEN-SAME-ON-RETRY-THROTTLED",
        },
        "retries-conflicts": {"SDK-NO-RETRY-409"},
        # Every output sample with a fractional timestamp.
        "fractions-dropped": {
            "SDK-DESERIALIZE-FRACTIONS",
            "SDK-DESERIALIZE-UNKNOWN-MEMBERS",
            "SDK-DESERIALIZE-IMPORT-CONFIGURATION",
            "SDK-RETRY-THROTTLING",
            *deserialize(
                "StartDICOMImportJob",
                "ListDICOMImportJobs",
                "GetDatastore",
                "ListDatastores",
                "SearchImageSets",
                "GetImageSet",
                "ListImageSetVersions",
                "UpdateImageSetMetadata",
                "CopyImageSet",
            ),
        },
        "nulls-sent": {
            *serialize("CreateDatastore", "StartDICOMImportJob"),
            "SDK-SERIALIZE-IMPORT-CONFIGURATION",
        },
        "labels-half-encoded": {"SDK-LABEL-ENCODING"},
        # Host-prefix scenarios verify the signature; clock-skew ones read X-Amz-Date.
        "unsigned": {
            *serialize(*IN_SCOPE_OPERATIONS),
            "SDK-TOKEN-FILLED-CreateDatastore",
            "SDK-TOKEN-FILLED-StartDICOMImportJob",
            *host_prefix(*IN_SCOPE_OPERATIONS),
            *{f"SDK-HOST-PREFIX-DISABLED-{operation}" for operation in PREFIXED},
            *SIGNED_AT_SERVER_TIME,
        },
        "metadata-gunzipped": {"SDK-BLOB-METADATA-GZIP"},
        "body-on-get": serialize(*WITHOUT_BODY) | empty_body(*WITHOUT_BODY),
        "tagkeys-comma-joined": {"SDK-QUERY-TAGKEYS-REPEATED"},
        "arn-label-unencoded": {
            "SDK-LABEL-ARN",
            *serialize("TagResource", "UntagResource", "ListTagsForResource"),
        },
        "booleans-capitalised": {
            "SDK-QUERY-BOOLEANS",
            "SDK-QUERY-INCLUDE-STUDY",
            "SDK-QUERY-LATEST-VERSION",
        },
        "blobs-as-text": {"SDK-BLOB-UPDATE-BASE64"},
        "no-retry-quota": {
            "SDK-RETRY-QUOTA-COST",
            "SDK-RETRY-QUOTA-EXHAUSTS",
            "SDK-RETRY-QUOTA-TIMEOUT-COST",
        },
        # The first wait is 2 s, beyond the 1 s bound of the standard behaviour.
        "backoff-off-by-one": {"SDK-RETRY-BACKOFF-BOUNDS", "SDK-RETRY-AFTER"},
        "attempt-max-late": {"SDK-RETRY-ATTEMPT-MAX"},
        "attempt-stuck": {"SDK-RETRY-ATTEMPT-HEADER"},
        "transport-errors-final": {
            "SDK-RETRY-TIMEOUT",
            "SDK-RETRY-CONNECTION-RESET",
            "SDK-RETRY-QUOTA-TIMEOUT-COST",
        },
        "timeout-costs-five": {"SDK-RETRY-QUOTA-TIMEOUT-COST"},
        "clock-never-corrected": SIGNED_AT_SERVER_TIME,
        "host-prefix-ignored": host_prefix(*PREFIXED) | {"SDK-ENDPOINT-HOST-PREFIX-FIPS"},
        "host-prefix-everywhere": host_prefix(*UNPREFIXED),
        "content-length-on-get": empty_body(*GETS),
        "empty-output-rejected": {"SDK-EMPTY-OUTPUT-TagResource", "SDK-EMPTY-OUTPUT-UntagResource"},
        # Every endpoint case with FIPS on: the region cases, the host-prefixed one, and the
        # custom endpoint the ruleset refuses with FIPS.
        "fips-ignored": {
            *(case_id(region, fips, dual) for region, fips, dual, _ in REGION_CASES if fips),
            "SDK-ENDPOINT-HOST-PREFIX-FIPS",
            "SDK-ENDPOINT-CUSTOM-FIPS",
        },
    }
    table["header-ignored"] = _header_ignored()
    return {bug: frozenset(ids) for bug, ids in table.items()}
