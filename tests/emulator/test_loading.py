"""Loading DICOM files into a running emulator through its API and S3 (real ports)."""

from __future__ import annotations

import gzip
import json
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer
from pydicom import dcmread
from pydicom.data import get_testdata_file

from harness.emulator import Emulator
from harness.emulator.loading import (
    DATASTORE_PREFIX,
    ImportedFile,
    Loader,
    LoadError,
    LoadFailed,
    LoadResult,
    MemoryLoadRecords,
    RefusedFile,
    StateLoadRecords,
    find_files,
    sample_files,
)
from harness.emulator.storage.s3 import S3Settings
from harness.emulator.testing import RunningEmulator, config_for_tests, running_emulator
from harness.imaging.known_set import sample_set


def pydicom_file(name: str) -> Path:
    path = get_testdata_file(name)
    assert path is not None, name
    return Path(path)


def folder_of(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    """`tmp_path/scans` holding each key of `files`: a pydicom test file (by name) or bytes."""
    folder = tmp_path / "scans"
    for key, content in files.items():
        target = folder / key
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            shutil.copyfile(pydicom_file(content), target)
    return folder


def instances_of(imaging: Any, datastore_id: str, image_set_id: str) -> dict[str, set[str]]:
    """Series UID -> the SOP Instance UIDs the image set's metadata holds."""
    reply = imaging.get_image_set_metadata(datastoreId=datastore_id, imageSetId=image_set_id)
    study = json.loads(gzip.decompress(reply["imageSetMetadataBlob"].read()))["Study"]
    return {uid: set(series["Instances"]) for uid, series in study["Series"].items()}


def datastore_count(imaging: Any) -> int:
    return len(imaging.list_datastores()["datastoreSummaries"])


# --- finding files ---------------------------------------------------------------------


def test_folders_are_walked_globs_expanded_and_each_file_named_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder_of(tmp_path, {"a.dcm": b"a", "sub/b.dcm": b"b", "sub/deeper/c.txt": b"c"})
    other = tmp_path / "other"
    other.mkdir()
    (other / "d.dcm").write_bytes(b"d")
    (other / "e.txt").write_bytes(b"e")
    monkeypatch.chdir(tmp_path)
    files = find_files(["scans", "scans/a.dcm", "other/*.dcm", "**/b.dcm"])
    assert [(file.name, file.key) for file in files] == [
        ("scans/a.dcm", "0/a.dcm"),
        ("scans/sub/b.dcm", "0/sub/b.dcm"),
        ("scans/sub/deeper/c.txt", "0/sub/deeper/c.txt"),
        ("other/d.dcm", "2/d.dcm"),
    ]
    assert files[1].source == tmp_path / "scans" / "sub" / "b.dcm"
    assert files[1].open().read() == b"b"


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("missing.dcm", "no such file or folder"),
        ("empty", "a folder with no files"),
        ("scans/*.png", "no file matches this pattern"),
    ],
)
def test_a_path_that_names_no_file_is_refused_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str, reason: str
) -> None:
    folder_of(tmp_path, {"a.dcm": b"a"})
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LoadError) as refused:
        find_files(["scans", given])
    assert (refused.value.path, refused.value.reason) == (given, reason)
    assert str(refused.value) == f"{given}: {reason}"


def test_the_sample_files_are_the_known_set() -> None:
    files = sample_files()
    assert [file.name for file in files] == [sample.key for sample in sample_set()]
    assert all(file.key == f"sample/{file.name}" for file in files)


# --- loads -----------------------------------------------------------------------------


def test_a_set_without_a_dicom_file_is_refused_before_anything_is_made(
    emulator: Emulator, imaging: Any, s3: Any, tmp_path: Path
) -> None:
    before = datastore_count(imaging)
    files = find_files([folder_of(tmp_path, {"a.txt": b"text", "b.dcm": b"\0" * 200})])
    with pytest.raises(LoadError, match="none of the 2 files is DICOM P10"):
        Loader(imaging, s3).load(files)
    with pytest.raises(LoadError, match=r"a.txt: not DICOM P10"):
        Loader(imaging, s3).load(files[:1])
    with pytest.raises(LoadError, match="no files to load"):
        Loader(imaging, s3).load([])
    assert datastore_count(imaging) == before


def test_each_file_ends_in_the_image_set_holding_it_or_refused_with_the_reason(
    emulator: Emulator, imaging: Any, s3: Any, tmp_path: Path
) -> None:
    folder = folder_of(
        tmp_path,
        {
            "ct/CT_small.dcm": "CT_small.dcm",
            "mr/MR_small.dcm": "MR_small.dcm",
            "rt/rtdose.dcm": "rtdose.dcm",
            "broken/no_meta.dcm": "no_meta.dcm",
            "notes.txt": b"not an image\n",
        },
    )
    files = find_files([folder])
    result = Loader(imaging, s3).load(files)

    assert result.datastore_name.startswith(DATASTORE_PREFIX)
    assert result.digest.removeprefix("sha256:")[:16] == result.datastore_name[-16:]
    assert len(result.job_ids) == 1 and not result.reused
    names = {file.name for file in files}
    imported = {entry.file: entry for entry in result.imported}
    refused = {entry.file: entry for entry in result.refused}
    assert set(imported) | set(refused) == names and not set(imported) & set(refused)
    assert set(refused) == {f"{folder}/broken/no_meta.dcm", f"{folder}/notes.txt"}
    for entry in refused.values():
        assert "DICM" in entry.reason and entry.exception_type == "ValidationException"

    found = imaging.search_image_sets(datastoreId=result.datastore_id)
    listed = {summary["imageSetId"] for summary in found["imageSetsMetadataSummaries"]}
    assert set(result.image_set_ids) == listed and len(listed) == 3
    for name, entry in imported.items():
        dataset = dcmread(name, stop_before_pixels=True)
        assert (entry.sop_instance_uid, entry.series_instance_uid, entry.study_instance_uid) == (
            dataset.SOPInstanceUID,
            dataset.SeriesInstanceUID,
            dataset.StudyInstanceUID,
        )
        held = instances_of(imaging, result.datastore_id, entry.image_set_id)
        assert entry.sop_instance_uid in held[dataset.SeriesInstanceUID], name
        assert entry.is_primary is True


def test_a_set_over_the_files_per_job_quota_takes_several_jobs(
    emulator: Emulator, imaging: Any, s3: Any, tmp_path: Path
) -> None:
    folder = folder_of(
        tmp_path,
        {
            "a.dcm": "CT_small.dcm",
            "b.dcm": "MR_small.dcm",
            "c.dcm": "rtdose.dcm",
            "d.dcm": "JPEG2000.dcm",
            "e.dcm": "SC_rgb_rle.dcm",
        },
    )
    result = Loader(imaging, s3, files_per_job=2).load(find_files([folder]))
    assert len(result.job_ids) == 3 == len(set(result.job_ids))
    assert [Path(entry.file).name for entry in result.imported] == [
        "a.dcm",
        "b.dcm",
        "c.dcm",
        "d.dcm",
        "e.dcm",
    ]
    jobs = imaging.list_dicom_import_jobs(datastoreId=result.datastore_id)["jobSummaries"]
    assert {job["jobId"] for job in jobs} == set(result.job_ids)


def test_an_unchanged_set_loads_once_and_a_changed_or_deleted_one_again(
    emulator: Emulator, imaging: Any, s3: Any, tmp_path: Path
) -> None:
    folder = folder_of(tmp_path, {"ct.dcm": "CT_small.dcm", "mr.dcm": "MR_small.dcm"})
    loader = Loader(imaging, s3, records=MemoryLoadRecords())
    first = loader.load(find_files([folder]))
    stores = datastore_count(imaging)

    again = loader.load(find_files([folder]))
    assert again.reused and again.document() | {"reused": False} == first.document()
    assert datastore_count(imaging) == stores
    jobs = imaging.list_dicom_import_jobs(datastoreId=first.datastore_id)["jobSummaries"]
    assert len(jobs) == 1

    shutil.copyfile(pydicom_file("rtdose.dcm"), folder / "mr.dcm")
    changed = loader.load(find_files([folder]))
    assert not changed.reused and changed.datastore_id != first.datastore_id
    assert changed.digest != first.digest


def test_a_recorded_set_whose_image_set_was_deleted_loads_again(
    emulator: Emulator, imaging: Any, s3: Any, tmp_path: Path
) -> None:
    folder = folder_of(tmp_path, {"ct.dcm": "CT_small.dcm"})
    loader = Loader(imaging, s3, records=MemoryLoadRecords())
    first = loader.load(find_files([folder]))
    imaging.delete_image_set(datastoreId=first.datastore_id, imageSetId=first.image_set_ids[0])
    again = loader.load(find_files([folder]))
    assert not again.reused and again.datastore_id != first.datastore_id


def test_the_state_file_keeps_a_load_across_restarts(tmp_path: Path) -> None:
    ct = pydicom_file("CT_small.dcm")
    config = config_for_tests(state=tmp_path / "state.sqlite")
    with running_emulator(ct, config=config) as first:
        loaded = first.loaded
        assert loaded is not None and not loaded.reused
        buckets = first.s3.list_buckets()["Buckets"]
    with running_emulator(ct, config=config) as second:
        assert second.loaded is not None and second.loaded.reused
        assert second.loaded.document() | {"reused": False} == loaded.document()
        assert second.s3.list_buckets()["Buckets"] == buckets  # nothing uploaded again
        summaries = second.imaging.list_datastores()["datastoreSummaries"]
        assert [summary["datastoreId"] for summary in summaries] == [loaded.datastore_id]
        [image_set] = loaded.image_set_ids
        dataset = dcmread(ct)
        held = instances_of(second.imaging, loaded.datastore_id, image_set)
        assert held == {dataset.SeriesInstanceUID: {dataset.SOPInstanceUID}}
    records = StateLoadRecords(tmp_path / "state.sqlite")
    assert records.find(loaded.digest) == loaded
    assert records.find("sha256:unknown") is None


@pytest.fixture()
def unreachable_s3_emulator() -> Iterator[tuple[Emulator, Any]]:
    """An emulator whose jobs' S3 is a closed port, and an S3 client of a real moto."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    emulator = Emulator(config_for_tests(s3_endpoint=closed)).start()
    try:
        yield emulator, S3Settings(f"http://{host}:{port}").client()
    finally:
        emulator.stop()
        moto.stop()


def test_an_import_job_that_fails_ends_the_load_with_its_message(
    unreachable_s3_emulator: tuple[Emulator, Any], tmp_path: Path
) -> None:
    emulator, s3 = unreachable_s3_emulator
    imaging = RunningEmulator(emulator).imaging
    folder = folder_of(tmp_path, {"ct.dcm": "CT_small.dcm"})
    with pytest.raises(LoadFailed, match=r"import job \w+ FAILED: Unable to write to the output"):
        Loader(imaging, s3, timeout=60).load(find_files([folder]))


# --- results ---------------------------------------------------------------------------


def result_of(*imported: tuple[str, str]) -> LoadResult:
    return LoadResult(
        datastore_id="d" * 32,
        datastore_name=f"{DATASTORE_PREFIX}0123456789abcdef",
        digest="sha256:" + "0" * 64,
        job_ids=("j" * 32,),
        imported=tuple(
            ImportedFile(name, image_set, True, "1.2.3", "1.2", "1") for name, image_set in imported
        ),
        refused=(RefusedFile("notes.txt", "Not a DICOM P10 file", "ValidationException"),),
    )


def test_a_result_reads_back_from_its_document() -> None:
    result = result_of(("scans/a.dcm", "a" * 32), ("scans/b.dcm", "b" * 32))
    document = json.loads(json.dumps(result.document()))
    assert LoadResult.from_document(document) == result
    assert document["imageSetIds"] == ["a" * 32, "b" * 32]
    assert document["refused"] == [
        {
            "file": "notes.txt",
            "reason": "Not a DICOM P10 file",
            "exceptionType": "ValidationException",
        }
    ]


def test_image_set_of_finds_a_file_by_name_path_or_last_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = result_of(
        ("scans/ct/a.dcm", "1" * 32), ("scans/mr/a.dcm", "2" * 32), ("scans/b.dcm", "3" * 32)
    )
    assert result.image_set_of("scans/ct/a.dcm") == "1" * 32
    assert result.image_set_of(tmp_path / "scans" / "mr" / "a.dcm") == "2" * 32
    assert result.image_set_of("b.dcm") == result.image_set_of("scans/b.dcm") == "3" * 32
    assert result.image_set_of("mr/a.dcm") == "2" * 32
    with pytest.raises(KeyError, match="2 imported files match"):
        result.image_set_of("a.dcm")
    with pytest.raises(KeyError, match="no imported file match"):
        result.image_set_of("notes.txt")
