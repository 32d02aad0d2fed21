"""One input file of an import, from its bytes to a prepared instance: accept, encode
frames, describe, and say what makes two files identical.

Pure work on one file, run on the import's file threads or its preparation processes
(see `preparation`); nothing here reads S3 or touches the store. A file that cannot be
stored (its pixel data does not decode, or its syntax is one the harness cannot store) is
rejected like any other invalid file.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import dataclass
from typing import IO, Any

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID

from harness.emulator.imagesets.documents import dicom_tags, series_of
from harness.emulator.imports.dicom_acceptance import (
    Accepted,
    Rejected,
    inspect_p10,
    invalid_value,
)
from harness.imaging.frames import IMPLICIT_VR_LITTLE_ENDIAN, frames_of, stored_syntax
from harness.imaging.metadata import metadata_document

PLACEHOLDER_ID = "0" * 32
SEPARATORS = (",", ":")


@dataclass
class PreparedInstance:
    """One file, read and encoded, ready to join an image set.

    `document` is the file's own one-instance metadata document; `frames` the stored
    bytes of its frames in index order, in `stored_syntax`; `entry_json` the instance's
    entry as JSON (with the file's own frame IDs); `digest` what makes two files identical
    (see `grouping`): a digest of their Patient, Study, Series and instance metadata and
    their stored frames.
    """

    key: str
    sop_instance_uid: str
    series_instance_uid: str
    document: dict[str, Any]
    stored_syntax: str
    frames: list[bytes]
    entry_json: str
    digest: bytes

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
    source: IO[bytes],
    key: str,
    datastore_id: str,
    lossless_storage_format: str | None,
    *,
    accept_broken: bool = False,
) -> PreparedInstance | Rejected:
    """Prepare the file `key` (its bytes in `source`, at the start) for its image set, or
    say why it cannot be."""
    verdict = inspect_p10(source, check_values=False)  # type: ignore[arg-type]
    if isinstance(verdict, Rejected) and accept_broken:
        verdict = Accepted(f"2.25.{len(key)}", "2.25.1", _stub_uid(key), _stub(key))
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
    series_uid = str(dataset.get("SeriesInstanceUID", ""))
    stored = [frame.encoded for frame in frames]
    entry, digest = _identity(document, series_uid, verdict.sop_instance_uid, stored)
    return PreparedInstance(
        key=key,
        sop_instance_uid=verdict.sop_instance_uid,
        series_instance_uid=series_uid,
        document=document,
        stored_syntax=target,
        frames=stored,
        entry_json=entry,
        digest=digest,
    )


def _identity(
    document: dict[str, Any], series_uid: str, sop_instance_uid: str, frames: list[bytes]
) -> tuple[str, bytes]:
    """The instance's entry as JSON, and the digest of its Patient, Study, Series and
    instance metadata and its stored frames."""
    series = series_of(document)[series_uid]
    entry = json.dumps(series["Instances"][sop_instance_uid], separators=SEPARATORS)
    upper = [document.get("Patient"), document.get("Study", {}).get("DICOM"), series.get("DICOM")]
    digest = hashlib.blake2b(json.dumps(upper, separators=SEPARATORS).encode(), digest_size=20)
    digest.update(entry.encode())
    for data in frames:
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return entry, digest.digest()


def _stub(key: str) -> Dataset:
    """The dataset a broken file is imagined to hold (fault `broken-files-imported`)."""
    dataset = Dataset()
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = UID(IMPLICIT_VR_LITTLE_ENDIAN)
    dataset.StudyInstanceUID = f"2.25.{len(key)}"
    dataset.SeriesInstanceUID = "2.25.1"
    dataset.SOPInstanceUID = _stub_uid(key)
    return dataset


def _stub_uid(key: str) -> str:
    """A SOP Instance UID for a broken file, the same for its key in every process."""
    return f"2.25.{int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), 'big')}"
