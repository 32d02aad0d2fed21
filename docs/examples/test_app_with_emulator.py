"""An application's tests against the HealthImaging emulator (docs/emulator.md, "In your
own tests"). With ahi-contract installed its pytest plugin provides the `ahi_*` fixtures:

    pytest -n 2 test_app_with_emulator.py

Each pytest-xdist worker starts its own emulator on free ports when a test first asks
for one; the files of an `ahi_load` mark are imported once per worker.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import boto3
import imagecodecs
import numpy
import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file

CT = get_testdata_file("CT_small.dcm")
MR = get_testdata_file("MR_small.dcm")


@pytest.mark.ahi_load(CT, MR)
def test_search_finds_the_study_and_its_frame_has_the_file_s_pixels(
    ahi_imaging: Any, ahi_loaded: Any
) -> None:
    ct = dcmread(CT)
    store = ahi_loaded.datastore_id
    study = {"DICOMStudyInstanceUID": ct.StudyInstanceUID}
    found = ahi_imaging.search_image_sets(
        datastoreId=store,
        searchCriteria={"filters": [{"values": [study], "operator": "EQUAL"}]},
    )["imageSetsMetadataSummaries"]
    assert [summary["imageSetId"] for summary in found] == [ahi_loaded.image_set_of(CT)]

    image_set = found[0]["imageSetId"]
    blob = ahi_imaging.get_image_set_metadata(datastoreId=store, imageSetId=image_set)
    metadata = json.loads(gzip.decompress(blob["imageSetMetadataBlob"].read()))
    series = metadata["Study"]["Series"][ct.SeriesInstanceUID]
    frame_id = series["Instances"][ct.SOPInstanceUID]["ImageFrames"][0]["ID"]
    frame = ahi_imaging.get_image_frame(
        datastoreId=store, imageSetId=image_set, imageFrameInformation={"imageFrameId": frame_id}
    )
    assert frame["contentType"] == "image/jph"  # HTJ2K, lossless
    pixels = imagecodecs.htj2k_decode(frame["imageFrameBlob"].read())
    assert numpy.array_equal(pixels, ct.pixel_array)


@pytest.mark.ahi_load(CT, MR)
def test_each_file_is_in_an_image_set_of_the_data_store(ahi_imaging: Any, ahi_loaded: Any) -> None:
    assert ahi_loaded.refused == ()
    listed = ahi_imaging.search_image_sets(datastoreId=ahi_loaded.datastore_id)
    ids = {summary["imageSetId"] for summary in listed["imageSetsMetadataSummaries"]}
    assert {ahi_loaded.image_set_of(CT), ahi_loaded.image_set_of(MR)} <= ids


def test_code_that_makes_its_own_clients_reaches_the_emulator(
    ahi_environment: dict[str, str], ahi_s3: Any
) -> None:
    imaging = boto3.client("medical-imaging")  # as the application makes it
    created = imaging.create_datastore(datastoreName="made-by-the-app")
    assert created["datastoreStatus"] == "CREATING"
    ahi_s3.create_bucket(Bucket="app-input")
    assert "app-input" in [
        bucket["Name"] for bucket in boto3.client("s3").list_buckets()["Buckets"]
    ]
