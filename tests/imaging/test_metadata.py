from __future__ import annotations

import base64
import copy
import io
import json
import warnings
import zlib
from pathlib import Path
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
    element_key,
    element_value,
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


def _reference_json(ds: Dataset) -> tuple[dict[str, Any], dict[str, str]]:
    """`dicom_json` element by element through pydicom's own conversion."""
    values: dict[str, Any] = {}
    vrs: dict[str, str] = {}
    meta = list(ds.file_meta) if getattr(ds, "file_meta", None) is not None else []
    for elem in [*meta, *ds]:
        key, needs_vr = element_key(elem.tag, elem.keyword)
        values[key] = element_value(elem)
        if needs_vr:
            vrs[key] = elem.VR
    return values, vrs


def _pydicom_test_files() -> list[Path]:
    folder = Path(pydicom.__file__).parent / "data" / "test_files"
    return sorted(path for path in folder.rglob("*") if path.is_file())


def _as_read(ds: Dataset, syntax: str = pydicom.uid.ExplicitVRLittleEndian) -> bytes:
    ds.file_meta.TransferSyntaxUID = syntax
    buffer = io.BytesIO()
    ds.save_as(buffer, implicit_vr=syntax == pydicom.uid.ImplicitVRLittleEndian)
    return buffer.getvalue()


def _patched(data: bytes, replacements: dict[bytes, bytes]) -> bytes:
    for placeholder, value in replacements.items():
        assert data.count(placeholder) == 1 and len(value) == len(placeholder)
        data = data.replace(placeholder, value)
    return data


def _edge_values() -> list[bytes]:
    """Files whose values test the raw fast path's edges: blanks, padding, bad numbers,
    character sets, implicit VR (pydicom's test files add big endian and escape codes)."""
    files = []
    for charset, text in (("ISO_IR 100", "Müller^Hans"), ("ISO_IR 192", "Ωμέγα"), ("", "plain")):
        ds = _read("CT_small.dcm")
        ds.SpecificCharacterSet = charset
        ds.add_new(0x00081030, "LO", f"{text}\\ second \\\\")
        ds.add_new(0x00204000, "LT", f"  {text} \x00")
        ds.add_new(0x00180015, "CS", "HEAD\\  \\NECK ")
        ds.add_new(0x00280030, "DS", " 0.5\\  \\\\1e3 ")
        ds.add_new(0x00200012, "IS", " 7 ")
        ds.add_new(0x00200013, "IS", "1\\ \\+2")
        ds.add_new(0x00181030, "LO", "")
        ds.add_new(0x00400254, "LO", "a\\")
        ds.add_new(0x00080054, "AE", " NODE \\ OTHER")
        ds.add_new(0x00080018, "UI", "1.2.3\x00")
        ds.add_new(0x00211001, "FL", [1.5, -2.25])
        ds.add_new(0x00211002, "US", [])
        ds.add_new(0x00211003, "UL", 70000)
        ds.add_new(0x00211004, "OB", b"\x00\x01\x02")
        ds.add_new(0x00211005, "UN", b"raw")
        ds.add_new(0x00211006, "UR", "http://example.test/a  ")
        ds.add_new(0x00211007, "SV", [-(2**40), 3])
        ds.add_new(0x00081050, "PN", "A^B==\\ C^D^^ \\")
        ds.add_new(0x00081070, "PN", f"{text}^X")
        ds.add_new(0x00080090, "PN", "=")
        files.append(_as_read(ds))
    bad = _read("CT_small.dcm")  # values pydicom cannot write, patched in after
    bad.add_new(0x00280030, "DS", "7.25\\1")
    bad.add_new(0x00200013, "IS", "8641")
    bad.add_new(0x00200012, "IS", "8642")
    files.append(
        _patched(_as_read(bad), {b"7.25\\1": b"abc\\1 ", b"8641": b"1.5 ", b"8642": b"9e99"})
    )
    short = _read("CT_small.dcm")  # an FL value of 6 bytes
    short.add_new(0x00211001, "SH", "ZZQQXX")
    header = b"\x21\x00\x01\x10"
    files.append(_patched(_as_read(short), {header + b"SH": header + b"FL"}))
    files.append(_as_read(_read("MR_small.dcm"), pydicom.uid.ImplicitVRLittleEndian))
    return files


def _outcomes(read: Any) -> tuple[Any, Any]:
    """(pydicom's conversion, `dicom_json`) of the dataset `read()` gives; an error's type
    where one raises."""
    outcomes: list[Any] = []
    for convert in (_reference_json, dicom_json):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                outcomes.append(convert(read()))
            except Exception as error:
                outcomes.append(type(error))
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize("path", _pydicom_test_files(), ids=lambda path: path.name)
def test_dicom_json_equals_pydicom_conversion_for_pydicom_test_files(path: Path) -> None:
    expected, got = _outcomes(lambda: pydicom.dcmread(path, force=True))
    assert got == expected


@pytest.mark.parametrize("index", range(6))
def test_dicom_json_equals_pydicom_conversion_at_the_edges(index: int) -> None:
    data = _edge_values()[index]
    expected, got = _outcomes(lambda: pydicom.dcmread(io.BytesIO(data)))
    assert got == expected


def test_dicom_json_under_non_default_pydicom_settings() -> None:
    data = _edge_values()[0]
    previous = pydicom.config.datetime_conversion
    pydicom.config.datetime_conversion = True
    try:
        expected, got = _outcomes(lambda: pydicom.dcmread(io.BytesIO(data)))
    finally:
        pydicom.config.datetime_conversion = previous
    assert got == expected and isinstance(got, tuple)
