"""UpdateImageSetMetadata on a metadata document: what may change, where, and with `force`.

Documented (developer guide 'Updating image set metadata' and 'DICOM element
constraints', CLI examples): updates and removals are JSON documents shaped like the
metadata document (`Patient`, `Study`, `Series` by UID, `Instances` by SOP UID),
sent base64-encoded; SchemaVersion, DatastoreID, ImageSetID, PixelData, Checksum,
Width, Height, MinPixelValue, MaxPixelValue and FrameSizeInBytes are never
updatable; UIDs, StudyID, sequences, multi-valued, VR-incompatible and non-standard
(private) attributes need `force`; attributes cannot move across levels, and an
absent Series or Instance cannot be updated.

Harness decisions where that material is silent (each refusal is a 400
ValidationException at request time; the service reports some later as UPDATE_FAILED):
- UPDATE-ORDER: removals are applied before updates.
- UPDATE-ABSENT: removing an attribute, Series or Instance that is not there is refused.
- UPDATE-REMOVE-INSTANCE: removing a whole Series or Instance (an empty object under
  its UID) needs `force`, and an image set keeps at least one instance.
- UPDATE-HEX-KEYS: 8-hex-digit keys (private or keyword-less tags) live on instances
  only, need `force`, and need their VR in the instance's `DICOMVRs`.
- UPDATE-UID-RENAME: a forced SeriesInstanceUID or SOPInstanceUID update renames the
  Series or Instance key too.
- UPDATE-FRAMES: ImageFrames, StoredTransferSyntaxUID and the frame figures are never
  updatable, like the pixel data they describe.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import re
from typing import Any

from pydicom.datadict import dictionary_VR, tag_for_keyword

from harness.emulator.exceptions import ValidationException
from harness.emulator.imagesets.documents import instances, series_of
from harness.imaging.metadata import level_of

NEVER_UPDATABLE = frozenset(
    {
        "SchemaVersion",
        "DatastoreID",
        "ImageSetID",
        "PixelData",
        "Checksum",
        "Width",
        "Height",
        "MinPixelValue",
        "MaxPixelValue",
        "FrameSizeInBytes",
        "ImageFrames",
        "StoredTransferSyntaxUID",
        "PixelDataChecksumFromBaseToFullResolution",
        "ChecksumType",
    }
)
FORCE_ONLY = frozenset({"StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "StudyID"})
MAX_BLOB_BYTES = 30_000
_HEX_KEY = re.compile(r"^[0-9A-Fa-f]{8}$")
_STRING_VRS = frozenset(
    {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI"}
    | {"UR", "UT"}
)
_NUMBER_VRS = frozenset({"US", "SS", "UL", "SL", "FL", "FD", "UV", "SV"})
_SCHEMA_VERSIONS = ("1.1", 1.1)


def decode_attributes(value: Any, member: str) -> dict[str, Any]:
    """A base64 blob member (removableAttributes, updatableAttributes) as a JSON object."""
    if not isinstance(value, str):
        raise ValidationException(f"{member} must be a base64-encoded JSON document")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ValidationException(f"{member} is not valid base64") from None
    if not 1 <= len(raw) <= MAX_BLOB_BYTES:
        raise ValidationException(
            f"{member} must decode to between 1 and {MAX_BLOB_BYTES} bytes, not {len(raw)}"
        )
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        raise ValidationException(f"{member} is not a JSON document") from None
    if not isinstance(document, dict):
        raise ValidationException(f"{member} must be a JSON object")
    return document


def _object(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationException(f"{where} must be a JSON object")
    return value


def _only(value: dict[str, Any], allowed: set[str], where: str) -> None:
    for key in value:
        if key in NEVER_UPDATABLE:
            raise ValidationException(f"{where}.{key} can never be updated")
        if key not in allowed:
            raise ValidationException(f"{where} has no member {key!r}")


def _top(patch: dict[str, Any]) -> None:
    if patch.get("SchemaVersion", "1.1") not in _SCHEMA_VERSIONS:
        raise ValidationException("SchemaVersion must be 1.1")
    _only({k: v for k, v in patch.items() if k != "SchemaVersion"}, {"Patient", "Study"}, "$")


def _vr(keyword: str) -> str | None:
    if tag_for_keyword(keyword) is None:
        return None
    return str(dictionary_VR(keyword))


def _compatible(vr: str, value: Any) -> bool:
    if value is None:
        return True
    options = {part.strip() for part in vr.split(" or ")}
    if options & _NUMBER_VRS:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


def _needs_force(keyword: str, value: Any) -> str | None:
    """Why setting `keyword` to `value` needs force, or None."""
    if keyword in FORCE_ONLY:
        return f"{keyword} is an identifier"
    vr = _vr(keyword)
    if vr is None:
        return f"{keyword} is not a standard attribute"
    if vr == "SQ":
        return f"{keyword} is a sequence"
    if isinstance(value, list):
        return f"{keyword} would be multi-valued"
    if not _compatible(vr, value):
        return f"{value!r} is not compatible with the VR {vr} of {keyword}"
    return None


class _Editor:
    """Applies one request's removals and updates to a copy of a document."""

    def __init__(self, document: dict[str, Any], force: bool, lenient: bool = False) -> None:
        self.document = copy.deepcopy(document)
        self.force = force
        self.lenient = lenient

    def _forced(self, reason: str | None, where: str) -> None:
        if reason and not self.force:
            raise ValidationException(f"{where}: {reason}; it can only be changed with force")

    def _check_level(self, key: str, level: str, where: str) -> None:
        if key in NEVER_UPDATABLE:
            raise ValidationException(f"{where}.{key} can never be updated")
        if _HEX_KEY.match(key):
            if level != "Instance":
                raise ValidationException(f"{where}.{key}: tags without a keyword go on instances")
            self._forced("it is a private or non-standard tag", f"{where}.{key}")
            return
        if _vr(key) is not None and level_of(key) != level:
            raise ValidationException(
                f"{where}.{key} belongs to the {level_of(key)} level; attributes cannot move "
                "across levels"
            )

    def set(
        self,
        target: dict[str, Any],
        patch: dict[str, Any],
        level: str,
        where: str,
        vrs: dict[str, str] | None = None,
    ) -> None:
        for key, value in patch.items():
            self._check_level(key, level, where)
            if _HEX_KEY.match(key):
                if vrs is None or key not in vrs:
                    raise ValidationException(f"{where}.{key} needs its VR in DICOMVRs")
            else:
                self._forced(_needs_force(key, value), f"{where}.{key}")
            target[key] = value

    def remove(self, target: dict[str, Any], patch: dict[str, Any], level: str, where: str) -> None:
        for key in patch:
            self._check_level(key, level, where)
            if key in FORCE_ONLY:
                self._forced(f"{key} is an identifier", f"{where}.{key}")
            if key not in target:
                if self.lenient:
                    continue
                raise ValidationException(f"{where}.{key} is not in the image set's metadata")
            del target[key]

    def _levels(
        self, patch: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        _top(patch)
        patient = _object(patch.get("Patient"), "Patient")
        _only(patient, {"DICOM"}, "Patient")
        study = _object(patch.get("Study"), "Study")
        _only(study, {"DICOM", "Series"}, "Study")
        return patient, study, _object(study.get("Series"), "Study.Series")

    def _series(self, uid: str) -> dict[str, Any]:
        found: dict[str, Any] | None = series_of(self.document).get(uid)
        if found is None:
            raise ValidationException(f"Series {uid} is not in the image set")
        return found

    def _instance(self, series: dict[str, Any], series_uid: str, sop: str) -> dict[str, Any]:
        found: dict[str, Any] | None = (series.get("Instances") or {}).get(sop)
        if found is None:
            raise ValidationException(f"Instance {sop} is not in series {series_uid}")
        return found

    def _top_levels(
        self, patient: dict[str, Any], study: dict[str, Any]
    ) -> list[tuple[dict[str, Any], dict[str, Any], str, str]]:
        """The Patient and Study DICOM maps of the document, each with its part of the patch."""
        doc = self.document
        return [
            (
                doc.setdefault("Patient", {}).setdefault("DICOM", {}),
                _object(patient.get("DICOM"), "Patient.DICOM"),
                "Patient",
                "Patient.DICOM",
            ),
            (
                doc["Study"].setdefault("DICOM", {}),
                _object(study.get("DICOM"), "Study.DICOM"),
                "Study",
                "Study.DICOM",
            ),
        ]

    def apply_removals(self, patch: dict[str, Any]) -> None:
        patient, study, series_patch = self._levels(patch)
        doc = self.document
        for target, change, level, where in self._top_levels(patient, study):
            self.remove(target, change, level, where)
        for series_uid, raw in series_patch.items():
            where = f"Study.Series.{series_uid}"
            entry = _object(raw, where)
            _only(entry, {"DICOM", "Instances"}, where)
            series = self._series(series_uid)
            if not entry:
                self._forced("removing a whole series", where)
                del series_of(doc)[series_uid]
                continue
            self.remove(
                series.setdefault("DICOM", {}),
                _object(entry.get("DICOM"), f"{where}.DICOM"),
                "Series",
                f"{where}.DICOM",
            )
            for sop, raw_instance in _object(entry.get("Instances"), f"{where}.Instances").items():
                at = f"{where}.Instances.{sop}"
                change = _object(raw_instance, at)
                _only(change, {"DICOM", "DICOMVRs"}, at)
                instance = self._instance(series, series_uid, sop)
                if not change:
                    self._forced("removing a whole instance", at)
                    del series["Instances"][sop]
                    continue
                dicom = _object(change.get("DICOM"), f"{at}.DICOM")
                self.remove(instance.setdefault("DICOM", {}), dicom, "Instance", f"{at}.DICOM")
                vrs = instance.get("DICOMVRs") or {}
                for key in list(dicom) + list(_object(change.get("DICOMVRs"), at)):
                    vrs.pop(key, None)
        if not any(True for _ in instances(doc)):
            raise ValidationException("An image set keeps at least one instance")

    def apply_updates(self, patch: dict[str, Any]) -> None:
        patient, study, series_patch = self._levels(patch)
        for target, change, level, where in self._top_levels(patient, study):
            self.set(target, change, level, where)
        for series_uid, raw in series_patch.items():
            where = f"Study.Series.{series_uid}"
            entry = _object(raw, where)
            _only(entry, {"DICOM", "Instances"}, where)
            series = self._series(series_uid)
            self.set(
                series.setdefault("DICOM", {}),
                _object(entry.get("DICOM"), f"{where}.DICOM"),
                "Series",
                f"{where}.DICOM",
            )
            for sop, raw_instance in _object(entry.get("Instances"), f"{where}.Instances").items():
                at = f"{where}.Instances.{sop}"
                change = _object(raw_instance, at)
                _only(change, {"DICOM", "DICOMVRs"}, at)
                instance = self._instance(series, series_uid, sop)
                vrs = {**(instance.get("DICOMVRs") or {}), **_object(change.get("DICOMVRs"), at)}
                dicom = _object(change.get("DICOM"), f"{at}.DICOM")
                self.set(instance.setdefault("DICOM", {}), dicom, "Instance", f"{at}.DICOM", vrs)
                hex_vrs = {key: vrs[key] for key in dicom if _HEX_KEY.match(key)}
                if hex_vrs:
                    instance["DICOMVRs"] = {**(instance.get("DICOMVRs") or {}), **hex_vrs}
        self._rename_uids()

    def _rename_uids(self) -> None:
        series_map = series_of(self.document)
        for series_uid in list(series_map):
            series = series_map[series_uid]
            renamed = (series.get("DICOM") or {}).get("SeriesInstanceUID")
            if isinstance(renamed, str) and renamed and renamed != series_uid:
                if renamed in series_map:
                    raise ValidationException(f"Series {renamed} is already in the image set")
                series_map[renamed] = series_map.pop(series_uid)
            found = series.get("Instances") or {}
            for sop in list(found):
                new_sop = (found[sop].get("DICOM") or {}).get("SOPInstanceUID")
                if isinstance(new_sop, str) and new_sop and new_sop != sop:
                    if new_sop in found:
                        raise ValidationException(f"Instance {new_sop} is already in the series")
                    found[new_sop] = found.pop(sop)


def apply_updates(
    document: dict[str, Any],
    removable: dict[str, Any] | None,
    updatable: dict[str, Any] | None,
    force: bool,
) -> dict[str, Any]:
    """A new document: `document` with the removals, then the updates, applied."""
    if removable is None and updatable is None:
        raise ValidationException("DICOMUpdates needs removableAttributes or updatableAttributes")
    editor = _Editor(document, force)
    if removable is not None:
        editor.apply_removals(removable)
    if updatable is not None:
        editor.apply_updates(updatable)
    return editor.document


def study_part(patch: dict[str, Any] | None) -> dict[str, Any] | None:
    """The Patient and Study levels of a patch (what other image sets of the study get)."""
    if patch is None:
        return None
    study = _object(patch.get("Study"), "Study")
    part: dict[str, Any] = {"SchemaVersion": patch.get("SchemaVersion", "1.1")}
    if "Patient" in patch:
        part["Patient"] = patch["Patient"]
    if "DICOM" in study:
        part["Study"] = {"DICOM": study["DICOM"]}
    return part


def apply_study_updates(
    document: dict[str, Any],
    removable: dict[str, Any] | None,
    updatable: dict[str, Any] | None,
    force: bool,
) -> dict[str, Any]:
    """The Patient and Study changes applied to another image set of the same study;
    attributes it lacks are skipped rather than refused."""
    editor = _Editor(document, force, lenient=True)
    if removable is not None:
        editor.apply_removals(study_part(removable) or {})
    if updatable is not None:
        editor.apply_updates(study_part(updatable) or {})
    return editor.document
