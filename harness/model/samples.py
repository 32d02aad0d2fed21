"""A well-formed input for every operation: values that satisfy the model, for ids no one has.

The server suite sends them where only the route matters (unsigned requests,
unknown resources); `tests/model/test_samples.py` validates each against the
model, so a new operation without a sample fails there.
"""

from __future__ import annotations

from typing import Any

UNKNOWN_ID = "0" * 32
ACCOUNT = "123456789012"


def datastore_arn(datastore_id: str, region: str = "us-east-1") -> str:
    """A data store's ARN as the model's pattern writes it."""
    return f"arn:aws:medical-imaging:{region}:{ACCOUNT}:datastore/{datastore_id}"


def sample_input(operation: str, datastore_id: str = UNKNOWN_ID) -> dict[str, Any]:
    """A model-valid input for `operation` on `datastore_id`, with ids that name nothing."""
    image_set = {"datastoreId": datastore_id, "imageSetId": UNKNOWN_ID}
    samples: dict[str, dict[str, Any]] = {
        "StartDICOMImportJob": {
            "datastoreId": datastore_id,
            "clientToken": "ahi-contract-sample",
            "dataAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ImportRole",
            "inputS3Uri": "s3://ahi-contract-sample/in/",
            "outputS3Uri": "s3://ahi-contract-sample/out/",
        },
        "GetDICOMImportJob": {"datastoreId": datastore_id, "jobId": UNKNOWN_ID},
        "ListDICOMImportJobs": {"datastoreId": datastore_id},
        "CreateDatastore": {"clientToken": "ahi-contract-sample"},
        "GetDatastore": {"datastoreId": datastore_id},
        "ListDatastores": {},
        "DeleteDatastore": {"datastoreId": datastore_id},
        "SearchImageSets": {"datastoreId": datastore_id},
        "GetImageSet": image_set,
        "GetImageSetMetadata": image_set,
        "GetImageFrame": {**image_set, "imageFrameInformation": {"imageFrameId": UNKNOWN_ID}},
        "ListImageSetVersions": image_set,
        "UpdateImageSetMetadata": {
            **image_set,
            "latestVersionId": "1",
            "updateImageSetMetadataUpdates": {"revertToVersionId": "1"},
        },
        "CopyImageSet": {
            "datastoreId": datastore_id,
            "sourceImageSetId": UNKNOWN_ID,
            "copyImageSetInformation": {"sourceImageSet": {"latestVersionId": "1"}},
        },
        "DeleteImageSet": image_set,
        "TagResource": {"resourceArn": datastore_arn(datastore_id), "tags": {"k": "v"}},
        "UntagResource": {"resourceArn": datastore_arn(datastore_id), "tagKeys": ["k"]},
        "ListTagsForResource": {"resourceArn": datastore_arn(datastore_id)},
    }
    return dict(samples[operation])
