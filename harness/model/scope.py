"""The operations the harness covers: the import-job API and what an import needs."""

from __future__ import annotations

IN_SCOPE_OPERATIONS: tuple[str, ...] = (
    "StartDICOMImportJob",
    "GetDICOMImportJob",
    "ListDICOMImportJobs",
    "CreateDatastore",
    "GetDatastore",
    "ListDatastores",
    "DeleteDatastore",
)
