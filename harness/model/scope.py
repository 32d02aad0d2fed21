"""The operations the harness covers: every operation of the pinned model.

An import exists to make image sets that applications read back, so the scope
is the whole service. Adding an operation means adding its name here and its
behaviour; `tests/model/test_scope.py` fails for any layer that misses it.
"""

from __future__ import annotations

IMPORT_OPERATIONS: tuple[str, ...] = (
    "StartDICOMImportJob",
    "GetDICOMImportJob",
    "ListDICOMImportJobs",
)
DATASTORE_OPERATIONS: tuple[str, ...] = (
    "CreateDatastore",
    "GetDatastore",
    "ListDatastores",
    "DeleteDatastore",
)
IMAGE_SET_OPERATIONS: tuple[str, ...] = (
    "SearchImageSets",
    "GetImageSet",
    "GetImageSetMetadata",
    "GetImageFrame",
    "ListImageSetVersions",
    "UpdateImageSetMetadata",
    "CopyImageSet",
    "DeleteImageSet",
)
TAGGING_OPERATIONS: tuple[str, ...] = (
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
)
IN_SCOPE_OPERATIONS: tuple[str, ...] = (
    IMPORT_OPERATIONS + DATASTORE_OPERATIONS + IMAGE_SET_OPERATIONS + TAGGING_OPERATIONS
)
