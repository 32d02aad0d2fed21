"""Remarks the spec adds to the model's operation texts, each with its source.

The model's own texts are one line each; the service documentation says more
that a conformance tester needs. Sources are named so that a reader can tell
service documentation from the harness's own choices.
"""

from __future__ import annotations

THROTTLING: dict[str, tuple[float, int]] = {
    "StartDICOMImportJob": (1, 2),
    "GetDICOMImportJob": (25, 50),
    "ListDICOMImportJobs": (10, 20),
    "CreateDatastore": (0.085, 1),
    "GetDatastore": (10, 20),
    "ListDatastores": (5, 10),
    "DeleteDatastore": (0.085, 1),
    "SearchImageSets": (25, 50),
    "GetImageSet": (25, 50),
    "GetImageSetMetadata": (50, 100),
    "GetImageFrame": (1000, 2000),
    "ListImageSetVersions": (25, 50),
    "UpdateImageSetMetadata": (0.25, 1),
    "CopyImageSet": (0.25, 1),
    "DeleteImageSet": (0.25, 1),
    "TagResource": (10, 20),
    "UntagResource": (10, 20),
    "ListTagsForResource": (10, 20),
}
"""Default requests per second and burst (developer guide, 'Throttling limits'; adjustable)."""

_LOCKED = (
    "The write runs asynchronously under a LOCKED image set; other writes on a LOCKED image "
    "set are refused (developer guide, 'Updating image set metadata') with 409 "
    "ConflictException (harness decision IMAGE-SET-CONFLICT; the error code is not documented)."
)
_ARN_LABEL = (
    "`resourceArn` is a data store ARN (`...:datastore/<id>`) or an image set ARN "
    "(`...:datastore/<id>/imageset/<id>`) (model). It travels as one path segment, its `:` and "
    "`/` percent-encoded (harness decision LABEL-ENCODING)."
)

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
    "SearchImageSets": (
        "The body is `searchCriteria` itself: up to two `filters` of `{operator, values}` "
        "(EQUAL or BETWEEN, one or two values) and an optional `sort` (model). The API "
        "reference allows a single search query parameter and reads ranges as "
        "`(lowerBound, upperBound)`; the AWS CLI examples use EQUAL on one ID, BETWEEN on "
        "DICOMStudyDateAndTime, createdAt or updatedAt, and BETWEEN updatedAt with EQUAL "
        "DICOMSeriesInstanceUID and a sort (AWS CLI example for search-image-sets). Criteria "
        "outside those rules are a 400 ValidationException (harness decision CONTENT-RULES).",
        "Without a sort the results come by updatedAt DESC (API reference); the data store must "
        "be ACTIVE (developer guide, 'Searching image sets'). An absent `searchCriteria` is the "
        "same as `{}`, which botocore sends (harness decision PAYLOAD-BODY).",
        "Summaries give `version` as an integer, where every other operation writes versions "
        "as strings of digits (model). `nextToken` is opaque (harness decision "
        "NEXT-TOKEN-OPAQUE).",
    ),
    "GetImageSet": (
        "Without `version` the latest version is returned. Versions are strings counting from "
        '"1"; each update, copy into the image set or revert adds one (AWS CLI example for '
        "update-image-set-metadata).",
        "What GetImageSet answers for a deleted image set is not documented (the AWS SDK "
        "examples poll it until DELETED or an error).",
    ),
    "GetImageSetMetadata": (
        "The answer is the image set's metadata document, JSON compressed with gzip: "
        "`Content-Type: application/json` and `Content-Encoding: gzip` (developer guide, "
        "'Getting image set metadata'; AWS CLI example for get-image-set-metadata), although "
        "the model names `text/plain` as the default. botocore hands over the compressed bytes "
        "(harness decision BLOB-RESPONSES).",
        "The document holds `SchemaVersion`, `DatastoreID`, `ImageSetID`, `Patient` and "
        "`Study`, with `Series` by Series Instance UID and their `Instances` by SOP Instance "
        "UID; each instance lists its `ImageFrames`, whose IDs GetImageFrame takes (developer "
        "guide, 'Understanding image sets').",
        "A 409 ConflictException can answer while a large image set's metadata is still being "
        "processed after an import; retry (developer guide).",
    ),
    "GetImageFrame": (
        'The body is `imageFrameInformation` itself, `{"imageFrameId": ...}`. The frame comes '
        "in its stored transfer syntax, never transcoded (developer guide, 'Getting image set "
        "pixel data'), and Content-Type names it as the model's list says. JPEG 2000 lossless "
        "(1.2.840.10008.1.2.4.90, a data store with `losslessStorageFormat` "
        "JPEG_2000_LOSSLESS), which that list leaves out, answers `image/j2c` like JPEG 2000 "
        "(harness decision BLOB-RESPONSES).",
        "The metadata's checksum of a frame is the CRC32 of the decoded full-resolution pixel "
        "buffer (AWS samples for pixel data verification; not in the service documentation).",
        "406 NotAcceptableException and 400 BadRequestException are modelled without a "
        "documented cause; no Accept member is modelled.",
    ),
    "ListImageSetVersions": (
        "Version items carry `ImageSetWorkflowStatus` with a capital I, where GetImageSet has "
        "`imageSetWorkflowStatus` (model; AWS CLI example for list-image-set-versions).",
        "A failed copy leaves a COPY_FAILED version with a `message` (AWS CLI example). "
        "`nextToken` is opaque (harness decision NEXT-TOKEN-OPAQUE).",
    ),
    "UpdateImageSetMetadata": (
        "The body is the `MetadataUpdates` union itself: `DICOMUpdates` (`updatableAttributes` "
        "and `removableAttributes`, each a JSON document of 1..30,000 bytes sent as base64) or "
        "`revertToVersionId`; both at once is a ValidationException (model).",
        "`latestVersion` must name the image set's latest version; a stale one is a 409 "
        "ConflictException (harness decision IMAGE-SET-CONFLICT; not documented). The answer "
        "shows LOCKED and UPDATING with the new `latestVersionId` (AWS CLI example for "
        "update-image-set-metadata). " + _LOCKED,
        "`force` allows changing Study, Series and SOP Instance UIDs, StudyID and private tags "
        "of one instance; `includeStudyImageSets` updates every primary image set of the "
        "study at once and is not allowed with a revert (developer guide, 'Updating image set "
        "metadata').",
        "Never updatable: SchemaVersion, DatastoreID, ImageSetID, PixelData, Checksum, Width, "
        "Height, MinPixelValue, MaxPixelValue, FrameSizeInBytes (developer guide, 'DICOM "
        "metadata constraints'). Update documents that break these rules are a 400 "
        "ValidationException (harness decision CONTENT-RULES).",
    ),
    "CopyImageSet": (
        "The body is `copyImageSetInformation` itself. Without `destinationImageSet` the copy "
        "makes a new image set; with it the source is merged into the destination as a new "
        "version (developer guide, 'Copying an image set'). `copiableAttributes` is a JSON "
        "document in a string, not base64, naming the series and instances to copy (AWS CLI "
        "example for copy-image-set).",
        "The answer shows the source LOCKED and COPYING_WITH_READ_ONLY_ACCESS and the "
        "destination LOCKED and COPYING (AWS CLI example). " + _LOCKED,
        "Metadata that differs between source and destination needs `force`; "
        "`promoteToPrimary` answers with a new primary image set as the destination (model; "
        "developer guide).",
    ),
    "DeleteImageSet": (
        "The deletion runs asynchronously: the answer shows LOCKED and DELETING (AWS CLI "
        "example for delete-image-set). " + _LOCKED,
    ),
    "TagResource": (
        _ARN_LABEL,
        "Tag keys are 1..128 characters of `[a-zA-Z+-=._:/]` and do not start with `aws:`; "
        "the range `+-=` also admits digits and `,;<` (model pattern). A resource holds at "
        "most 50 tags (developer guide, 'Understanding image sets').",
    ),
    "UntagResource": (
        _ARN_LABEL,
        "`tagKeys` repeats in the query string, `?tagKeys=a&tagKeys=b` (botocore; harness "
        "decision LIST-QUERY).",
    ),
    "ListTagsForResource": (_ARN_LABEL,),
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
        "`:URI` suffix allowed, Smithy restJson1) and a JSON body with the required `message`. "
        "Errors that share a status (GetImageFrame's ValidationException and "
        "BadRequestException, both 400) share one response whose body is `anyOf` their shapes "
        "(not `oneOf`: both are `{message}`, so a body always matches both)."
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
        "A StartDICOMImportJob or CreateDatastore replay with the same clientToken and the "
        "same parameters returns the original job or data store and creates none; the same "
        "token with other parameters is a 409 ConflictException (AWS-wide convention; the "
        "service documentation is silent)."
    ),
    "DELETED-IMAGE-SET-GONE": (
        "After DeleteImageSet completes, every operation on the image set answers 404 "
        "ResourceNotFoundException and search no longer lists it; the documentation leaves "
        "GetImageSet after a delete open, and AWS's example polls until DELETED or an error."
    ),
    "CLOCK-TOLERANCE": (
        "A timestamp that records when a request was handled (createdAt of a new data store, "
        "submittedAt, an update's updatedAt, a copy's new image set createdAt) lies within "
        "that request, on the target's clock (its offset measured from the `Date` headers of "
        "its answers), give or take 5 seconds; no timestamp lies after the answer that "
        "carries it or before November 2022, when the service was announced."
    ),
    "EFFECT-BOUND": (
        "A transition a data store's status announces (CREATING to ACTIVE, DELETING to "
        "DELETED or not found), and an accepted import job's end (COMPLETED or FAILED), "
        "complete within the profile's job timeout: 30 seconds for `quick`, 300 for `full`."
    ),
    "RESPONSE-TIME": (
        "Per operation, the median answer comes within 1 second and the slowest within 10; "
        "the service documents no latency."
    ),
    "QUOTA-402": (
        "Starting more concurrent import jobs on one data store than the quota allows is a "
        "402 ServiceQuotaExceededException (the model's status for that error; which quota it "
        "reports is not documented). CopyImageSet and UpdateImageSetMetadata also model 402 "
        "without saying which quota; it is a valid answer to valid input there too."
    ),
    "NEXT-TOKEN-OPAQUE": (
        "`nextToken` is opaque to callers; a token the service did not issue, one altered by "
        "the caller, or one another operation issued, is a 400 ValidationException."
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
    "HOST-PREFIX": (
        "Operations with `x-aws-host-prefix: runtime-` (the image-set operations) are served "
        "by `runtime-medical-imaging.<region>.amazonaws.com` (model `endpoint.hostPrefix`; "
        "developer guide, 'Endpoints and quotas'), which their operation-level `servers` name. "
        "SDKs put the prefix in front of a custom endpoint too (botocore, AWS SDK for "
        "JavaScript v3); to reach a single-host emulator, turn the injection off (botocore "
        "`Config(inject_host_prefix=False)` or `AWS_DISABLE_HOST_PREFIX_INJECTION=true`, "
        "JavaScript `disableHostPrefix: true`). The harness sends every request to the "
        "endpoint it is given, without the prefix."
    ),
    "BLOB-RESPONSES": (
        "GetImageFrame and GetImageSetMetadata answer raw bytes (a streaming blob payload), not "
        "JSON: the success content is `type: string` with `contentMediaType`, under each media "
        "type the service answers, and the members bound to headers are response headers, "
        "which the harness requires. GetImageFrame: the media types the model's "
        "GetImageFrameResponse documentation lists per stored transfer syntax, and "
        "`image/j2c` for JPEG 2000 lossless (.4.90), which the list leaves out. "
        "GetImageSetMetadata: `application/json` with `Content-Encoding: gzip`, the document "
        "compressed (developer guide; AWS CLI example), not the model's `text/plain` default; "
        "SDKs hand over the compressed bytes, so the body is not validated as JSON."
    ),
    "PAYLOAD-BODY": (
        "An input member bound to the payload (SearchImageSets `searchCriteria`, GetImageFrame "
        "`imageFrameInformation`, UpdateImageSetMetadata `updateImageSetMetadataUpdates`, "
        "CopyImageSet `copyImageSetInformation`) is the whole JSON body, not a member of it; "
        "the body is required when the member is, and `x-aws-member` names it. An absent "
        "optional payload structure is the same as `{}`, which botocore sends."
    ),
    "BLOB-BASE64": (
        "Blob members inside JSON are base64 strings (restJson1): `contentEncoding: base64`, a "
        "pattern admitting only padded base64, and string lengths derived from the model's "
        "byte bounds (4 characters per 3 bytes, so a maximum may admit up to 2 bytes more); "
        "the byte bounds themselves are in `x-aws-min-bytes` and `x-aws-max-bytes`."
    ),
    "LIST-QUERY": (
        "A list bound to the query string repeats its key, `?tagKeys=a&tagKeys=b` (restJson1; "
        "botocore): `style: form, explode: true`. An empty list has no wire form. Booleans in "
        "the query string are `true` or `false`."
    ),
    "LABEL-ENCODING": (
        "A label is one path segment: every character outside RFC 3986 unreserved is "
        "percent-encoded (Smithy httpLabel), so an ARN's `:` and `/` travel as `%3A` and `%2F` "
        "(botocore). Servers match the route before decoding `%2F`. Labels that hold `/` carry "
        "an example so that generators know an encoded slash is meant."
    ),
    "IMAGE-SET-CONFLICT": (
        "A write (UpdateImageSetMetadata, CopyImageSet, DeleteImageSet) on a LOCKED image set, "
        "or one naming a `latestVersionId` that is no longer the latest, is a 409 "
        "ConflictException: a valid answer to valid input. The developer guide forbids writes "
        "on LOCKED image sets; the error code is not documented."
    ),
    "CONTENT-RULES": (
        "Some rules are beyond a schema: search criteria (a single search parameter, EQUAL with "
        "one value, BETWEEN with two), update documents (DICOM JSON under the developer "
        "guide's 'DICOM metadata constraints') and `copiableAttributes` (a JSON document of "
        "series and instances). Requests that satisfy the schema but break them are a 400 "
        "ValidationException: a valid answer to schema-valid input for SearchImageSets, "
        "UpdateImageSetMetadata and CopyImageSet."
    ),
}
