from __future__ import annotations

import base64
import copy
import io
import json
import zlib
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.tag import Tag

from harness.imaging.frames import HTJ2K_LOSSLESS, frame_id, frames_of, stored_syntax
from harness.imaging.metadata import (
    PATIENT_KEYWORDS,
    SERIES_KEYWORDS,
    STUDY_KEYWORDS,
    dicom_json,
    expected_attributes,
    instance_entry,
    level_of,
    metadata_document,
    split_levels,
)

DATASTORE = "0123456789abcdef0123456789abcdef"
IMAGE_SET = "fedcba9876543210fedcba9876543210"


def _read(name: str) -> Dataset:
    path = get_testdata_file(name)
    assert path is not None, name
    return pydicom.dcmread(path)


def _as_written(name: str, tag: int) -> list[str]:
    """An element's text values exactly as the file has them (read raw, not through pydicom's
    value conversion), with only the padding stripped."""
    path = get_testdata_file(name)
    assert path is not None
    ds = pydicom.dcmread(path)
    raw = ds.get_item(tag)
    assert raw is not None
    data: bytes = raw.value
    return [part.strip(" \x00") for part in data.decode("ascii").split("\\")]


def _instance(ds: Dataset, storage_format: str | None = None) -> tuple[Dataset, list[Any], str]:
    syntax = stored_syntax(str(ds.file_meta.TransferSyntaxUID), storage_format)
    return ds, frames_of(ds, storage_format), syntax


def _with_extras() -> Dataset:
    ds = _read("CT_small.dcm")
    ds.add_new(0x7FDD0010, "LO", "TSC Private Group")
    ds.add_new(0x7FDD1001, "OB", b"\x01\x02\x03")
    ds.add_new(0x0008FFF0, "LO", "no keyword")
    ds.add_new(0x00209165, "AT", [Tag(0x00280010), Tag(0x00280011)])
    ds.add_new(0x00189306, "FD", [1.5, 2.25])
    ds.add_new(0x00660023, "OW", b"\x00\x01\x02\x03")
    ds.ReferencedImageSequence = Sequence()
    ds.AccessionNumber = ""
    return ds


def test_document_shape_is_keyed_by_uids() -> None:
    ct = _read("CT_small.dcm")
    second = copy.deepcopy(ct)
    second.SOPInstanceUID = "1.2.3.4.5.6"
    other_series = copy.deepcopy(ct)
    other_series.SeriesInstanceUID = "1.2.3.4.9"
    other_series.SOPInstanceUID = "1.2.3.4.9.1"
    other_series.Modality = "OT"
    document = metadata_document(
        DATASTORE, IMAGE_SET, [_instance(ct), _instance(second), _instance(other_series)]
    )
    assert list(document) == ["SchemaVersion", "DatastoreID", "ImageSetID", "Patient", "Study"]
    assert document["SchemaVersion"] == "1.1"
    assert (document["DatastoreID"], document["ImageSetID"]) == (DATASTORE, IMAGE_SET)
    assert document["Patient"]["DICOM"]["PatientName"] == "CompressedSamples^CT1"
    assert document["Study"]["DICOM"]["StudyInstanceUID"] == ct.StudyInstanceUID
    series = document["Study"]["Series"]
    assert set(series) == {ct.SeriesInstanceUID, "1.2.3.4.9"}
    assert set(series[ct.SeriesInstanceUID]["Instances"]) == {ct.SOPInstanceUID, "1.2.3.4.5.6"}
    assert set(series["1.2.3.4.9"]["Instances"]) == {"1.2.3.4.9.1"}
    assert series[ct.SeriesInstanceUID]["DICOM"]["Modality"] == "CT"
    assert series["1.2.3.4.9"]["DICOM"]["Modality"] == "OT"
    instance = series[ct.SeriesInstanceUID]["Instances"][ct.SOPInstanceUID]
    assert list(instance) == ["DICOM", "DICOMVRs", "StoredTransferSyntaxUID", "ImageFrames"]
    assert instance["StoredTransferSyntaxUID"] == HTJ2K_LOSSLESS
    json.dumps(document, allow_nan=False)


def test_patient_and_study_come_from_the_first_instance() -> None:
    first = _read("CT_small.dcm")
    later = copy.deepcopy(first)
    later.SOPInstanceUID = "1.2.3.4.5.7"
    later.PatientName = "OTHER^NAME"
    later.StudyDescription = "other"
    document = metadata_document(DATASTORE, IMAGE_SET, [_instance(first), _instance(later)])
    assert document["Patient"]["DICOM"]["PatientName"] == "CompressedSamples^CT1"
    assert document["Study"]["DICOM"]["StudyDescription"] == "e+1"


def test_no_instances_is_an_error() -> None:
    with pytest.raises(ValueError):
        metadata_document(DATASTORE, IMAGE_SET, [])


def test_each_element_sits_at_its_level_only() -> None:
    levels = split_levels(_read("CT_small.dcm"))
    assert levels.patient["PatientName"] == "CompressedSamples^CT1"
    assert levels.study["StudyInstanceUID"].startswith("1.3.6.1.4.1.5962")
    assert levels.study["PatientAge"] == "000Y"
    assert levels.series["Modality"] == "CT"
    assert levels.series["Manufacturer"] == "GE MEDICAL SYSTEMS"
    assert levels.instance["Rows"] == 128
    assert levels.instance["TransferSyntaxUID"] == "1.2.840.10008.1.2.1"
    assert levels.instance["FileMetaInformationVersion"] == "AAE="
    assert levels.instance["SOPInstanceUID"].startswith("1.3.6.1.4.1.5962")
    maps = [levels.patient, levels.study, levels.series, levels.instance]
    for key in ("PatientName", "StudyInstanceUID", "Modality", "Rows", "TransferSyntaxUID"):
        assert sum(key in level for level in maps) == 1, key
    assert set(levels.patient) <= set(PATIENT_KEYWORDS)
    assert set(levels.study) <= set(STUDY_KEYWORDS)
    assert set(levels.series) <= set(SERIES_KEYWORDS)
    assert not set(levels.instance) & set(PATIENT_KEYWORDS + STUDY_KEYWORDS + SERIES_KEYWORDS)


def test_level_lists_are_disjoint_keywords() -> None:
    lists = [PATIENT_KEYWORDS, STUDY_KEYWORDS, SERIES_KEYWORDS]
    every = [keyword for names in lists for keyword in names]
    assert len(every) == len(set(every))
    for keyword in every:
        assert pydicom.datadict.tag_for_keyword(keyword) is not None, keyword
    assert level_of("PatientSex") == "Patient"
    assert level_of("AccessionNumber") == "Study"
    assert level_of("BodyPartExamined") == "Series"
    assert level_of("Rows") == "Instance"
    assert level_of("00091001") == "Instance"


def test_value_encodings() -> None:
    values, vrs = dicom_json(_with_extras())
    # DS and IS: strings exactly as written in the file.
    assert values["ImagePositionPatient"] == _as_written("CT_small.dcm", 0x00200032)
    assert values["SliceLocation"] == _as_written("CT_small.dcm", 0x00201041)[0]
    assert values["InstanceNumber"] == "1"
    assert values["SliceThickness"] == "5.000000"
    # Binary numbers: JSON numbers.
    assert values["Rows"] == 128 and type(values["Rows"]) is int
    assert values["PixelPaddingValue"] == -2000
    assert values["SingleCollimationWidth"] == [1.5, 2.25]
    # Multi-valued: arrays; PN: a string.
    assert values["ImageType"] == ["ORIGINAL", "PRIMARY", "AXIAL"]
    assert values["PatientName"] == "CompressedSamples^CT1"
    # Empty: null, whatever the VR.
    assert values["PatientBirthDate"] is None
    assert values["AccessionNumber"] is None
    assert values["ReferencedImageSequence"] is None
    # Bulk binary: base64; Pixel Data: null.
    assert values["FileMetaInformationVersion"] == "AAE="
    assert values["TrianglePointIndexList"] == base64.b64encode(b"\x00\x01\x02\x03").decode()
    assert values["PixelData"] is None
    # AT: tags as hex.
    assert values["DimensionIndexPointer"] == ["00280010", "00280011"]
    # Sequences: arrays of objects, encoded the same way.
    assert values["OtherPatientIDsSequence"] == [
        {"PatientID": "ABCD1234", "TypeOfPatientID": "TEXT"},
        {"PatientID": "1234ABCD", "TypeOfPatientID": "TEXT"},
    ]
    # Private and keyword-less tags: hex keys, with their VRs.
    assert values["7FDD0010"] == "TSC Private Group"
    assert values["7FDD1001"] == "AQID"
    assert values["00091001"] == "GE_GENESIS_FF"
    assert values["0008FFF0"] == "no keyword"
    assert vrs["7FDD0010"] == "LO" and vrs["7FDD1001"] == "OB"
    assert vrs["00091001"] == "LO" and vrs["0008FFF0"] == "LO"
    assert not {"PatientName", "Rows", "PixelData"} & set(vrs)
    assert all(key == key.upper() and len(key) == 8 for key in vrs)


def test_unknown_private_tags_of_an_implicit_file_are_un_base64() -> None:
    ct = _read("CT_small.dcm")
    ct.add_new(0x00710010, "LO", "AHI CONTRACT TEST")
    ct.add_new(0x00711001, "LO", "hello")
    ct.file_meta.TransferSyntaxUID = pydicom.uid.ImplicitVRLittleEndian
    buffer = io.BytesIO()
    ct.save_as(buffer)
    buffer.seek(0)
    values, vrs = dicom_json(pydicom.dcmread(buffer))
    assert vrs["00711001"] == "UN"
    assert base64.b64decode(values["00711001"]).rstrip(b" ") == b"hello"
    assert (values["00710010"], vrs["00710010"]) == ("AHI CONTRACT TEST", "LO")
    assert values["Rows"] == 128 and values["PatientName"] == "CompressedSamples^CT1"


def test_repeating_groups_are_keyed_by_hex() -> None:
    ds = _read("MR_small.dcm")
    ds.add_new(0x60003000, "OW", b"\x00\x01")
    ds.add_new(0x60023000, "OW", b"\x02\x03")
    values, vrs = dicom_json(ds)
    assert values["60003000"] == "AAE=" and values["60023000"] == "AgM="
    assert vrs["60003000"] == vrs["60023000"] == "OW"


def test_image_frames_entries() -> None:
    ds = _read("JPEG2000.dcm")  # 1024 rows x 256 columns, stored as is
    frames = frames_of(ds)
    entry = instance_entry(ds, frames, str(ds.file_meta.TransferSyntaxUID), image_set_id=IMAGE_SET)
    assert entry["StoredTransferSyntaxUID"] == "1.2.840.10008.1.2.4.91"
    (image_frame,) = entry["ImageFrames"]
    assert image_frame["ID"] == frame_id(IMAGE_SET, ds.SOPInstanceUID, 0)
    assert image_frame["PixelDataChecksumFromBaseToFullResolution"] == [
        {"Width": 256, "Height": 1024, "Checksum": zlib.crc32(frames[0].pixels)}
    ]
    assert image_frame["FrameSizeInBytes"] == 1024 * 256 * 2
    assert image_frame["ChecksumType"] == "DECOMPRESSED"
    pixels = np.frombuffer(frames[0].pixels, "<i2")
    assert image_frame["MinPixelValue"] == int(pixels.min())
    assert image_frame["MaxPixelValue"] == int(pixels.max())


def test_multi_frame_entries_are_in_frame_order() -> None:
    ds = _read("SC_rgb_rle_2frame.dcm")
    frames = frames_of(ds, "JPEG_2000_LOSSLESS")
    entry = instance_entry(ds, frames, "1.2.840.10008.1.2.4.90", image_set_id=IMAGE_SET)
    reference = ds.pixel_array
    checksums = [
        e["PixelDataChecksumFromBaseToFullResolution"][0]["Checksum"] for e in entry["ImageFrames"]
    ]
    assert checksums == [zlib.crc32(frame.tobytes()) for frame in reference]
    assert checksums[0] != checksums[1]
    ids = [e["ID"] for e in entry["ImageFrames"]]
    assert ids == [frame_id(IMAGE_SET, ds.SOPInstanceUID, i) for i in range(2)]
    assert all(e["FrameSizeInBytes"] == 100 * 100 * 3 for e in entry["ImageFrames"])


def test_instance_without_pixels_has_no_frames() -> None:
    ds = _read("rtplan.dcm")
    entry = instance_entry(ds, frames_of(ds), HTJ2K_LOSSLESS)
    assert entry["ImageFrames"] == []
    assert "PixelData" not in entry["DICOM"]


def test_expected_attributes_match_the_document() -> None:
    ds = _read("CT_small.dcm")
    expected = expected_attributes(ds)
    assert expected["PatientName"] == "CompressedSamples^CT1"
    assert expected["PatientID"] == "1CT1"
    assert expected["Modality"] == "CT"
    assert expected["StudyDate"] == "20040119"
    assert expected["Rows"] == 128
    assert expected["InstanceNumber"] == "1"
    assert expected["PatientBirthDate"] is None
    assert expected["TransferSyntaxUID"] == "1.2.840.10008.1.2.1"
    assert "NumberOfFrames" not in expected  # not in the file, so not in the document
    document = json.loads(json.dumps(metadata_document(DATASTORE, IMAGE_SET, [_instance(ds)])))
    series = document["Study"]["Series"][ds.SeriesInstanceUID]
    places = {
        "Patient": document["Patient"]["DICOM"],
        "Study": document["Study"]["DICOM"],
        "Series": series["DICOM"],
        "Instance": series["Instances"][ds.SOPInstanceUID]["DICOM"],
    }
    for keyword, value in expected.items():
        assert places[level_of(keyword)][keyword] == value, keyword
