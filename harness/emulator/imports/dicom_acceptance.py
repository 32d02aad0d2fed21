"""Decide whether one object is a DICOM P10 file the import can accept.

The checks, in order: the 128-byte preamble and `DICM` prefix; a readable file
meta group with a TransferSyntaxUID; the Study, Series and SOP Instance UIDs
that organise instances into image sets; every element's value decodes; native
(uncompressed) pixel data is as long as its Rows, Columns, samples, bits and
frames say (native YBR_FULL_422 holds two samples a pixel, as PS3.3 C.7.6.3.1.2 and
pydicom have it). Failure messages follow the documented example ("DICOM attribute
TransferSyntaxUID does not exist").
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import BinaryIO

import pydicom
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID

REQUIRED_UIDS = ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID")
PREAMBLE_LENGTH = 128


@dataclass(frozen=True)
class Accepted:
    """A file that imports: the UIDs that place it, and the dataset as read."""

    study_instance_uid: str
    series_instance_uid: str
    sop_instance_uid: str
    dataset: pydicom.Dataset | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Rejected:
    """A file that does not import, and why."""

    message: str


def invalid_value(dataset: pydicom.Dataset) -> Rejected | None:
    """The first element whose value does not decode, as a rejection; None when all do."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for element in dataset.iterall():
            try:
                _ = element.value
            except (ValueError, TypeError, OverflowError) as error:
                return Rejected(
                    f"DICOM attribute {element.keyword or element.tag} is invalid: {error}"
                )
    return None


def inspect_p10(stream: BinaryIO, check_values: bool = True) -> Accepted | Rejected:
    """Inspect a seekable binary stream positioned at the start of the object.

    With `check_values` off, element values are left for the caller to decode (the
    import decodes them all while building the metadata, and asks `invalid_value`
    which one failed when that goes wrong).
    """
    head = stream.read(PREAMBLE_LENGTH + 4)
    if len(head) < PREAMBLE_LENGTH + 4 or head[PREAMBLE_LENGTH:] != b"DICM":
        return Rejected("Not a DICOM P10 file: no 128-byte preamble followed by 'DICM'")
    stream.seek(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            dataset = pydicom.dcmread(stream)
        except (InvalidDicomError, EOFError, ValueError, KeyError, OSError) as error:
            return Rejected(f"Unreadable DICOM P10 file: {error}")
        meta = dataset.file_meta
        if "TransferSyntaxUID" not in meta or not meta.TransferSyntaxUID:
            return Rejected("DICOM attribute TransferSyntaxUID does not exist")
        for keyword in REQUIRED_UIDS:
            if not dataset.get(keyword):
                return Rejected(f"DICOM attribute {keyword} does not exist")
        invalid = invalid_value(dataset) if check_values else None
        if invalid is not None:
            return invalid
        truncation = _pixel_data_truncation(dataset, UID(meta.TransferSyntaxUID))
        if truncation:
            return Rejected(truncation)
        return Accepted(
            str(dataset.StudyInstanceUID),
            str(dataset.SeriesInstanceUID),
            str(dataset.SOPInstanceUID),
            dataset,
        )


def _integer(dataset: pydicom.Dataset, keyword: str, default: int | None = None) -> int:
    value = dataset.get(keyword)
    if value in (None, ""):
        if default is None:
            raise _BadAttribute(f"DICOM attribute {keyword} does not exist")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _BadAttribute(f"DICOM attribute {keyword} is invalid: {value!r}") from None


class _BadAttribute(Exception):
    """An attribute the pixel data check needs is missing or not a number."""


def _pixel_data_truncation(dataset: pydicom.Dataset, syntax: UID) -> str | None:
    if "PixelData" not in dataset or syntax.is_compressed:
        return None
    try:
        samples = _integer(dataset, "SamplesPerPixel", 1)
        bits = (
            _integer(dataset, "Rows")
            * _integer(dataset, "Columns")
            * _integer(dataset, "BitsAllocated")
            * _integer(dataset, "NumberOfFrames", 1)
        )
    except _BadAttribute as error:
        return str(error)
    photometric = str(dataset.get("PhotometricInterpretation") or "").strip()
    if samples == 3 and photometric == "YBR_FULL_422":
        bits *= 2  # two chroma samples shared by each pair of pixels (PS3.3 C.7.6.3.1.2)
    else:
        bits *= samples
    expected = (bits + 7) // 8
    actual = len(dataset.PixelData)
    if actual < expected:
        return f"DICOM pixel data is truncated: {actual} bytes, expected {expected}"
    return None
