"""Every file kept (IMPORT-GROUPING): copies of one SOP instance within a job and across jobs,
over HTTP with boto3 against the emulator and its S3."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pydicom

from harness.imaging.frames import decode_frame
from tests.emulator.conftest import (
    active_datastore,
    import_job,
    sample_bytes,
)

CT = sample_bytes("CT_small.dcm")


def _with_other_pixels(data: bytes, offset: int = 0) -> bytes:
    """The file with one pixel changed: same SOP Instance UID, other content."""
    ds = pydicom.dcmread(io.BytesIO(data))
    pixels = bytearray(ds.PixelData)
    pixels[offset] ^= 0x01
    ds.PixelData = bytes(pixels)
    out = io.BytesIO()
    ds.save_as(out)
    return out.getvalue()


@dataclass
class Job:
    """One finished import: where each file went (by key below the input prefix), its manifest."""

    placed: dict[str, dict[str, Any]]
    manifest: dict[str, Any]


def _import(imaging: Any, s3: Any, datastore_id: str, files: dict[str, bytes]) -> Job:
    read = import_job(imaging, s3, datastore_id, files)
    lines = [json.loads(line) for line in read("SUCCESS/success.ndjson").splitlines() if line]
    placed = {line["inputFile"].removeprefix("input/"): line["importResponse"] for line in lines}
    return Job(placed, json.loads(read("job-output-manifest.json"))["jobSummary"])


def _instances(imaging: Any, datastore_id: str, image_set_id: str, **version: Any) -> Any:
    answer = imaging.get_image_set_metadata(
        datastoreId=datastore_id, imageSetId=image_set_id, **version
    )
    document = json.loads(gzip.decompress(answer["imageSetMetadataBlob"].read()))
    (series,) = document["Study"]["Series"].values()
    return series["Instances"]


def _holds(imaging: Any, datastore_id: str, image_set_id: str, data: bytes, **version: Any) -> None:
    """The set (at `version`) holds the file's instance, and its frame is the file's pixels."""
    ds = pydicom.dcmread(io.BytesIO(data))
    instances = _instances(imaging, datastore_id, image_set_id, **version)
    (frame,) = instances[str(ds.SOPInstanceUID)]["ImageFrames"]
    expected = np.ascontiguousarray(ds.pixel_array).tobytes()
    assert frame["PixelDataChecksumFromBaseToFullResolution"][-1]["Checksum"] == zlib.crc32(
        expected
    )
    blob = imaging.get_image_frame(
        datastoreId=datastore_id,
        imageSetId=image_set_id,
        imageFrameInformation={"imageFrameId": frame["ID"]},
    )["imageFrameBlob"].read()
    stored = instances[str(ds.SOPInstanceUID)]["StoredTransferSyntaxUID"]
    rows, columns, bits = int(ds.Rows), int(ds.Columns), int(ds.BitsAllocated)
    signed = int(ds.PixelRepresentation) == 1
    assert decode_frame(blob, stored, rows, columns, 1, bits, signed) == expected


def _summary(job: Job, image_set_id: str) -> dict[str, Any]:
    (entry,) = [e for e in job.manifest["imageSetsSummary"] if e["imageSetId"] == image_set_id]
    return dict(entry)


def test_a_different_copy_in_one_job_goes_to_a_non_primary_set(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    other = _with_other_pixels(CT)
    job = _import(imaging, s3, datastore_id, {"a/first.dcm": CT, "b/second.dcm": other})
    first, second = job.placed["a/first.dcm"], job.placed["b/second.dcm"]
    assert first["isPrimary"] is True
    assert second["isPrimary"] is False
    assert first["imageSetId"] != second["imageSetId"]
    _holds(imaging, datastore_id, first["imageSetId"], CT)
    _holds(imaging, datastore_id, second["imageSetId"], other)
    assert job.manifest["numberOfGeneratedImageSets"] == 2
    for where in (first, second):
        entry = _summary(job, where["imageSetId"])
        assert (entry["isPrimary"], entry["numberOfMatchedSOPInstances"]) == (
            where["isPrimary"],
            1,
        )
        got = imaging.get_image_set(datastoreId=datastore_id, imageSetId=where["imageSetId"])
        assert (got["isPrimary"], got["versionId"]) == (where["isPrimary"], "1")
    found = imaging.search_image_sets(
        datastoreId=datastore_id,
        searchCriteria={"filters": [{"operator": "EQUAL", "values": [{"isPrimary": False}]}]},
    )
    assert [s["imageSetId"] for s in found["imageSetsMetadataSummaries"]] == [second["imageSetId"]]


def test_identical_copies_are_stored_once_and_each_conflict_once(imaging: Any, s3: Any) -> None:
    datastore_id = active_datastore(imaging)
    other, third = _with_other_pixels(CT), _with_other_pixels(CT, offset=2)
    job = _import(
        imaging,
        s3,
        datastore_id,
        {"1.dcm": CT, "2.dcm": other, "3.dcm": CT, "4.dcm": other, "5.dcm": third},
    )
    sets = {key: where["imageSetId"] for key, where in job.placed.items()}
    assert sets["1.dcm"] == sets["3.dcm"]
    assert sets["2.dcm"] == sets["4.dcm"]
    assert len({sets["1.dcm"], sets["2.dcm"], sets["5.dcm"]}) == 3
    assert [job.placed[k]["isPrimary"] for k in sorted(sets)] == [True, False, True, False, False]
    counts = {
        e["imageSetId"]: e["numberOfMatchedSOPInstances"] for e in job.manifest["imageSetsSummary"]
    }
    assert counts == {sets["1.dcm"]: 2, sets["2.dcm"]: 2, sets["5.dcm"]: 1}
    assert job.manifest["numberOfImportedFiles"] == 5
    for key, data in (("1.dcm", CT), ("2.dcm", other), ("5.dcm", third)):
        assert len(_instances(imaging, datastore_id, sets[key])) == 1
        _holds(imaging, datastore_id, sets[key], data)


def test_a_later_job_replaces_the_instance_in_the_primary_set_as_documented(
    imaging: Any, s3: Any
) -> None:
    datastore_id = active_datastore(imaging)
    (primary,) = _import(imaging, s3, datastore_id, {"ct.dcm": CT}).placed.values()
    other = _with_other_pixels(CT)
    again = _import(imaging, s3, datastore_id, {"ct.dcm": other})
    assert again.placed["ct.dcm"] == primary
    assert _summary(again, primary["imageSetId"])["imageSetVersion"] == 2
    _holds(imaging, datastore_id, primary["imageSetId"], other)
    _holds(imaging, datastore_id, primary["imageSetId"], CT, versionId="1")
    same = _import(imaging, s3, datastore_id, {"ct.dcm": other})
    assert same.placed["ct.dcm"] == primary
    assert _summary(same, primary["imageSetId"])["imageSetVersion"] == 3
    assert len(_instances(imaging, datastore_id, primary["imageSetId"])) == 1
