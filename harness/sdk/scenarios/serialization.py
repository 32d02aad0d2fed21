"""Serialization: request lines, bodies, labels, query members, search bodies, unions."""

from __future__ import annotations

import json
from typing import Literal

from harness.checks import Source
from harness.model import IN_SCOPE_OPERATIONS, operations
from harness.sdk import matchers
from harness.sdk.matchers import RequestRule
from harness.sdk.scenarios.base import Add, Expect, Scenario, reply
from harness.sdk.scenarios.deserialization import deserialization_id
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

SerializationCase = Literal[
    "LABEL-ENCODING",
    "LABEL-ARN",
    "QUERY-MEMBERS",
    "QUERY-TAGKEYS-REPEATED",
    "QUERY-BOOLEANS",
    "QUERY-LATEST-VERSION",
    "QUERY-INCLUDE-STUDY",
    "QUERY-VERSION",
    "SEARCH-EMPTY",
    "SEARCH-TIMESTAMPS",
    "SERIALIZE-IMPORT-CONFIGURATION",
]


def serialization_id(case: SerializationCase) -> str:
    """The ID of one of the family's scenarios that are not one operation's sample input."""
    return f"SDK-{case}"


def serialize_id(operation: str) -> str:
    """The ID of the scenario sending `operation`'s sample input."""
    return f"SDK-SERIALIZE-{operation}"


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
                id=serialize_id(operation),
                family="sdk-serialization",
                rule=f"{operation} is sent as {method} {path.split('/')[1] or '/'}..., signed for "
                f"medical-imaging, with {carried}",
                source=Source.MODEL,
                reference=reference,
                operation=operation,
                params=SAMPLE_INPUT[operation],
                replies=(ok(operation),),
                expect=Expect(outcome="output"),
                request_rules=tuple(rules),
            )
        )
    odd = "ab c!'()*~._-"
    add(
        Scenario(
            id=serialization_id("LABEL-ENCODING"),
            family="sdk-serialization",
            rule="Labels percent-encode everything outside RFC 3986 unreserved, !'()* included",
            source=Source.SMITHY,
            reference="restJson1 test RestJsonHttpRequestLabelEscaping",
            operation="GetDatastore",
            params={"datastoreId": odd},
            replies=(ok("GetDatastore"),),
            expect=Expect(outcome="output"),
            request_rules=(matchers.path("/datastore/ab%20c%21%27%28%29%2A~._-"),),
        )
    )
    add(
        Scenario(
            id=serialization_id("LABEL-ARN"),
            family="sdk-serialization",
            rule="An ARN label is one path segment: its `:` and `/` are percent-encoded",
            source=Source.SMITHY,
            reference="model: resourceArn is a (non-greedy) httpLabel of /tags/{resourceArn}; "
            "restJson1 "
            "test RestJsonHttpRequestLabelEscaping",
            operation="ListTagsForResource",
            params={"resourceArn": IMAGE_SET_ARN},
            replies=(ok("ListTagsForResource"),),
            expect=Expect(outcome="output"),
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
            id=serialization_id("QUERY-MEMBERS"),
            family="sdk-serialization",
            rule="ListDICOMImportJobs sends jobStatus, maxResults and nextToken as query "
            "parameters",
            source=Source.MODEL,
            reference="httpQuery bindings",
            operation="ListDICOMImportJobs",
            params={
                "datastoreId": DATASTORE,
                "jobStatus": "COMPLETED",
                "maxResults": 5,
                "nextToken": "t/1+",
            },
            replies=(ok("ListDICOMImportJobs"),),
            expect=Expect(outcome="output"),
            request_rules=(
                matchers.query_has("jobStatus", "COMPLETED"),
                matchers.query_has("maxResults", "5"),
                matchers.query_has("nextToken", "t/1+"),
            ),
        )
    )
    add(
        Scenario(
            id=serialization_id("QUERY-TAGKEYS-REPEATED"),
            family="sdk-serialization",
            rule="UntagResource sends a list query member as one `tagKeys=` pair per key, in order",
            source=Source.SMITHY,
            reference="model: tagKeys is an httpQuery list; restJson1 test "
            "RestJsonAllQueryStringTypes "
            "(StringList=a&StringList=b)",
            operation="UntagResource",
            params={"resourceArn": DATASTORE_ARN, "tagKeys": ["team", "cost-centre"]},
            replies=(ok("UntagResource"),),
            expect=Expect(outcome="output", output={}),
            request_rules=(matchers.query_values("tagKeys", ["team", "cost-centre"]),),
        )
    )
    add(
        Scenario(
            id=serialization_id("QUERY-BOOLEANS"),
            family="sdk-serialization",
            rule="CopyImageSet sends its boolean query members as `true` and `false`",
            source=Source.SMITHY,
            reference="model: force and promoteToPrimary are httpQuery booleans; restJson1 test "
            "RestJsonAllQueryStringTypes (Boolean=true)",
            operation="CopyImageSet",
            params={**SAMPLE_INPUT["CopyImageSet"], "force": True, "promoteToPrimary": False},
            replies=(ok("CopyImageSet"),),
            expect=Expect(outcome="output"),
            request_rules=(
                matchers.query_has("force", "true"),
                matchers.query_has("promoteToPrimary", "false"),
            ),
        )
    )
    add(
        Scenario(
            id=serialization_id("QUERY-LATEST-VERSION"),
            family="sdk-serialization",
            rule="UpdateImageSetMetadata sends its required latestVersionId as the query parameter "
            "`latestVersion`, and force beside it",
            source=Source.MODEL,
            reference="model: latestVersionId is required, httpQuery(latestVersion); force "
            "httpQuery",
            operation="UpdateImageSetMetadata",
            params={
                **SAMPLE_INPUT["UpdateImageSetMetadata"],
                "latestVersionId": "7",
                "force": True,
            },
            replies=(ok("UpdateImageSetMetadata"),),
            expect=Expect(outcome="output"),
            request_rules=(
                matchers.query_has("latestVersion", "7"),
                matchers.query_has("force", "true"),
                matchers.query_lacks("latestVersionId"),
            ),
        )
    )
    add(
        Scenario(
            id=serialization_id("QUERY-INCLUDE-STUDY"),
            family="sdk-serialization",
            rule="UpdateImageSetMetadata sends includeStudyImageSets as a query boolean",
            source=Source.MODEL,
            reference="model: includeStudyImageSets is httpQuery(includeStudyImageSets), a boolean",
            operation="UpdateImageSetMetadata",
            params={**SAMPLE_INPUT["UpdateImageSetMetadata"], "includeStudyImageSets": True},
            replies=(ok("UpdateImageSetMetadata"),),
            expect=Expect(outcome="output"),
            request_rules=(
                matchers.query_has("latestVersion", "1"),
                matchers.query_has("includeStudyImageSets", "true"),
            ),
        )
    )
    add(
        Scenario(
            id=serialization_id("QUERY-VERSION"),
            family="sdk-serialization",
            rule="GetImageSet sends its versionId member as the query parameter `version`",
            source=Source.MODEL,
            reference="model: versionId is httpQuery(version)",
            operation="GetImageSet",
            params={**SAMPLE_INPUT["GetImageSet"], "versionId": "3"},
            replies=(ok("GetImageSet"),),
            expect=Expect(outcome="output"),
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
            id=serialization_id("SEARCH-EMPTY"),
            family="sdk-serialization",
            rule="SearchImageSets without searchCriteria sends the empty JSON object `{}`",
            source=Source.SMITHY,
            reference="model: searchCriteria is an optional structure httpPayload; restJson1 test "
            "RestJsonHttpWithEmptyStructurePayload",
            operation=search,
            params={"datastoreId": DATASTORE},
            replies=(ok(search),),
            expect=Expect(outcome="output"),
            request_rules=(
                matchers.content_type("application/json"),
                matchers.json_body({}),
            ),
        )
    )
    between = [{"createdAt": 1732300000}, {"createdAt": 1732400000}]
    add(
        Scenario(
            id=serialization_id("SEARCH-TIMESTAMPS"),
            family="sdk-serialization",
            rule="SearchImageSets sends createdAt filter values as epoch-second numbers, and "
            "maxResults as a query parameter",
            source=Source.SMITHY,
            reference="restJson1: timestamps without timestampFormat travel in JSON as "
            "epoch-seconds "
            "(RestJsonJsonTimestamps); model: maxResults httpQuery",
            operation=search,
            params={
                "datastoreId": DATASTORE,
                "maxResults": 10,
                "searchCriteria": {"filters": [{"operator": "BETWEEN", "values": between}]},
            },
            replies=(ok(search),),
            expect=Expect(outcome="output"),
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
            id=serialization_id("SERIALIZE-IMPORT-CONFIGURATION"),
            family="sdk-serialization",
            rule="StartDICOMImportJob sends the importConfiguration union in its JSON body",
            source=Source.MODEL,
            reference="model: importConfiguration, a union body member of "
            "StartDICOMImportJobRequest "
            "(dicomJsonMetadataImportConfiguration)",
            operation=start,
            params={**SAMPLE_INPUT[start], "importConfiguration": IMPORT_CONFIGURATION},
            replies=(ok(start),),
            expect=Expect(outcome="output"),
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
            id=deserialization_id("IMPORT-CONFIGURATION"),
            family="sdk-deserialization",
            rule="GetDICOMImportJob reads the importConfiguration union the job echoes",
            source=Source.MODEL,
            reference="model: DICOMImportJobProperties.importConfiguration",
            operation=get,
            params=SAMPLE_INPUT[get],
            replies=(reply(200, output),),
            expect=Expect(outcome="output", output=output),
        )
    )


def scenarios() -> list[Scenario]:
    """The sdk-serialization family (the import configuration's read-back included)."""
    found: list[Scenario] = []
    _serialization(found.append)
    return found
