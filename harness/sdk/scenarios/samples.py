"""Sample values every family shares: ids, one input per operation, the body and output it gives.

The inputs are the SDK catalogue's own, not `harness.model.samples`: every
label here is a distinct id (so that an SDK that swaps two labels shows), the
search carries criteria and the copy a destination (so that nested members
travel), and the import and datastore carry a caller-set clientToken.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

from harness.model import IN_SCOPE_OPERATIONS, operations
from harness.sdk import matchers
from harness.sdk.scenarios.base import reply
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


def ok(operation: str) -> Reply:
    """The operation's success answer: its sample output (or blob reply)."""
    if operation in BLOB_REPLY:
        return BLOB_REPLY[operation]
    return reply(200, SAMPLE_OUTPUT[operation])
