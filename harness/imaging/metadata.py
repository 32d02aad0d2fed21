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
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydicom.datadict import dictionary_has_tag
from pydicom.dataelem import DataElement
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
    for elem in _elements(ds):
        key, needs_vr = element_key(elem.tag, elem.keyword)
        values[key] = element_value(elem)
        if needs_vr:
            vrs[key] = elem.VR
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


def _elements(ds: Dataset) -> Iterable[DataElement]:
    meta = getattr(ds, "file_meta", None)
    if meta is not None:
        yield from meta
    yield from ds


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
