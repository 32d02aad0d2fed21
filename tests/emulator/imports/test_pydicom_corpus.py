"""pydicom's own test files, every one with pixel data, imported in one job: each is either
refused with a failure line that says why, or found, value by value and frame by frame, in
the image set its success line names."""

from __future__ import annotations

import gzip
import io
import json
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames
from pydicom.pixels.utils import pixel_array

from harness.emulator import Emulator
from harness.imaging.frames import (
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    EXPLICIT_VR_BIG_ENDIAN,
    EXPLICIT_VR_LITTLE_ENDIAN,
    IMPLICIT_VR_LITTLE_ENDIAN,
    RLE_LOSSLESS,
    decode_frame,
)
from harness.imaging.metadata import expected_attributes, split_levels
from tests.emulator.conftest import (
    active_datastore,
    import_job,
    start_emulator,
)

TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"
PIXEL_TAGS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
DECODED_BY_PYDICOM = frozenset(
    {
        IMPLICIT_VR_LITTLE_ENDIAN,
        EXPLICIT_VR_LITTLE_ENDIAN,
        DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
        EXPLICIT_VR_BIG_ENDIAN,
        RLE_LOSSLESS,
    }
)
"""Syntaxes pydicom decodes without plugins; the others are decoded from the file's own
frame bytes with the codecs the harness names (`harness.imaging.frames`)."""

REFUSED = {
    "MR_truncated.dcm": "pixel data is truncated",
    "badVR.dcm": "NumberOfFrames is invalid",
    "meta_missing_tsyntax.dcm": "TransferSyntaxUID does not exist",
    "nested_priv_SQ.dcm": "StudyInstanceUID does not exist",
    "JPEGLSNearLossless_08.dcm": "StudyInstanceUID does not exist",
    "JPEGLSNearLossless_16.dcm": "StudyInstanceUID does not exist",
    "SC_rgb_jls_lossy_line.dcm": "StudyInstanceUID does not exist",
    "SC_rgb_jls_lossy_sample.dcm": "StudyInstanceUID does not exist",
    "JPEG2000-embedded-sequence-delimiter.dcm": "pixel data cannot be stored",
}
"""The files the import refuses and the words their failure line must hold. pydicom's README
says of the last: "Almost certainly not a valid JPEG anymore" (its SIZ marker now holds the
delimiter's bytes), so no frame checksum can be computed for it."""


@dataclass
class CorpusFile:
    """One test file: where it lies below pydicom's test_files, its bytes, as pydicom reads it."""

    key: str
    data: bytes
    dataset: Dataset

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


def _corpus() -> list[CorpusFile]:
    """Every test file pydicom reads at least in part and that has pixel data."""
    found = []
    for path in sorted(TEST_FILES.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ds = pydicom.dcmread(io.BytesIO(data), force=True)
            except Exception:
                continue
        if any(tag in ds for tag in PIXEL_TAGS):
            found.append(CorpusFile(path.relative_to(TEST_FILES).as_posix(), data, ds))
    return found


@pytest.fixture(scope="module", params=["threads", "processes"])
def emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """The corpus is imported twice: its files prepared on the service's threads, and on a
    worker process (as a standalone emulator prepares a large import's files)."""
    if request.param == "threads":
        running = start_emulator()
    else:
        running = start_emulator(import_processes=1, import_process_min_files=1)
    yield running
    running.stop()


@dataclass
class Imported:
    """The one job: its files by input key, its result lines by input file, its manifest."""

    files: dict[str, CorpusFile]
    successes: dict[str, dict[str, Any]]
    failures: dict[str, dict[str, Any]]
    manifest: dict[str, Any]
    datastore_id: str


@pytest.fixture(scope="module")
def imported(imaging: Any, s3: Any) -> tuple[Any, Imported]:
    datastore_id = active_datastore(imaging)
    files = {f"input/{item.key}": item for item in _corpus()}
    read = import_job(imaging, s3, datastore_id, {item.key: item.data for item in files.values()})

    def lines(key: str) -> dict[str, dict[str, Any]]:
        records = [json.loads(line) for line in read(key).decode().splitlines() if line]
        return {record["inputFile"]: record for record in records}

    return imaging, Imported(
        files,
        lines("SUCCESS/success.ndjson"),
        lines("FAILURE/failure.ndjson"),
        json.loads(read("job-output-manifest.json"))["jobSummary"],
        datastore_id,
    )


def test_the_corpus_is_pydicoms_files_with_pixel_data(imported: tuple[Any, Imported]) -> None:
    _, result = imported
    names = {item.name for item in result.files.values()}
    assert len(result.files) >= 80
    assert set(REFUSED) <= names
    assert {"MR_small_RLE.dcm", "JPEG2000.dcm", "SC_ybr_full_422_uncompressed.dcm"} <= names
    syntaxes = {
        str(item.dataset.file_meta.get("TransferSyntaxUID")) for item in result.files.values()
    }
    assert len(syntaxes) >= 12


def test_every_file_has_one_line_and_only_the_known_ones_are_refused(
    imported: tuple[Any, Imported],
) -> None:
    _, result = imported
    assert set(result.successes) | set(result.failures) == set(result.files)
    assert not set(result.successes) & set(result.failures)
    refused = {result.files[key].name: line for key, line in result.failures.items()}
    assert set(refused) == set(REFUSED)
    for name, line in refused.items():
        assert line["exception"]["exceptionType"] == "ValidationException", name
        assert REFUSED[name] in line["exception"]["message"], (name, line)
    manifest = result.manifest
    assert manifest["numberOfScannedFiles"] == len(result.files)
    assert manifest["numberOfImportedFiles"] == len(result.successes)
    assert manifest["numberOfFilesWithCustomerError"] == len(REFUSED)
    named = {line["importResponse"]["imageSetId"] for line in result.successes.values()}
    assert {entry["imageSetId"] for entry in manifest["imageSetsSummary"]} == named
    assert sum(e["numberOfMatchedSOPInstances"] for e in manifest["imageSetsSummary"]) == len(
        result.successes
    )


def test_files_sharing_an_instance_uid_are_all_kept(imported: tuple[Any, Imported]) -> None:
    _, result = imported
    by_sop: dict[str, dict[str, dict[str, Any]]] = {}
    for key, line in result.successes.items():
        sop = str(result.files[key].dataset.SOPInstanceUID)
        by_sop.setdefault(sop, {})[result.files[key].name] = line["importResponse"]
    shared = {sop: placed for sop, placed in by_sop.items() if len(placed) > 1}
    assert len(shared) >= 5  # MR_small's syntaxes, rtdose's, SC_rgb_rle's, ...
    for placed in shared.values():
        primary = {where["imageSetId"] for where in placed.values() if where["isPrimary"]}
        assert len(primary) <= 1, placed
    mr = next(placed for placed in shared.values() if "MR_small.dcm" in placed)
    syntaxes = ("", "_implicit", "_bigendian", "_RLE", "_jp2klossless", "_jpeg_ls_lossless")
    sets = {mr[f"MR_small{suffix}.dcm"]["imageSetId"] for suffix in syntaxes}
    assert len(sets) == len(syntaxes)  # the same pixels in another syntax: another instance
    # Padding after the pixels is not kept: the same attributes and frames, identical.
    assert mr["MR_small_padded.dcm"] == mr["MR_small.dcm"]
    jpeg = next(placed for placed in shared.values() if "JPEG-lossy.dcm" in placed)
    # One byte of the JPEG header differs, not the decoded pixels the set holds: identical.
    assert jpeg["JPEG-lossy.dcm"] == jpeg["JPGExtended.dcm"]


def _document(imaging: Any, datastore_id: str, image_set_id: str) -> dict[str, Any]:
    answer = imaging.get_image_set_metadata(datastoreId=datastore_id, imageSetId=image_set_id)
    document: dict[str, Any] = json.loads(gzip.decompress(answer["imageSetMetadataBlob"].read()))
    return document


def _expected_frames(ds: Dataset) -> list[bytes]:
    """The file's decoded frames: pydicom's arrays, or the named codecs on its own frames."""
    syntax = str(ds.file_meta.TransferSyntaxUID)
    count = int(ds.get("NumberOfFrames") or 1)
    if syntax in DECODED_BY_PYDICOM:
        frames = []
        for index in range(count):
            array = pixel_array(ds, index=index)
            little = array.astype(array.dtype.newbyteorder("<"), copy=False)
            frames.append(np.ascontiguousarray(little).tobytes())
        return frames
    return [
        decode_frame(data, syntax, *_geometry(ds))
        for data in generate_frames(ds.PixelData, number_of_frames=count)
    ]


def _geometry(ds: Dataset) -> tuple[int, int, int, int, bool, str | None, int]:
    photometric = ds.get("PhotometricInterpretation")
    return (
        int(ds.Rows),
        int(ds.Columns),
        int(ds.get("SamplesPerPixel") or 1),
        int(ds.BitsAllocated),
        int(ds.get("PixelRepresentation") or 0) == 1,
        str(photometric).strip() if photometric else None,
        int(ds.get("BitsStored") or ds.BitsAllocated),
    )


def test_each_success_line_names_a_set_holding_that_files_values_and_frames(
    imported: tuple[Any, Imported],
) -> None:
    imaging, result = imported
    documents: dict[str, dict[str, Any]] = {}
    checked_frames = 0
    for key, line in sorted(result.successes.items()):
        ds = result.files[key].dataset
        image_set_id = line["importResponse"]["imageSetId"]
        if image_set_id not in documents:
            documents[image_set_id] = _document(imaging, result.datastore_id, image_set_id)
        document = documents[image_set_id]
        series = document["Study"]["Series"][str(ds.SeriesInstanceUID)]
        instance = series["Instances"][str(ds.SOPInstanceUID)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            levels = split_levels(ds)
            expected = expected_attributes(ds)
        assert instance["DICOM"] == levels.instance, key
        assert instance.get("DICOMVRs", {}) == levels.instance_vrs, key
        holders = {
            "Patient": document["Patient"]["DICOM"],
            "Study": document["Study"]["DICOM"],
            "Series": series["DICOM"],
            "Instance": instance["DICOM"],
        }
        for keyword, value in expected.items():
            found = next((h[keyword] for h in holders.values() if keyword in h), "<absent>")
            assert found == value, (key, keyword)
        frames = _expected_frames(ds)
        entries = instance["ImageFrames"]
        assert len(entries) == len(frames), key
        stored = instance["StoredTransferSyntaxUID"]
        for index, (entry, pixels) in enumerate(zip(entries, frames, strict=True)):
            answer = imaging.get_image_frame(
                datastoreId=result.datastore_id,
                imageSetId=image_set_id,
                imageFrameInformation={"imageFrameId": entry["ID"]},
            )
            decoded = decode_frame(answer["imageFrameBlob"].read(), stored, *_geometry(ds))
            assert decoded == pixels, (key, index)
            checksum = entry["PixelDataChecksumFromBaseToFullResolution"][-1]["Checksum"]
            assert zlib.crc32(pixels) == checksum, (key, index)
            checked_frames += 1
    assert checked_frames >= len(result.successes)
