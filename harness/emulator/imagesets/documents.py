"""Image set metadata documents as the emulator keeps them: gzip JSON, and what it reads off them.

A document has the shape `harness.imaging.metadata` builds: Patient, Study, Series by
SeriesInstanceUID, Instances by SOPInstanceUID. The search summary's DICOMTags and the
import's grouping values are read from the document, so an update is searchable at once.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from typing import Any

GROUPING_TAGS = (
    "DICOMPatientId",
    "DICOMStudyDate",
    "DICOMAccessionNumber",
    "DICOMStudyId",
    "DICOMSeriesNumber",
)
"""The values instances of one Study and Series must share to join its primary image set
(with the Study and Series Instance UIDs: developer guide 'Understanding image sets')."""

_PATIENT_TAGS = {
    "PatientID": "DICOMPatientId",
    "PatientName": "DICOMPatientName",
    "PatientBirthDate": "DICOMPatientBirthDate",
    "PatientSex": "DICOMPatientSex",
}
_STUDY_TAGS = {
    "StudyInstanceUID": "DICOMStudyInstanceUID",
    "StudyID": "DICOMStudyId",
    "StudyDescription": "DICOMStudyDescription",
    "AccessionNumber": "DICOMAccessionNumber",
    "StudyDate": "DICOMStudyDate",
    "StudyTime": "DICOMStudyTime",
}
_SERIES_TAGS = {
    "SeriesInstanceUID": "DICOMSeriesInstanceUID",
    "Modality": "DICOMSeriesModality",
    "BodyPartExamined": "DICOMSeriesBodyPart",
}


def to_gzip(document: dict[str, Any]) -> bytes:
    """The document as stored and served: compact JSON, gzip (no timestamp in the header)."""
    return gzip.compress(json.dumps(document, separators=(",", ":")).encode(), 6, mtime=0)


def from_gzip(blob: bytes) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(gzip.decompress(blob))
    return document


def series_of(document: dict[str, Any]) -> dict[str, Any]:
    """The document's Series map (SeriesInstanceUID -> series object)."""
    series: dict[str, Any] = document.setdefault("Study", {}).setdefault("Series", {})
    return series


def instances(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every `(series UID, SOP instance UID, instance object)` of the document."""
    for series_uid, series in series_of(document).items():
        for sop_uid, instance in (series.get("Instances") or {}).items():
            yield series_uid, sop_uid, instance


def frame_ids(document: dict[str, Any]) -> list[str]:
    """The IDs of every image frame the document lists."""
    return [
        str(frame["ID"])
        for _, _, instance in instances(document)
        for frame in instance.get("ImageFrames") or ()
        if isinstance(frame, dict) and "ID" in frame
    ]


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and isinstance(value[0], str):
        return "\\".join(str(item) for item in value)
    return None


def _integer(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def dicom_tags(document: dict[str, Any]) -> dict[str, Any]:
    """The search summary's DICOMTags for a document (the first series for series tags)."""
    tags: dict[str, Any] = {}
    patient = (document.get("Patient") or {}).get("DICOM") or {}
    study = (document.get("Study") or {}).get("DICOM") or {}
    for source, names in ((patient, _PATIENT_TAGS), (study, _STUDY_TAGS)):
        for keyword, tag in names.items():
            text = _text(source.get(keyword))
            if text is not None:
                tags[tag] = text
    series_map = series_of(document)
    if series_map:
        series_uid, series = next(iter(series_map.items()))
        dicom = series.get("DICOM") or {}
        tags["DICOMSeriesInstanceUID"] = _text(dicom.get("SeriesInstanceUID")) or series_uid
        for keyword, tag in _SERIES_TAGS.items():
            text = _text(dicom.get(keyword))
            if text is not None and keyword != "SeriesInstanceUID":
                tags[tag] = text
        number = _integer(dicom.get("SeriesNumber"))
        if number is not None:
            tags["DICOMSeriesNumber"] = number
    tags["DICOMNumberOfStudyRelatedSeries"] = len(series_map)
    tags["DICOMNumberOfStudyRelatedInstances"] = sum(1 for _ in instances(document))
    return tags


def series_key(tags: dict[str, Any]) -> tuple[str, str]:
    """(StudyInstanceUID, SeriesInstanceUID) of a set or an instance."""
    return (
        str(tags.get("DICOMStudyInstanceUID") or ""),
        str(tags.get("DICOMSeriesInstanceUID") or ""),
    )


def grouping_values(tags: dict[str, Any]) -> tuple[Any, ...]:
    """The values an instance must share with a primary image set to join it."""
    return tuple(tags.get(name) for name in GROUPING_TAGS)
