"""CopyImageSet on metadata documents: which instances go, and whether two sets agree.

Documented (developer guide 'Copying an image set', CLI examples): with no destination
the copy is a new image set; with one it becomes the destination's next version;
`copiableAttributes` (a JSON string) names series and instances to copy; Patient,
Study and Series metadata must agree unless `force`, the destination keeping its own;
a failed copy leaves a COPY_FAILED version with a message such as
"INVALID_REQUEST:  Series of SourceImageSet and DestinationImageSet don't match."

Harness decisions where that material is silent:
- COPY-SELECTION: a series named with no `Instances` (or an empty object) is copied
  whole; a selection naming no series copies every instance; naming a series or an
  instance the source lacks is a 400 ValidationException.
- COPY-AGREEMENT: two sets agree when they share the Study Instance UID and the
  grouping values import uses (Patient ID, Study Date, Accession Number, Study ID),
  and every copied series is already in the destination with the same Series Number.
- COPY-REPLACES: an instance the destination already holds is replaced by the copy.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from harness.emulator.exceptions import ValidationException
from harness.emulator.imagesets.documents import dicom_tags, series_of

SERIES_MISMATCH = "INVALID_REQUEST:  Series of SourceImageSet and DestinationImageSet don't match."
STUDY_MISMATCH = (
    "INVALID_REQUEST:  Patient and Study metadata of SourceImageSet and DestinationImageSet "
    "don't match."
)
_STUDY_TAGS = (
    "DICOMStudyInstanceUID",
    "DICOMPatientId",
    "DICOMStudyDate",
    "DICOMAccessionNumber",
    "DICOMStudyId",
)

Selection = dict[str, set[str] | None]
"""Series UID -> the SOP instance UIDs to copy (None: the whole series)."""


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValidationException(f"copiableAttributes: {where} must be a JSON object")
    return value


def parse_selection(text: str | None, document: dict[str, Any]) -> Selection:
    """The series and instances `copiableAttributes` names (everything when absent)."""
    available = series_of(document)
    if text is None:
        return dict.fromkeys(available)
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        raise ValidationException("copiableAttributes is not a JSON document") from None
    root = _object(parsed, "the document")
    study = _object(root.get("Study", {}), "Study")
    named = _object(study.get("Series", {}), "Study.Series")
    if not named:
        return dict.fromkeys(available)
    selection: Selection = {}
    for series_uid, raw in named.items():
        entry = _object(raw, f"Study.Series.{series_uid}")
        if series_uid not in available:
            raise ValidationException(f"Series {series_uid} is not in the source image set")
        chosen = _object(entry.get("Instances", {}), f"Study.Series.{series_uid}.Instances")
        held = available[series_uid].get("Instances") or {}
        for sop in chosen:
            if sop not in held:
                raise ValidationException(f"Instance {sop} is not in series {series_uid}")
        selection[series_uid] = set(chosen) or None
    return selection


def subset(document: dict[str, Any], selection: Selection) -> dict[str, Any]:
    """A copy of `document` holding only the selected series and instances."""
    result = copy.deepcopy(document)
    series_map = series_of(result)
    for series_uid in list(series_map):
        if series_uid not in selection:
            del series_map[series_uid]
            continue
        wanted = selection[series_uid]
        if wanted is not None:
            held = series_map[series_uid].get("Instances") or {}
            series_map[series_uid]["Instances"] = {
                sop: entry for sop, entry in held.items() if sop in wanted
            }
    return result


def disagreement(source: dict[str, Any], destination: dict[str, Any]) -> str | None:
    """Why `source` may not be merged into `destination` without force, or None."""
    source_tags, destination_tags = dicom_tags(source), dicom_tags(destination)
    if any(source_tags.get(tag) != destination_tags.get(tag) for tag in _STUDY_TAGS):
        return STUDY_MISMATCH
    target_series = series_of(destination)
    for series_uid, series in series_of(source).items():
        if series_uid not in target_series:
            return SERIES_MISMATCH
        number = (series.get("DICOM") or {}).get("SeriesNumber")
        if number != (target_series[series_uid].get("DICOM") or {}).get("SeriesNumber"):
            return SERIES_MISMATCH
    return None


def merge(destination: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """The destination with the source's instances added; its own Patient, Study and
    Series metadata stay, series it lacks come with the source's series metadata."""
    result = copy.deepcopy(destination)
    target = series_of(result)
    for series_uid, series in series_of(source).items():
        holder = target.setdefault(
            series_uid, {"DICOM": copy.deepcopy(series.get("DICOM") or {}), "Instances": {}}
        )
        holder.setdefault("Instances", {}).update(copy.deepcopy(series.get("Instances") or {}))
    return result
