"""A metadata document for the tests of documents, updates and copies."""

from __future__ import annotations

from typing import Any

SERIES, OTHER_SERIES = "1.2.3.4", "1.2.3.5"
SOP, OTHER_SOP = "1.2.3.4.1", "1.2.3.4.2"


def sample_document() -> dict[str, Any]:
    def instance(number: str) -> dict[str, Any]:
        return {
            "DICOM": {"SOPInstanceUID": number, "InstanceNumber": "1", "Rows": 2},
            "StoredTransferSyntaxUID": "1.2.840.10008.1.2.4.202",
            "ImageFrames": [{"ID": f"{number[-1]}" * 32, "FrameSizeInBytes": 8}],
        }

    return {
        "SchemaVersion": "1.1",
        "DatastoreID": "d" * 32,
        "ImageSetID": "i" * 32,
        "Patient": {"DICOM": {"PatientName": "A^B", "PatientID": "P1"}},
        "Study": {
            "DICOM": {
                "StudyInstanceUID": "1.2.3",
                "StudyDate": "20200102",
                "StudyTime": "101500",
                "StudyID": "S1",
                "StudyDescription": "HEAD",
                "AccessionNumber": "A1",
            },
            "Series": {
                SERIES: {
                    "DICOM": {"SeriesInstanceUID": SERIES, "Modality": "CT", "SeriesNumber": "3"},
                    "Instances": {SOP: instance(SOP), OTHER_SOP: instance(OTHER_SOP)},
                }
            },
        },
    }
