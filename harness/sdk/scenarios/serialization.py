"""Serialization: request lines, bodies, labels, query members, search bodies, unions."""

from __future__ import annotations

import json

from harness.checks import Source
from harness.model import IN_SCOPE_OPERATIONS, operations
from harness.sdk import matchers
from harness.sdk.matchers import RequestRule
from harness.sdk.scenarios.base import Add, Expect, Scenario, reply
from harness.sdk.scenarios.samples import (
    DATASTORE,
    DATASTORE_ARN,
    IMAGE_SET,
    IMAGE_SET_ARN,
    IMPORT_CONFIGURATION,
    PATHS,
    SAMPLE_BODY,
    SAMPLE_INPUT,
    SAMPLE_OUTPUT,
    SIGNED,
    ok,
)


def _serialization(add: Add) -> None:
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
        add(
            Scenario(
                f"SDK-SERIALIZE-{operation}",
                "sdk-serialization",
                f"{operation} is sent as {method} {path.split('/')[1] or '/'}..., signed for "
                f"medical-imaging, with {carried}",
                Source.MODEL,
                reference,
                operation,
                SAMPLE_INPUT[operation],
                (ok(operation),),
                Expect("output"),
                request_rules=tuple(rules),
            )
        )
    odd = "ab c!'()*~._-"
    add(
        Scenario(
            "SDK-LABEL-ENCODING",
            "sdk-serialization",
            "Labels percent-encode everything outside RFC 3986 unreserved, !'()* included",
            Source.SMITHY,
            "restJson1 test RestJsonHttpRequestLabelEscaping",
            "GetDatastore",
            {"datastoreId": odd},
            (ok("GetDatastore"),),
            Expect("output"),
            request_rules=(matchers.path("/datastore/ab%20c%21%27%28%29%2A~._-"),),
        )
    )
    add(
        Scenario(
            "SDK-LABEL-ARN",
            "sdk-serialization",
            "An ARN label is one path segment: its `:` and `/` are percent-encoded",
            Source.SMITHY,
            "model: resourceArn is a (non-greedy) httpLabel of /tags/{resourceArn}; restJson1 "
            "test RestJsonHttpRequestLabelEscaping",
            "ListTagsForResource",
            {"resourceArn": IMAGE_SET_ARN},
            (ok("ListTagsForResource"),),
            Expect("output"),
            request_rules=(
                matchers.path(
                    "/tags/arn%3Aaws%3Amedical-imaging%3Aus-east-1%3A123456789012%3Adatastore"
                    f"%2F{DATASTORE}%2Fimageset%2F{IMAGE_SET}"
                ),
            ),
        )
    )
    _query(add)
    _search(add)
    _import_configuration(add)


def _query(add: Add) -> None:
    add(
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
            (ok("ListDICOMImportJobs"),),
            Expect("output"),
            request_rules=(
                matchers.query_has("jobStatus", "COMPLETED"),
                matchers.query_has("maxResults", "5"),
                matchers.query_has("nextToken", "t/1+"),
            ),
        )
    )
    add(
        Scenario(
            "SDK-QUERY-TAGKEYS-REPEATED",
            "sdk-serialization",
            "UntagResource sends a list query member as one `tagKeys=` pair per key, in order",
            Source.SMITHY,
            "model: tagKeys is an httpQuery list; restJson1 test RestJsonAllQueryStringTypes "
            "(StringList=a&StringList=b)",
            "UntagResource",
            {"resourceArn": DATASTORE_ARN, "tagKeys": ["team", "cost-centre"]},
            (ok("UntagResource"),),
            Expect("output", output={}),
            request_rules=(matchers.query_values("tagKeys", ["team", "cost-centre"]),),
        )
    )
    add(
        Scenario(
            "SDK-QUERY-BOOLEANS",
            "sdk-serialization",
            "CopyImageSet sends its boolean query members as `true` and `false`",
            Source.SMITHY,
            "model: force and promoteToPrimary are httpQuery booleans; restJson1 test "
            "RestJsonAllQueryStringTypes (Boolean=true)",
            "CopyImageSet",
            {**SAMPLE_INPUT["CopyImageSet"], "force": True, "promoteToPrimary": False},
            (ok("CopyImageSet"),),
            Expect("output"),
            request_rules=(
                matchers.query_has("force", "true"),
                matchers.query_has("promoteToPrimary", "false"),
            ),
        )
    )
    add(
        Scenario(
            "SDK-QUERY-LATEST-VERSION",
            "sdk-serialization",
            "UpdateImageSetMetadata sends its required latestVersionId as the query parameter "
            "`latestVersion`, and force beside it",
            Source.MODEL,
            "model: latestVersionId is required, httpQuery(latestVersion); force httpQuery",
            "UpdateImageSetMetadata",
            {**SAMPLE_INPUT["UpdateImageSetMetadata"], "latestVersionId": "7", "force": True},
            (ok("UpdateImageSetMetadata"),),
            Expect("output"),
            request_rules=(
                matchers.query_has("latestVersion", "7"),
                matchers.query_has("force", "true"),
                matchers.query_lacks("latestVersionId"),
            ),
        )
    )
    add(
        Scenario(
            "SDK-QUERY-INCLUDE-STUDY",
            "sdk-serialization",
            "UpdateImageSetMetadata sends includeStudyImageSets as a query boolean",
            Source.MODEL,
            "model: includeStudyImageSets is httpQuery(includeStudyImageSets), a boolean",
            "UpdateImageSetMetadata",
            {**SAMPLE_INPUT["UpdateImageSetMetadata"], "includeStudyImageSets": True},
            (ok("UpdateImageSetMetadata"),),
            Expect("output"),
            request_rules=(
                matchers.query_has("latestVersion", "1"),
                matchers.query_has("includeStudyImageSets", "true"),
            ),
        )
    )
    add(
        Scenario(
            "SDK-QUERY-VERSION",
            "sdk-serialization",
            "GetImageSet sends its versionId member as the query parameter `version`",
            Source.MODEL,
            "model: versionId is httpQuery(version)",
            "GetImageSet",
            {**SAMPLE_INPUT["GetImageSet"], "versionId": "3"},
            (ok("GetImageSet"),),
            Expect("output"),
            request_rules=(
                matchers.query_has("version", "3"),
                matchers.query_lacks("versionId"),
            ),
        )
    )


def _search(add: Add) -> None:
    search = "SearchImageSets"
    add(
        Scenario(
            "SDK-SEARCH-EMPTY",
            "sdk-serialization",
            "SearchImageSets without searchCriteria sends the empty JSON object `{}`",
            Source.SMITHY,
            "model: searchCriteria is an optional structure httpPayload; restJson1 test "
            "RestJsonHttpWithEmptyStructurePayload",
            search,
            {"datastoreId": DATASTORE},
            (ok(search),),
            Expect("output"),
            request_rules=(
                matchers.content_type("application/json"),
                matchers.json_body({}),
            ),
        )
    )
    between = [{"createdAt": 1732300000}, {"createdAt": 1732400000}]
    add(
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
            (ok(search),),
            Expect("output"),
            request_rules=(
                matchers.json_body({"filters": [{"operator": "BETWEEN", "values": between}]}),
                matchers.query_has("maxResults", "10"),
            ),
        )
    )


def _import_configuration(add: Add) -> None:
    start = "StartDICOMImportJob"
    add(
        Scenario(
            "SDK-SERIALIZE-IMPORT-CONFIGURATION",
            "sdk-serialization",
            "StartDICOMImportJob sends the importConfiguration union in its JSON body",
            Source.MODEL,
            "model: importConfiguration, a union body member of StartDICOMImportJobRequest "
            "(dicomJsonMetadataImportConfiguration)",
            start,
            {**SAMPLE_INPUT[start], "importConfiguration": IMPORT_CONFIGURATION},
            (ok(start),),
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
    add(
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


def scenarios() -> list[Scenario]:
    """The sdk-serialization family (the import configuration's read-back included)."""
    found: list[Scenario] = []
    _serialization(found.append)
    return found
