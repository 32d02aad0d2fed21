from __future__ import annotations

import struct
import warnings
import zlib
from pathlib import Path
from typing import Any

import imagecodecs
import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_frames
from pydicom.pixels.utils import pixel_array
from pydicom.uid import UID

from harness.imaging.frames import (
    HTJ2K_LOSSLESS,
    JPEG2000_LOSSLESS,
    STORED_AS_IS,
    Frame,
    UnsupportedSyntax,
    _Geometry,
    _plain_grey,
    checksum,
    content_type,
    decode_frame,
    encode_frame,
    frame_id,
    frames_of,
    stored_syntax,
)

FORMATS = [
    (None, HTJ2K_LOSSLESS),
    ("HTJ2K", HTJ2K_LOSSLESS),
    ("JPEG_2000_LOSSLESS", JPEG2000_LOSSLESS),
]

# Files pydicom decodes itself (native, deflated, RLE): grey 16-bit signed, big endian,
# implicit VR, RGB 8 and 16 bit in several frames, RGB planar, YBR_FULL_422, 32-bit
# multi-frame, 1-bit, palette indices.
PYDICOM_DECODED = [
    "CT_small.dcm",
    "MR_small.dcm",
    "MR_small_implicit.dcm",
    "MR_small_bigendian.dcm",
    "MR_small_RLE.dcm",
    "SC_rgb_rle_2frame.dcm",
    "SC_rgb_rle_16bit_2frame.dcm",
    "ExplVR_BigEnd.dcm",
    "SC_rgb_small_odd.dcm",
    "SC_ybr_full_422_uncompressed.dcm",
    "rtdose.dcm",
    "liver_1frame.dcm",
    "examples_palette.dcm",
    "image_dfl.dcm",
]


def _read(name: str) -> Dataset:
    path = get_testdata_file(name)
    assert path is not None, name
    return pydicom.dcmread(path)


def _reference_frames(ds: Dataset) -> list[bytes]:
    """pydicom's own decoding, frame by frame, as little-endian bytes."""
    array = ds.pixel_array
    count = int(ds.get("NumberOfFrames") or 1)
    frames = [array] if count == 1 else list(array)
    return [np.ascontiguousarray(f.astype(f.dtype.newbyteorder("<"))).tobytes() for f in frames]


def _decode(frame: Frame, syntax: str, ds: Dataset) -> bytes:
    return decode_frame(
        frame.encoded,
        syntax,
        frame.rows,
        frame.columns,
        frame.samples,
        frame.bits_allocated,
        frame.signed,
        ds.get("PhotometricInterpretation"),
        ds.get("BitsStored"),
    )


def _codestream(data: bytes) -> dict[str, Any]:
    """The main header markers of a JPEG 2000 codestream."""
    assert data[:2] == b"\xff\x4f", "not a J2K codestream (no SOC)"
    found: dict[str, Any] = {}
    at = 2
    while at < len(data):
        marker, length = struct.unpack(">HH", data[at : at + 4])
        body = data[at + 4 : at + 2 + length]
        if marker == 0xFF51:
            found["Rsiz"] = struct.unpack(">H", body[:2])[0]
        elif marker == 0xFF50:
            found["CAP"] = True
        elif marker == 0xFF52:
            found["progression"] = body[1]
            found["decompositions"] = body[5]
            found["reversible"] = body[9] == 1
        elif marker == 0xFF55:
            found["TLM"] = True
        elif marker == 0xFF90:
            break
        at += 2 + length
    return found


@pytest.mark.parametrize("name", PYDICOM_DECODED)
@pytest.mark.parametrize(("storage_format", "syntax"), FORMATS)
def test_every_frame_round_trips_bit_exactly(
    name: str, storage_format: str | None, syntax: str
) -> None:
    ds = _read(name)
    frames = frames_of(ds, storage_format)
    reference = _reference_frames(ds)
    assert [f.index for f in frames] == list(range(len(reference)))
    for frame, expected in zip(frames, reference, strict=True):
        assert frame.pixels == expected
        assert _decode(frame, syntax, ds) == expected
        assert frame.checksum == zlib.crc32(expected)
        assert frame.size == len(expected)


@pytest.mark.parametrize(("storage_format", "syntax"), FORMATS)
def test_stored_bytes_are_the_chosen_codestream(storage_format: str | None, syntax: str) -> None:
    ds = _read("CT_small.dcm")
    (frame,) = frames_of(ds, storage_format)
    header = _codestream(frame.encoded)
    assert header["reversible"]
    if syntax == HTJ2K_LOSSLESS:
        # HTJ2K (Rsiz bit 14, CAP) with the RPCL options of PS3.5 10.18.
        assert header["Rsiz"] & 0x4000
        assert header.get("CAP")
        assert header["progression"] == 2  # RPCL
        assert header.get("TLM")
        assert max(frame.rows, frame.columns) / 2 ** header["decompositions"] <= 64
    else:
        assert not header["Rsiz"] & 0x4000
        assert not header.get("CAP")
        assert imagecodecs.jpeg2k_check(frame.encoded)


def test_htj2k_decompositions_reach_a_64_pixel_base() -> None:
    big = np.zeros((4096, 80), np.uint16)
    header = _codestream(encode_frame(big, HTJ2K_LOSSLESS))
    assert 4096 / 2 ** header["decompositions"] <= 64


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32])
@pytest.mark.parametrize("syntax", [HTJ2K_LOSSLESS, JPEG2000_LOSSLESS])
@pytest.mark.parametrize("samples", [1, 3])
def test_codecs_are_lossless_over_the_whole_range(dtype: Any, syntax: str, samples: int) -> None:
    info = np.iinfo(dtype)
    low, high = int(info.min), int(info.max)
    if syntax == JPEG2000_LOSSLESS and info.bits == 32:
        low, high = max(low, -(2**23)), min(high, 2**23 - 1)  # OpenJPEG's bit-exact range
    rng = np.random.default_rng(7)
    shape = (37, 53) if samples == 1 else (37, 53, 3)
    pixels = rng.integers(low, high, size=shape, endpoint=True, dtype=np.int64).astype(dtype)
    pixels.flat[:2] = [low, high]
    encoded = encode_frame(pixels, syntax)
    decoded = decode_frame(encoded, syntax, 37, 53, samples, info.bits, info.kind == "i")
    assert decoded == pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()


def test_jpeg2000_refuses_samples_it_cannot_keep() -> None:
    pixels = np.array([[0, 2**31]], dtype=np.uint32)
    with pytest.raises(UnsupportedSyntax):
        encode_frame(pixels, JPEG2000_LOSSLESS)


@pytest.mark.parametrize(
    "name", ["MR_small_RLE.dcm", "MR_small_jp2klossless.dcm", "MR_small_jpeg_ls_lossless.dcm"]
)
def test_compressed_sources_decode_to_the_native_pixels(name: str) -> None:
    # The same MR image, losslessly compressed three ways: each must give MR_small's pixels.
    (expected,) = _reference_frames(_read("MR_small.dcm"))
    ds = _read(name)
    (frame,) = frames_of(ds)
    assert frame.pixels == expected
    assert frame.checksum == zlib.crc32(expected)
    assert _decode(frame, HTJ2K_LOSSLESS, ds) == expected


def test_jpeg_lossless_source_is_transcoded() -> None:
    source = _read("MR_small.dcm")
    pixels = source.pixel_array
    ds = _dataset_like(source, "1.2.840.10008.1.2.4.70")
    jpeg = imagecodecs.jpeg8_encode(pixels.view(np.uint16), lossless=True, predictor=1)
    ds.PixelData = encapsulate([bytes(jpeg)])
    (frame,) = frames_of(ds)
    assert frame.pixels == pixels.astype("<i2").tobytes()
    assert _codestream(frame.encoded)["Rsiz"] & 0x4000


def test_j2k_signedness_mismatch_is_corrected_like_pydicom() -> None:
    # Pixel Representation 1, Bits Stored 13, unsigned J2K codestream (pydicom issue 1149).
    ds = _read("J2K_pixelrep_mismatch.dcm")
    (frame,) = frames_of(ds)
    raw = imagecodecs.jpeg2k_decode(next(generate_frames(ds.PixelData, number_of_frames=1)))
    assert raw.dtype == np.uint16
    expected = np.where(raw >= 4096, raw.astype(np.int32) - 8192, raw).astype("<i2")
    assert frame.pixels == expected.tobytes()
    assert frame.min is not None and frame.min < 0


@pytest.mark.parametrize(
    "name",
    ["SC_rgb_jpeg_dcmtk.dcm", "examples_ybr_color.dcm", "JPEG2000.dcm", "693_J2KI.dcm"],
)
def test_as_is_syntaxes_keep_the_file_frame_bytes(name: str) -> None:
    ds = _read(name)
    syntax = str(ds.file_meta.TransferSyntaxUID)
    assert syntax in STORED_AS_IS
    count = int(ds.get("NumberOfFrames") or 1)
    originals = list(generate_frames(ds.PixelData, number_of_frames=count))
    for storage_format, _ in FORMATS:
        frames = frames_of(ds, storage_format)
        assert [f.encoded for f in frames] == originals
        for frame in frames:
            assert frame.checksum == checksum(_decode(frame, syntax, ds))
            assert len(frame.pixels) == frame.size


def test_jpeg_baseline_is_decoded_to_rgb_close_to_the_lossless_original() -> None:
    (lossless,) = _reference_frames(_read("SC_rgb_rle.dcm"))
    (frame,) = frames_of(_read("SC_rgb_jpeg_dcmtk.dcm"))  # YBR_FULL JPEG of the same bars
    original = np.frombuffer(lossless, np.uint8).astype(int)
    decoded = np.frombuffer(frame.pixels, np.uint8).astype(int)
    assert np.abs(original - decoded).mean() < 2


def test_rgb_jpeg_without_colour_transform_follows_photometric_interpretation() -> None:
    # The same RGB tile encoded twice, with and without an APP14 marker: libjpeg alone reads
    # the marker-less one as YCbCr (a mean error near 48 against the other).
    (with_marker,) = frames_of(_read("SC_jpeg_no_color_transform_2.dcm"))
    (without_marker,) = frames_of(_read("SC_jpeg_no_color_transform.dcm"))
    reference = np.frombuffer(with_marker.pixels, np.uint8).astype(int)
    decoded = np.frombuffer(without_marker.pixels, np.uint8).astype(int)
    assert np.abs(reference - decoded).mean() < 5


def test_video_is_one_undecoded_frame() -> None:
    source = _read("SC_rgb_small_odd.dcm")
    ds = _dataset_like(source, "1.2.840.10008.1.2.4.102")
    ds.NumberOfFrames = 3
    ds.PixelData = encapsulate([b"\x00\x00\x00\x01video-", b"stream"], has_bot=False)
    (frame,) = frames_of(ds, "JPEG_2000_LOSSLESS")
    assert frame.encoded == b"\x00\x00\x00\x01video-stream"
    assert (frame.checksum, frame.min, frame.max, frame.pixels) == (None, None, None, b"")
    assert stored_syntax("1.2.840.10008.1.2.4.102", None) == "1.2.840.10008.1.2.4.102"


def test_no_pixel_data_no_frames() -> None:
    assert frames_of(_read("rtplan.dcm")) == []


def test_unknown_syntax_is_refused() -> None:
    ds = _dataset_like(_read("MR_small.dcm"), "1.2.840.10008.1.2.4.999")
    ds.PixelData = encapsulate([b"\x00\x01"])
    with pytest.raises(UnsupportedSyntax):
        frames_of(ds)


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("1.2.840.10008.1.2.1", "application/octet-stream"),
        ("1.2.840.10008.1.2.4.50", "image/jpeg"),
        ("1.2.840.10008.1.2.4.91", "image/j2c"),
        ("1.2.840.10008.1.2.4.90", "image/j2c"),
        ("1.2.840.10008.1.2.4.202", "image/jph"),
        (None, "image/jph"),
        ("1.2.840.10008.1.2.4.203", "image/jphc"),
        ("1.2.840.10008.1.2.4.112", "image/jxl"),
        ("1.2.840.10008.1.2.4.100", "video/mpeg"),
        ("1.2.840.10008.1.2.4.101", "video/mpeg"),
        ("1.2.840.10008.1.2.4.102", "video/mp4"),
        ("1.2.840.10008.1.2.4.106", "video/mp4"),
        ("1.2.840.10008.1.2.4.107", "video/H256"),
        ("1.2.840.10008.1.2.4.108", "video/H256"),
    ],
)
def test_content_types(stored: str | None, expected: str) -> None:
    assert content_type(stored) == expected


def test_content_type_of_an_unstored_syntax_is_an_error() -> None:
    with pytest.raises(UnsupportedSyntax):
        content_type("1.2.840.10008.1.2.5")


@pytest.mark.parametrize(
    "original",
    [
        "1.2.840.10008.1.2.4.50",
        "1.2.840.10008.1.2.4.91",
        "1.2.840.10008.1.2.4.203",
        *(f"1.2.840.10008.1.2.4.{n}" for n in range(100, 109)),
    ],
)
def test_as_is_syntaxes_are_kept_whatever_the_format(original: str) -> None:
    for storage_format, _ in FORMATS:
        assert stored_syntax(original, storage_format) == original


@pytest.mark.parametrize(
    "original",
    [
        "1.2.840.10008.1.2",
        "1.2.840.10008.1.2.1",
        "1.2.840.10008.1.2.2",
        "1.2.840.10008.1.2.5",
        "1.2.840.10008.1.2.4.57",
        "1.2.840.10008.1.2.4.70",
        "1.2.840.10008.1.2.4.80",
        "1.2.840.10008.1.2.4.90",
        "1.2.840.10008.1.2.4.201",
        "1.2.840.10008.1.2.4.202",
    ],
)
def test_other_syntaxes_follow_the_storage_format(original: str) -> None:
    for storage_format, syntax in FORMATS:
        assert stored_syntax(original, storage_format) == syntax


def test_unknown_storage_format_is_an_error() -> None:
    with pytest.raises(ValueError):
        stored_syntax("1.2.840.10008.1.2.1", "PNG")


def test_checksum_is_unsigned_crc32() -> None:
    assert checksum(b"123456789") == 0xCBF43926
    assert checksum(b"") == 0


def test_frame_ids_are_deterministic_hex_and_distinct() -> None:
    first = frame_id("set", "1.2.3", 0)
    assert len(first) == 32 and all(c in "0123456789abcdef" for c in first)
    assert frame_id("set", "1.2.3", 0) == first
    assert len({first, frame_id("set", "1.2.3", 1), frame_id("other", "1.2.3", 0)}) == 3


def _dataset_like(source: Dataset, syntax: str) -> Dataset:
    ds = Dataset()
    for keyword in (
        "SOPClassUID",
        "SOPInstanceUID",
        "Rows",
        "Columns",
        "SamplesPerPixel",
        "BitsAllocated",
        "BitsStored",
        "HighBit",
        "PixelRepresentation",
        "PhotometricInterpretation",
        "PlanarConfiguration",
    ):
        if keyword in source:
            setattr(ds, keyword, source.data_element(keyword).value)  # type: ignore[union-attr]
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = UID(syntax)
    return ds


def _plain_grey_test_files() -> list[Path]:
    """pydicom's test files whose frames `frames_of` reads straight from Pixel Data."""
    found = []
    folder = Path(pydicom.__file__).parent / "data" / "test_files"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for path in sorted(path for path in folder.rglob("*") if path.is_file()):
            try:
                ds = pydicom.dcmread(path, force=True)
                count = int(ds.get("NumberOfFrames") or 1)
                syntax = str(ds.file_meta.TransferSyntaxUID)
                if "PixelData" in ds and _plain_grey(ds, syntax, _Geometry.of(ds), count):
                    found.append(path)
            except Exception:  # not a file this test is about
                continue
    return found


def test_plain_grey_frames_are_pydicoms_decoding() -> None:
    paths = _plain_grey_test_files()
    assert len(paths) > 20 and any("rtdose" in path.name for path in paths)
    for path in paths:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path)
            geometry = _Geometry.of(ds)
            for frame in frames_of(ds):
                expected = geometry.conform(pixel_array(ds, index=frame.index))
                assert frame.pixels == expected.tobytes(), path.name
                assert frame.checksum == zlib.crc32(expected.tobytes())
