"""A known input set for import jobs: real DICOM P10 files that pydicom ships,
and broken ones whose failure is known, each with the outcome an import must give.

pydicom's CT_small.dcm and MR_small.dcm are `reference` files: their image sets can be
verified against them (metadata values, frame pixels, checksums). MR_small's implicit
VR and big endian copies share its SOP Instance UID with other content (their transfer
syntax), so one import keeps each in an image set of its own: the first listed in the
series' primary set, the others in non-primary sets; each success line names the set
holding that file's instance.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydicom.data import get_testdata_file


def silence_pydicom_warnings() -> None:
    """Keep pydicom's warnings about the known set's deliberately invalid values out of
    the terminal: the harness reports what the target does with them."""
    warnings.filterwarnings("ignore", category=UserWarning, module=r"pydicom(\.|$)")


@dataclass(frozen=True)
class SampleFile:
    """One input object: where it goes below the input prefix, its bytes, what must happen."""

    key: str
    data: bytes
    importable: bool
    why: str
    reference: bool = False


def _test_file(name: str) -> bytes:
    path = get_testdata_file(name)
    if path is None:
        raise FileNotFoundError(f"pydicom ships no test file {name}")
    return Path(path).read_bytes()


REFERENCE_FILES = ("CT_small.dcm", "MR_small.dcm")
"""The good files whose image sets are verified against the file itself."""

_GOOD = {
    "study-ct/CT_small.dcm": "CT, explicit VR little endian",
    "study-mr/series-1/MR_small_implicit.dcm": "MR, implicit VR little endian",
    "study-mr/series-1/MR_small_bigendian.dcm": "MR, explicit VR big endian",
    "study-mr/series-2/MR_small.dcm": "MR, explicit VR little endian",
    "rt/rtdose.dcm": "RT dose, multi-frame",
    "compressed/JPEG2000.dcm": "JPEG 2000 compressed",
    "compressed/SC_rgb_rle.dcm": "RLE compressed RGB",
}
_BROKEN = {
    "broken/no_meta.dcm": ("no_meta.dcm", "no preamble, no DICM prefix, no file meta"),
    "broken/meta_missing_tsyntax.dcm": ("meta_missing_tsyntax.dcm", "no TransferSyntaxUID"),
    "broken/MR_truncated.dcm": ("MR_truncated.dcm", "pixel data cut short"),
    "broken/badVR.dcm": ("badVR.dcm", "an IS value that is not a number"),
    "broken/empty_charset_LEI.dcm": ("empty_charset_LEI.dcm", "no Study/Series/SOP UIDs"),
}


@cache
def sample_set() -> tuple[SampleFile, ...]:
    """The input set: good files in nested folders, broken ones, and non-DICOM objects."""
    files = [
        SampleFile(key, _test_file(Path(key).name), True, why, Path(key).name in REFERENCE_FILES)
        for key, why in _GOOD.items()
    ]
    files += [
        SampleFile(key, _test_file(source), False, why) for key, (source, why) in _BROKEN.items()
    ]
    ct = _test_file("CT_small.dcm")
    files += [
        SampleFile("broken/empty.dcm", b"", False, "an empty object"),
        SampleFile("broken/cut-in-header.dcm", ct[:100], False, "cut inside the preamble"),
        SampleFile("notes/readme.txt", b"not an image\n", False, "a text file"),
    ]
    return tuple(files)


def upload(s3_client: Any, bucket: str, prefix: str) -> list[SampleFile]:
    """Put the sample set under `s3://bucket/prefix`; returns what was written."""
    files = list(sample_set())
    for sample in files:
        s3_client.put_object(Bucket=bucket, Key=f"{prefix}{sample.key}", Body=sample.data)
    return files
