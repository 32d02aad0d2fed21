"""The image set metadata document AWS HealthImaging builds from DICOM P10 datasets.

Sources:
- Developer guide, "Understanding image sets" and AWS's samples: the document's shape,
  `{"SchemaVersion": "1.1", "DatastoreID", "ImageSetID", "Patient": {"DICOM"},
  "Study": {"DICOM", "Series": {<SeriesInstanceUID>: {"DICOM", "Instances": {<SOPInstanceUID>:
  {"DICOM", "DICOMVRs", "StoredTransferSyntaxUID", "ImageFrames"}}}}}}`.
- Developer guide, "Metadata normalization": keys are PS3.6 keywords, and the elements each of
  the Patient, Study and Series levels holds (`PATIENT_KEYWORDS`, `STUDY_KEYWORDS`,
  `SERIES_KEYWORDS`). Every other element, file meta (group 0002) included, is on the
  instance.
- Value encoding (as the samples show): an empty value is null; IS and DS are strings as
  written in the file; US, SS, UL, SL, UV, SV, FL and FD are numbers; a multi-valued element
  is an array; PN is a string such as "MISTER^CT"; SQ is an array of objects encoded the same
  way; other binary values are base64 strings, Pixel Data is null. A private tag, or a public
  one without a keyword, is keyed by its 8 uppercase hex digits and its VR goes in the
  instance's "DICOMVRs".

Decisions of the harness where those sources are silent:
- AT values are 8-hex-digit strings; an empty sequence is null like any empty value.
- Float and Double Float Pixel Data are null like Pixel Data.
- Repeating-group elements (overlays, curves) are keyed by hex, since their keyword is not
  unique. Hex-keyed elements inside sequence items get no VR entry: "DICOMVRs" holds the
  instance's top-level elements only, and is left out when it would be empty.
- Patient and Study "DICOM" come from the first instance, a Series' from its first instance.

Speed: `dicom_json` encodes the common elements of a freshly read dataset (explicit VR;
numbers, binary values, text without escape sequences, ASCII person names) straight from
their raw bytes with the rules of pydicom's own conversion (`_CONVERTERS`); any other
element (sequences, AT, UN, implicit VR, other person names, a value pydicom would fail
to convert or would convert another way) goes through pydicom as before. The result is
the same (tests compare the two on every test file pydicom ships) at a sixth of the
cost; pydicom's reading warnings about malformed values (too long, bad characters) are
not issued for the elements taken the fast way.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pydicom.hooks
from pydicom import config
from pydicom.charset import default_encoding
from pydicom.datadict import dictionary_has_tag, dictionary_keyword
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import BaseTag

from harness.imaging.frames import Frame, frame_id

SCHEMA_VERSION = "1.1"
CHECKSUM_TYPE = "DECOMPRESSED"

PATIENT_KEYWORDS = (
    "PatientName",
    "PatientID",
    "IssuerOfPatientID",
    "IssuerOfPatientIDQualifiersSequence",
    "TypeOfPatientID",
    "PatientBirthDate",
    "PatientBirthDateInAlternativeCalendar",
    "PatientDeathDateInAlternativeCalendar",
    "PatientAlternativeCalendar",
    "PatientSex",
    "ReferencedPatientPhotoSequence",
    "QualityControlSubject",
    "ReferencedPatientSequence",
    "PatientBirthTime",
    "OtherPatientIDsSequence",
    "OtherPatientNames",
    "EthnicGroup",
    "PatientComments",
    "PatientSpeciesDescription",
    "PatientSpeciesCodeSequence",
    "PatientBreedDescription",
    "PatientBreedCodeSequence",
    "BreedRegistrationSequence",
    "StrainDescription",
    "StrainNomenclature",
    "StrainCodeSequence",
    "StrainAdditionalInformation",
    "StrainStockSequence",
    "GeneticModificationsSequence",
    "ResponsiblePerson",
    "ResponsiblePersonRole",
    "ResponsibleOrganization",
    "PatientIdentityRemoved",
    "DeidentificationMethod",
    "DeidentificationMethodCodeSequence",
    "SourcePatientGroupIdentificationSequence",
    "GroupOfPatientsIdentificationSequence",
    "ClinicalTrialSponsorName",
    "ClinicalTrialProtocolID",
    "ClinicalTrialProtocolName",
    "ClinicalTrialSiteID",
    "ClinicalTrialSiteName",
    "ClinicalTrialSubjectID",
    "ClinicalTrialSubjectReadingID",
    "ClinicalTrialProtocolEthicsCommitteeName",
    "ClinicalTrialProtocolEthicsCommitteeApprovalNumber",
)
"""Patient level ("Metadata normalization": Patient, Issuer of Patient ID, Patient Group
macros and Clinical Trial Subject module)."""

STUDY_KEYWORDS = (
    "StudyInstanceUID",
    "StudyDate",
    "StudyTime",
    "ReferringPhysicianName",
    "ReferringPhysicianIdentificationSequence",
    "ConsultingPhysicianName",
    "ConsultingPhysicianIdentificationSequence",
    "StudyID",
    "AccessionNumber",
    "IssuerOfAccessionNumberSequence",
    "StudyDescription",
    "PhysiciansOfRecord",
    "PhysiciansOfRecordIdentificationSequence",
    "NameOfPhysiciansReadingStudy",
    "PhysiciansReadingStudyIdentificationSequence",
    "RequestingService",
    "RequestingServiceCodeSequence",
    "ReferencedStudySequence",
    "ProcedureCodeSequence",
    "ReasonForPerformedProcedureCodeSequence",
    "AdmittingDiagnosesDescription",
    "AdmittingDiagnosesCodeSequence",
    "PatientAge",
    "PatientSize",
    "PatientWeight",
    "PatientBodyMassIndex",
    "MeasuredAPDimension",
    "MeasuredLateralDimension",
    "PatientSizeCodeSequence",
    "MedicalAlerts",
    "Allergies",
    "SmokingStatus",
    "PregnancyStatus",
    "LastMenstrualDate",
    "PatientState",
    "Occupation",
    "AdditionalPatientHistory",
    "AdmissionID",
    "IssuerOfAdmissionIDSequence",
    "ReasonForVisit",
    "ReasonForVisitCodeSequence",
    "ServiceEpisodeID",
    "IssuerOfServiceEpisodeIDSequence",
    "ServiceEpisodeDescription",
    "PatientSexNeutered",
    "ClinicalTrialTimePointID",
    "ClinicalTrialTimePointDescription",
    "LongitudinalTemporalOffsetFromEvent",
    "LongitudinalTemporalEventType",
    "ConsentForClinicalTrialUseSequence",
)
"""Study level ("Metadata normalization": General Study, Patient Study and Clinical Trial
Study modules)."""

SERIES_KEYWORDS = (
    "Modality",
    "SeriesInstanceUID",
    "SeriesNumber",
    "Laterality",
    "SeriesDate",
    "SeriesTime",
    "PerformingPhysicianName",
    "PerformingPhysicianIdentificationSequence",
    "ProtocolName",
    "SeriesDescription",
    "SeriesDescriptionCodeSequence",
    "OperatorsName",
    "OperatorIdentificationSequence",
    "ReferencedPerformedProcedureStepSequence",
    "RelatedSeriesSequence",
    "BodyPartExamined",
    "PatientPosition",
    "SmallestPixelValueInSeries",
    "LargestPixelValueInSeries",
    "RequestAttributesSequence",
    "AnatomicalOrientationType",
    "TreatmentSessionUID",
    "ClinicalTrialCoordinatingCenterName",
    "ClinicalTrialSeriesID",
    "ClinicalTrialSeriesDescription",
    "Manufacturer",
    "InstitutionName",
    "InstitutionAddress",
    "StationName",
    "InstitutionalDepartmentName",
    "InstitutionalDepartmentTypeCodeSequence",
    "ManufacturerModelName",
    "ManufacturerDeviceClassUID",
    "DeviceSerialNumber",
    "SoftwareVersions",
    "GantryID",
    "UDISequence",
    "DeviceUID",
    "SpatialResolution",
    "DateOfLastCalibration",
    "TimeOfLastCalibration",
    "PixelPaddingValue",
    "FrameOfReferenceUID",
    "PositionReferenceIndicator",
)
"""Series level ("Metadata normalization": General Series, Clinical Trial Series, General
Equipment and Frame of Reference modules)."""

LEVELS = ("Patient", "Study", "Series", "Instance")
_LEVEL_OF = {
    **dict.fromkeys(PATIENT_KEYWORDS, "Patient"),
    **dict.fromkeys(STUDY_KEYWORDS, "Study"),
    **dict.fromkeys(SERIES_KEYWORDS, "Series"),
}

EXPECTED_KEYWORDS = (
    "PatientName",
    "PatientID",
    "PatientBirthDate",
    "PatientSex",
    "StudyInstanceUID",
    "StudyDate",
    "StudyTime",
    "StudyID",
    "AccessionNumber",
    "StudyDescription",
    "ReferringPhysicianName",
    "SeriesInstanceUID",
    "SeriesNumber",
    "SeriesDescription",
    "Modality",
    "SOPInstanceUID",
    "SOPClassUID",
    "InstanceNumber",
    "Rows",
    "Columns",
    "SamplesPerPixel",
    "BitsAllocated",
    "PixelRepresentation",
    "NumberOfFrames",
    "TransferSyntaxUID",
)
"""The elements `expected_attributes` reports: identity, levels and pixel geometry."""

PIXEL_DATA_TAGS = frozenset({0x7FE00008, 0x7FE00009, 0x7FE00010})
_BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN", "OB or OW", "US or OW"})
_INT_VRS = frozenset({"US", "SS", "UL", "SL", "UV", "SV", "US or SS"})
_FLOAT_VRS = frozenset({"FL", "FD"})


@dataclass
class Levels:
    """One instance's elements split by level, each a keyword -> JSON value map."""

    patient: dict[str, Any] = field(default_factory=dict)
    study: dict[str, Any] = field(default_factory=dict)
    series: dict[str, Any] = field(default_factory=dict)
    instance: dict[str, Any] = field(default_factory=dict)
    instance_vrs: dict[str, str] = field(default_factory=dict)


def level_of(keyword: str) -> str:
    """The level ("Patient", "Study", "Series" or "Instance") an element's key belongs to."""
    return _LEVEL_OF.get(keyword, "Instance")


def element_key(tag: BaseTag, keyword: str) -> tuple[str, bool]:
    """The document key of an element, and whether it is a hex key that needs a VR entry."""
    if not tag.is_private and keyword and dictionary_has_tag(tag):
        return keyword, False
    return f"{int(tag):08X}", True


def element_value(elem: DataElement) -> Any:
    """An element's value in the document's JSON encoding."""
    if int(elem.tag) in PIXEL_DATA_TAGS:
        return None
    if elem.VR == "SQ":
        items = [_items_json(item) for item in elem.value or ()]
        return items or None
    value = elem.value
    if value is None or elem.is_empty:
        return None
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if elem.VR in _BINARY_VRS:
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, MultiValue | list | tuple):
        return [_scalar(elem.VR, item) for item in value]
    return _scalar(elem.VR, value)


def dicom_json(ds: Dataset) -> tuple[dict[str, Any], dict[str, str]]:
    """All of `ds` (file meta first) as a key -> value map, and the VRs of its hex keys."""
    values: dict[str, Any] = {}
    vrs: dict[str, str] = {}
    fast = _fast_path_applies()
    for owner in _owners(ds):
        encoding = _first_encoding(owner) if fast else default_encoding
        stored = owner._dict
        for tag in sorted(stored, key=int):
            raw = stored[tag]
            value = _raw_json(raw, encoding) if fast and type(raw) is RawDataElement else _SLOW
            if value is _SLOW:
                elem = owner[tag]
                value, vr = element_value(elem), elem.VR
            else:
                vr = str(raw.VR)
            key, needs_vr = _key_of(int(tag))
            values[key] = value
            if needs_vr:
                vrs[key] = vr
    return values, vrs


def split_levels(ds: Dataset) -> Levels:
    """The elements of `ds` split into the Patient, Study, Series and Instance levels."""
    values, vrs = dicom_json(ds)
    levels = Levels(instance_vrs=vrs)
    targets = {
        "Patient": levels.patient,
        "Study": levels.study,
        "Series": levels.series,
        "Instance": levels.instance,
    }
    for key, value in values.items():
        targets[level_of(key)][key] = value
    return levels


def image_frame_entry(frame: Frame, image_set_id: str, sop_instance_uid: str) -> dict[str, Any]:
    """One `ImageFrames` entry; figures a frame lacks (video) are left out."""
    resolution: dict[str, Any] = {"Width": frame.columns, "Height": frame.rows}
    entry: dict[str, Any] = {"ID": frame_id(image_set_id, sop_instance_uid, frame.index)}
    if frame.checksum is not None:
        resolution["Checksum"] = frame.checksum
    entry["PixelDataChecksumFromBaseToFullResolution"] = [resolution]
    if frame.min is not None and frame.max is not None:
        entry["MinPixelValue"] = frame.min
        entry["MaxPixelValue"] = frame.max
    entry["FrameSizeInBytes"] = frame.size
    if frame.checksum is not None:
        entry["ChecksumType"] = CHECKSUM_TYPE
    return entry


def instance_entry(
    ds: Dataset,
    frames: Sequence[Frame],
    stored_syntax: str,
    *,
    image_set_id: str = "",
) -> dict[str, Any]:
    """The `Instances/<SOPInstanceUID>` object for `ds` and its stored frames."""
    levels = split_levels(ds)
    return _instance_object(ds, levels, frames, stored_syntax, image_set_id)


def metadata_document(
    datastore_id: str,
    image_set_id: str,
    instances: Iterable[tuple[Dataset, Sequence[Frame], str]],
) -> dict[str, Any]:
    """The image set metadata document for `(dataset, frames, stored syntax)` instances."""
    patient: dict[str, Any] | None = None
    study: dict[str, Any] = {}
    series_map: dict[str, Any] = {}
    for ds, frames, syntax in instances:
        levels = split_levels(ds)
        if patient is None:
            patient, study = levels.patient, levels.study
        series_uid = str(ds.get("SeriesInstanceUID", ""))
        series = series_map.setdefault(series_uid, {"DICOM": levels.series, "Instances": {}})
        entry = _instance_object(ds, levels, frames, syntax, image_set_id)
        series["Instances"][sop_instance_uid(ds)] = entry
    if patient is None:
        raise ValueError("an image set needs at least one instance")
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "DatastoreID": datastore_id,
        "ImageSetID": image_set_id,
        "Patient": {"DICOM": patient},
        "Study": {"DICOM": study, "Series": series_map},
    }


def sop_instance_uid(ds: Dataset) -> str:
    """The instance's key: SOPInstanceUID, else the file meta's MediaStorageSOPInstanceUID."""
    uid = ds.get("SOPInstanceUID")
    if not uid:
        meta = getattr(ds, "file_meta", None)
        uid = meta.get("MediaStorageSOPInstanceUID") if meta is not None else None
    return str(uid or "")


def expected_attributes(ds: Dataset) -> dict[str, Any]:
    """The values the document must carry for `EXPECTED_KEYWORDS` present in `ds`, in the
    document's JSON encoding; `level_of(keyword)` says where each one is."""
    values, _ = dicom_json(ds)
    return {keyword: values[keyword] for keyword in EXPECTED_KEYWORDS if keyword in values}


def _instance_object(
    ds: Dataset,
    levels: Levels,
    frames: Sequence[Frame],
    stored_syntax: str,
    image_set_id: str,
) -> dict[str, Any]:
    sop_uid = sop_instance_uid(ds)
    entry: dict[str, Any] = {"DICOM": levels.instance}
    if levels.instance_vrs:
        entry["DICOMVRs"] = levels.instance_vrs
    entry["StoredTransferSyntaxUID"] = stored_syntax
    entry["ImageFrames"] = [image_frame_entry(frame, image_set_id, sop_uid) for frame in frames]
    return entry


def _owners(ds: Dataset) -> Iterable[Dataset]:
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        yield meta
    yield ds


@lru_cache(maxsize=8192)
def _key_of(tag: int) -> tuple[str, bool]:
    """`element_key` for a tag, with the keyword `DataElement.keyword` gives it."""
    keyword = dictionary_keyword(tag) if dictionary_has_tag(tag) else ""
    return element_key(BaseTag(tag), keyword)


_SLOW: Any = object()
"""`_raw_json`'s answer for an element that pydicom must convert."""
_ESC = 0x1B
_LUT_DESCRIPTORS = frozenset({0x00281101, 0x00281102, 0x00281103, 0x00283002})
_SAFE_INTEGER = 2**53
_Converter = Callable[[bytes, RawDataElement, str], Any]


def _fast_path_applies() -> bool:
    """Whether pydicom converts values with its default hooks and settings, which
    `_raw_json` reproduces."""
    return (
        pydicom.hooks.hooks.raw_element_vr is pydicom.hooks.raw_element_vr
        and pydicom.hooks.hooks.raw_element_value is pydicom.hooks.raw_element_value
        and not pydicom.hooks.hooks.raw_element_kwargs
        and config.data_element_callback is None
        and not config.datetime_conversion
        and not config.use_DS_numpy
        and not config.use_IS_numpy
        and not config.use_DS_decimal
        and not config.use_none_as_empty_text_VR_value
        and config.settings.reading_validation_mode != config.RAISE
    )


def _first_encoding(owner: Dataset) -> str:
    """The codec pydicom decodes `owner`'s text with when no escape sequence is present."""
    encodings: Any = owner.original_character_set or owner._character_set
    if isinstance(encodings, str):
        return encodings
    return str(encodings[0]) if encodings else default_encoding


def _raw_json(raw: RawDataElement, encoding: str) -> Any:
    """The document value of a raw element as pydicom would convert it, or `_SLOW`.

    An empty value of these VRs is null (`empty_value_for_VR` gives "", b"" or None)."""
    convert = _CONVERTERS.get(raw.VR or "")
    data = raw.value
    if convert is None or data is None or int(raw.tag) in PIXEL_DATA_TAGS:
        return _SLOW
    if not data:
        return None
    return convert(data, raw, encoding)


def _texts(items: list[str]) -> Any:
    """A converted string value (one item or several) in the document's encoding."""
    if len(items) == 1:
        return items[0] or None
    return [item or None for item in items]


def _numbers(code: str) -> _Converter:
    size = struct.calcsize(f"={code}")

    def convert(data: bytes, raw: RawDataElement, encoding: str) -> Any:
        count, rest = divmod(len(data), size)
        if rest or int(raw.tag) in _LUT_DESCRIPTORS:
            return _SLOW
        numbers = struct.unpack(f"{'<' if raw.is_little_endian else '>'}{count}{code}", data)
        return numbers[0] if count == 1 else list(numbers)

    return convert


def _base64(data: bytes, raw: RawDataElement, encoding: str) -> Any:
    return base64.b64encode(data).decode("ascii")


def _decoded(data: bytes, encoding: str) -> str | None:
    """Text of a character-set VR as pydicom decodes it without escape sequences."""
    if _ESC in data:
        return None
    try:
        return data.decode(encoding)
    except (LookupError, UnicodeError):
        return None


def _split_text(data: bytes, raw: RawDataElement, encoding: str) -> Any:
    text = _decoded(data, encoding)
    if text is None:
        return _SLOW
    return _texts([item.rstrip("\0 ") for item in text.split("\\")])


def _single_text(data: bytes, raw: RawDataElement, encoding: str) -> Any:
    text = _decoded(data, encoding)
    if text is None:
        return _SLOW
    return text.rstrip("\0 ") or None


def _person_name(data: bytes, raw: RawDataElement, encoding: str) -> Any:
    """ASCII names without component groups: pydicom's PersonName prints them as read (it
    drops trailing empty groups, hence the `=` check)."""
    data = data.rstrip(b"\0 ")
    if not data.isascii() or b"=" in data or _ESC in data:
        return _SLOW
    return _texts(data.decode("ascii").split("\\"))


def _plain_string(data: bytes, raw: RawDataElement, encoding: str) -> Any:
    return _texts(data.decode(default_encoding).rstrip(" \0").split("\\"))


def _application_entity(data: bytes, raw: RawDataElement, encoding: str) -> Any:
    return _texts([item.strip() for item in data.decode(default_encoding).split("\\")])


def _uri(data: bytes, raw: RawDataElement, encoding: str) -> Any:
    return data.decode(default_encoding).rstrip() or None


def _decimal_string(data: bytes, raw: RawDataElement, encoding: str) -> Any:
    items = data.decode(default_encoding).strip().rstrip(" \0").split("\\")
    return _numeric_texts(items, _is_float)


def _integer_string(data: bytes, raw: RawDataElement, encoding: str) -> Any:
    items = data.decode(default_encoding).rstrip(" \0").split("\\")
    return _numeric_texts(items, _is_safe_integer)


def _numeric_texts(items: list[str], valid: Callable[[str], bool]) -> Any:
    """DS or IS items as the document writes them, or `_SLOW` when pydicom would not take
    one as a number: a number as written less its spaces, a blank item as it is (pydicom
    keeps it as a string), an empty one null."""
    texts = [item.strip() or item for item in items]
    if any(text.strip() and not valid(text) for text in texts):
        return _SLOW
    return _texts(texts)


_CONVERTERS: dict[str, _Converter] = {
    **{vr: _numbers(code) for vr, code in (("US", "H"), ("SS", "h"), ("UL", "L"))},
    **{vr: _numbers(code) for vr, code in (("SL", "l"), ("UV", "Q"), ("SV", "q"))},
    **{vr: _numbers(code) for vr, code in (("FL", "f"), ("FD", "d"))},
    **dict.fromkeys(("OB", "OD", "OF", "OL", "OV", "OW"), _base64),
    **dict.fromkeys(("SH", "LO", "UC"), _split_text),
    **dict.fromkeys(("ST", "LT", "UT"), _single_text),
    **dict.fromkeys(("AS", "CS", "DA", "DT", "TM", "UI"), _plain_string),
    "AE": _application_entity,
    "PN": _person_name,
    "UR": _uri,
    "DS": _decimal_string,
    "IS": _integer_string,
}
"""The VRs `_raw_json` converts (SQ, AT and UN are left to pydicom); UI's extra
rstrip of NUL and space before splitting is the one `_plain_string` does."""


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_safe_integer(text: str) -> bool:
    try:
        return -_SAFE_INTEGER < int(text) < _SAFE_INTEGER
    except ValueError:
        return False


def _items_json(item: Dataset) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for elem in item:
        key, _ = element_key(elem.tag, elem.keyword)
        values[key] = element_value(elem)
    return values


def _scalar(vr: str, value: Any) -> Any:
    if value is None or value == "":
        return None
    if vr in ("DS", "IS"):
        original = getattr(value, "original_string", None)
        return str(original if original is not None else value)
    if vr in _INT_VRS:
        return int(value)
    if vr in _FLOAT_VRS:
        return float(value)
    if vr == "AT":
        return f"{int(value):08X}"
    return str(value)
