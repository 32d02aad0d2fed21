"""One input file of an import, from S3 to a prepared instance: fetch, accept, encode
frames, describe.

Runs on the import's file threads; nothing here touches the store. A file that
cannot be stored (its pixel data does not decode, or its syntax is one the harness
cannot store) is rejected like any other invalid file.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID

from harness.emulator.imagesets.documents import dicom_tags, series_of
from harness.emulator.imports.dicom_acceptance import (
    Accepted,
    Rejected,
    inspect_p10,
    invalid_value,
)
from harness.emulator.storage.s3 import ObjectReader, S3ReadError
from harness.imaging.frames import IMPLICIT_VR_LITTLE_ENDIAN, frames_of, stored_syntax
from harness.imaging.metadata import metadata_document

PLACEHOLDER_ID = "0" * 32


@dataclass
class PreparedInstance:
    """One file, read and encoded, ready to join an image set.

    `document` is the file's own one-instance metadata document; `frames` the stored
    bytes of its frames in index order, in `stored_syntax`.
    """

    key: str
    sop_instance_uid: str
    series_instance_uid: str
    document: dict[str, Any]
    stored_syntax: str
    frames: list[bytes]

    @property
    def tags(self) -> dict[str, Any]:
        return dicom_tags(self.document)

    def entry(self) -> dict[str, Any]:
        instances: dict[str, Any] = series_of(self.document)[self.series_instance_uid]["Instances"]
        entry: dict[str, Any] = instances[self.sop_instance_uid]
        return entry


@dataclass(frozen=True)
class Unreadable:
    """The object could not be read from S3 (a server-side failure of that file)."""

    message: str


Outcome = PreparedInstance | Rejected | Unreadable


def prepare(
    s3: ObjectReader,
    bucket: str,
    key: str,
    datastore_id: str,
    lossless_storage_format: str | None,
    *,
    accept_broken: bool = False,
) -> Outcome:
    """Read `s3://bucket/key` and prepare it for its image set, or say why it cannot be."""
    try:
        source = s3.open(bucket, key)
    except S3ReadError as error:
        return Unreadable(f"Unable to read: {error}")
    with source:
        verdict = inspect_p10(source, check_values=False)  # type: ignore[arg-type]
    if isinstance(verdict, Rejected) and accept_broken:
        verdict = Accepted(f"2.25.{len(key)}", "2.25.1", f"2.25.{abs(hash(key))}", _stub(key))
    if isinstance(verdict, Rejected):
        return verdict
    dataset = verdict.dataset
    assert dataset is not None
    try:
        return _prepared(key, verdict, dataset, datastore_id, lossless_storage_format)
    except Exception as error:  # a codec or an odd value: the file cannot be stored
        return invalid_value(dataset) or Rejected(
            f"DICOM pixel data cannot be stored: {type(error).__name__}: {error}"
        )


def _prepared(
    key: str,
    verdict: Accepted,
    dataset: Dataset,
    datastore_id: str,
    lossless_storage_format: str | None,
) -> PreparedInstance:
    original = str(dataset.file_meta.TransferSyntaxUID)
    target = stored_syntax(original, lossless_storage_format)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frames = frames_of(dataset, lossless_storage_format)
        document = metadata_document(datastore_id, PLACEHOLDER_ID, [(dataset, frames, target)])
    return PreparedInstance(
        key=key,
        sop_instance_uid=verdict.sop_instance_uid,
        series_instance_uid=str(dataset.get("SeriesInstanceUID", "")),
        document=document,
        stored_syntax=target,
        frames=[frame.encoded for frame in frames],
    )


def _stub(key: str) -> Dataset:
    """The dataset a broken file is imagined to hold (fault `broken-files-imported`)."""
    dataset = Dataset()
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = UID(IMPLICIT_VR_LITTLE_ENDIAN)
    dataset.StudyInstanceUID = f"2.25.{len(key)}"
    dataset.SeriesInstanceUID = "2.25.1"
    dataset.SOPInstanceUID = f"2.25.{abs(hash(key))}"
    return dataset
