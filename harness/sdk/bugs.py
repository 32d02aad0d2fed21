"""Each deliberate bug of the reference client (`reference_bugs`) and the scenarios that catch it.

As every emulator fault declares the check that catches it, every bug declares
exactly the scenarios whose failure catches it; the self-test and the tests
judge a bug caught only when exactly these fail. Every ID comes from its
family's ID builder, typed by the family's cases, so a scenario renamed or
removed there fails type-checking here instead of matching nothing.
"""

from __future__ import annotations

from functools import cache
from typing import get_args

from harness.model import IN_SCOPE_OPERATIONS, operations
from harness.sdk.scenarios.blobs import blob_id
from harness.sdk.scenarios.clock_skew import ClockSkewCase, clock_skew_id
from harness.sdk.scenarios.deserialization import deserialization_id, deserialize_id
from harness.sdk.scenarios.empty_bodies import empty_body_id, empty_output_id
from harness.sdk.scenarios.endpoints import REGION_CASES, endpoint_id, region_id
from harness.sdk.scenarios.errors import error_ids, generic_error_id
from harness.sdk.scenarios.host_prefix import host_prefix_disabled_id, host_prefix_id
from harness.sdk.scenarios.idempotency import token_filled_id, token_id
from harness.sdk.scenarios.retries import FINAL_ERRORS, no_retry_id, retry_id
from harness.sdk.scenarios.serialization import serialization_id, serialize_id


def serialize(*operations: str) -> set[str]:
    return {serialize_id(operation) for operation in operations}


def deserialize(*operations: str) -> set[str]:
    return {deserialize_id(operation) for operation in operations}


def empty_body(*operations: str) -> set[str]:
    return {empty_body_id(operation) for operation in operations}


def host_prefix(*operations: str) -> set[str]:
    return {host_prefix_id(operation) for operation in operations}


WITHOUT_BODY = tuple(name for name, op in operations().items() if not op.has_request_body)
GETS = tuple(name for name in WITHOUT_BODY if operations()[name].method == "GET")
PREFIXED = tuple(name for name, op in operations().items() if op.host_prefix)
UNPREFIXED = tuple(name for name in IN_SCOPE_OPERATIONS if name not in PREFIXED)
CLOCK_SKEW = {clock_skew_id(case) for case in get_args(ClockSkewCase)}
# The scenarios that check the clock a request was signed at.
SIGNED_AT_SERVER_TIME = {
    clock_skew_id("RequestTimeTooSkewed"),
    clock_skew_id("InvalidSignatureException"),
    clock_skew_id("PERSISTS"),
}


def _header_ignored() -> set[str]:
    """Without the header every header variant fails, and the codes of retry answers too.

    Clock-skew errors are named in the header, so none is recognised as one.
    """
    header_variants = error_ids(
        "HEADER",
        "URI-SUFFIX",
        "OWN-NAMESPACE",
        "OTHER-NAMESPACE",
        "HEADER-WINS",
        "MESSAGE-CAPITALISED",
    )
    per_operation = {
        generic_error_id(kind, operation)
        for kind in ("UNKNOWN-CODE", "5XX-EMPTY-BODY")
        for operation in IN_SCOPE_OPERATIONS
    }
    retries = {no_retry_id(status) for status, _ in FINAL_ERRORS}
    retries |= {retry_id("GIVES-UP"), retry_id("QUOTA-COST"), retry_id("QUOTA-EXHAUSTS")}
    return header_variants | per_operation | retries | CLOCK_SKEW


@cache
def caught_by() -> dict[str, frozenset[str]]:
    """Each bug and exactly the scenarios whose failure catches it."""
    table: dict[str, set[str]] = {
        "no-token": {
            token_filled_id("CreateDatastore"),
            token_filled_id("StartDICOMImportJob"),
            token_id("FRESH-PER-CALL"),
            token_id("SAME-ON-RETRY-500"),
            token_id("SAME-ON-RETRY-THROTTLED"),
        },
        "token-per-attempt": {token_id("SAME-ON-RETRY-500"), token_id("SAME-ON-RETRY-THROTTLED")},
        "namespace-kept": error_ids("OTHER-NAMESPACE", "OWN-NAMESPACE", "URI-SUFFIX"),
        "body-code-first": error_ids("HEADER-WINS"),
        "no-throttle-retry": {
            retry_id("GIVES-UP"),
            retry_id("THROTTLING"),
            token_id("SAME-ON-RETRY-THROTTLED"),
        },
        "retries-conflicts": {no_retry_id(409)},
        # Every output sample with a fractional timestamp.
        "fractions-dropped": {
            deserialization_id("FRACTIONS"),
            deserialization_id("UNKNOWN-MEMBERS"),
            deserialization_id("IMPORT-CONFIGURATION"),
            retry_id("THROTTLING"),
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
            serialization_id("SERIALIZE-IMPORT-CONFIGURATION"),
        },
        "labels-half-encoded": {serialization_id("LABEL-ENCODING")},
        # Host-prefix scenarios verify the signature; clock-skew ones read X-Amz-Date.
        "unsigned": {
            *serialize(*IN_SCOPE_OPERATIONS),
            token_filled_id("CreateDatastore"),
            token_filled_id("StartDICOMImportJob"),
            *host_prefix(*IN_SCOPE_OPERATIONS),
            *(host_prefix_disabled_id(operation) for operation in PREFIXED),
            *SIGNED_AT_SERVER_TIME,
        },
        "metadata-gunzipped": {blob_id("METADATA-GZIP")},
        "body-on-get": serialize(*WITHOUT_BODY) | empty_body(*WITHOUT_BODY),
        "tagkeys-comma-joined": {serialization_id("QUERY-TAGKEYS-REPEATED")},
        "arn-label-unencoded": {
            serialization_id("LABEL-ARN"),
            *serialize("TagResource", "UntagResource", "ListTagsForResource"),
        },
        "booleans-capitalised": {
            serialization_id("QUERY-BOOLEANS"),
            serialization_id("QUERY-INCLUDE-STUDY"),
            serialization_id("QUERY-LATEST-VERSION"),
        },
        "blobs-as-text": {blob_id("UPDATE-BASE64")},
        "no-retry-quota": {
            retry_id("QUOTA-COST"),
            retry_id("QUOTA-EXHAUSTS"),
            retry_id("QUOTA-TIMEOUT-COST"),
        },
        # The first wait is 2 s, beyond the 1 s bound of the standard behaviour.
        "backoff-off-by-one": {retry_id("BACKOFF-BOUNDS"), retry_id("AFTER")},
        "attempt-max-late": {retry_id("ATTEMPT-MAX")},
        "attempt-stuck": {retry_id("ATTEMPT-HEADER")},
        "transport-errors-final": {
            retry_id("TIMEOUT"),
            retry_id("CONNECTION-RESET"),
            retry_id("QUOTA-TIMEOUT-COST"),
        },
        "timeout-costs-five": {retry_id("QUOTA-TIMEOUT-COST")},
        "clock-never-corrected": SIGNED_AT_SERVER_TIME,
        "host-prefix-ignored": host_prefix(*PREFIXED) | {endpoint_id("HOST-PREFIX-FIPS")},
        "host-prefix-everywhere": host_prefix(*UNPREFIXED),
        "content-length-on-get": empty_body(*GETS),
        "empty-output-rejected": {empty_output_id("TagResource"), empty_output_id("UntagResource")},
        # Every endpoint case with FIPS on: the region cases, the host-prefixed one, and the
        # custom endpoint the ruleset refuses with FIPS.
        "fips-ignored": {
            *(region_id(region, fips, dual) for region, fips, dual, _ in REGION_CASES if fips),
            endpoint_id("HOST-PREFIX-FIPS"),
            endpoint_id("CUSTOM-FIPS"),
        },
    }
    table["header-ignored"] = _header_ignored()
    return {bug: frozenset(ids) for bug, ids in table.items()}
