from __future__ import annotations

import io
from pathlib import Path

import pytest
from pydicom import dcmread
from pydicom.data import get_testdata_file

from harness.emulator.imports.dicom_acceptance import Accepted, Rejected, inspect_p10
from harness.imaging.known_set import SampleFile, sample_set


@pytest.mark.parametrize("sample", sample_set(), ids=lambda sample: sample.key)
def test_each_sample_gets_its_known_outcome(sample: SampleFile) -> None:
    verdict = inspect_p10(io.BytesIO(sample.data))
    assert isinstance(verdict, Accepted) is sample.importable, verdict


def test_accepted_files_carry_their_uids() -> None:
    ct = next(s for s in sample_set() if s.key.endswith("CT_small.dcm"))
    verdict = inspect_p10(io.BytesIO(ct.data))
    assert isinstance(verdict, Accepted)
    assert verdict.sop_instance_uid.startswith("1.3.6.1.4.1.5962")
    assert verdict.study_instance_uid and verdict.series_instance_uid


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("meta_missing_tsyntax.dcm", "DICOM attribute TransferSyntaxUID does not exist"),
        ("empty_charset_LEI.dcm", "DICOM attribute StudyInstanceUID does not exist"),
        ("MR_truncated.dcm", "DICOM pixel data is truncated: 8130 bytes, expected 8192"),
        ("badVR.dcm", "DICOM attribute NumberOfFrames is invalid: '1A'"),
        ("no_meta.dcm", "Not a DICOM P10 file"),
    ],
)
def test_rejections_say_why(name: str, message: str) -> None:
    sample = next(s for s in sample_set() if s.key.endswith(name))
    verdict = inspect_p10(io.BytesIO(sample.data))
    assert isinstance(verdict, Rejected)
    assert verdict.message.startswith(message)


def test_a_file_cut_after_the_prefix_is_unreadable() -> None:
    ct = next(s for s in sample_set() if s.key.endswith("CT_small.dcm"))
    verdict = inspect_p10(io.BytesIO(ct.data[:140]))
    assert isinstance(verdict, Rejected)


def test_native_ybr_full_422_holds_two_samples_a_pixel() -> None:
    path = get_testdata_file("SC_ybr_full_422_uncompressed.dcm")
    assert path is not None
    ds = dcmread(path)
    assert isinstance(inspect_p10(io.BytesIO(Path(path).read_bytes())), Accepted)
    ds.PixelData = ds.PixelData[:-2]
    out = io.BytesIO()
    ds.save_as(out)
    out.seek(0)
    verdict = inspect_p10(out)
    assert isinstance(verdict, Rejected)
    assert verdict.message == "DICOM pixel data is truncated: 19998 bytes, expected 20000"
