"""Image frames as AWS HealthImaging stores them: which syntax, which bytes, which checksum.

Sources:
- Developer guide, "Supported transfer syntaxes": JPEG baseline (1.2.840.10008.1.2.4.50),
  JPEG 2000 (.4.91), HTJ2K (.4.203) and the MPEG2/H.264/HEVC syntaxes keep their encoding on
  import; every other syntax is decoded and re-encoded losslessly, as HTJ2K lossless RPCL
  (.4.202) by default or as JPEG 2000 lossless (.4.90) when the data store's
  `losslessStorageFormat` is `JPEG_2000_LOSSLESS` (the model's other value is `HTJ2K`). A
  missing or null `StoredTransferSyntaxUID` means .4.202.
- DICOM PS3.5 section 10.18: a .4.202 codestream uses the RPCL progression order, enough
  decompositions for the base resolution to be at most 64 wide and high, and TLM markers.
- The model's GetImageFrameResponse documentation: the content type per stored syntax.
- AWS's Python sample for pixel data verification: the frame checksum is `zlib.crc32` over the
  decoded full-resolution frame buffer (the JS sample's `crc-32 >>> 0` is the same value).

Decisions of the harness where those sources are silent:
- The decoded buffer is what pydicom's `pixel_array` gives for one frame: little-endian,
  native bit depth (1-bit data unpacked to one byte a pixel), samples interleaved, and YCbCr
  colour (YBR_FULL, YBR_FULL_422) converted to RGB as pydicom does by default.
- Native, deflated and RLE pixel data are decoded by pydicom (native little-endian grey
  frames whose samples fill their bits are read straight from Pixel Data, the buffer
  pydicom gives for them). Other encapsulated syntaxes (JPEG, JPEG-LS, JPEG 2000, HTJ2K,
  JPEG XL) are decoded by imagecodecs (libjpeg-turbo, CharLS, OpenJPEG, OpenJPH, libjxl)
  from the file's own frame bytes, so the result does not depend on which pydicom plugins
  happen to be installed. For a syntax stored as-is the checksum is over that decoding of
  the stored bytes, so for every frame `checksum == crc32(decode_frame(encoded,
  stored_syntax, ...))`.
- Three-component JPEG (.4.50, .4.51) is read as RGB or YCbCr from Photometric
  Interpretation, not from libjpeg's guess, and libjpeg-turbo converts YCbCr to RGB (pydicom
  plugins that convert in numpy may differ by 1 in some samples). A grey J2K or JPEG-LS
  codestream whose signedness differs from Pixel Representation is reinterpreted from its
  Bits Stored low bits, as pydicom's sign correction does.
- Explicit VR little endian (binary segmentation included) is transcoded like the others.
- Stored bytes are bare codestreams (J2C), without JP2/JPH file boxes.
- JPEG 2000 lossless storage refuses samples of more than 24 significant bits, which
  OpenJPEG does not keep bit-exactly; HTJ2K keeps 32-bit samples.
- Video syntaxes are not decoded: an instance has one frame holding the whole video stream,
  with no checksum and no minimum or maximum.
- `image/j2c` for JPEG 2000 lossless (.4.90), which the model's list leaves out: it is a JPEG
  2000 codestream like .4.91's.
- Frame IDs are derived, not random: see `frame_id`.
"""

from __future__ import annotations

import hashlib
import math
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import imagecodecs
import numpy as np
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.encaps import generate_frames
from pydicom.pixels.utils import pixel_array

IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99"
EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2"
RLE_LOSSLESS = "1.2.840.10008.1.2.5"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_EXTENDED = "1.2.840.10008.1.2.4.51"
JPEG_LOSSLESS = "1.2.840.10008.1.2.4.57"
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"
JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"
JPEG_LS_NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81"
JPEG2000_LOSSLESS = "1.2.840.10008.1.2.4.90"
JPEG2000 = "1.2.840.10008.1.2.4.91"
HTJ2K_LOSSLESS_ONLY = "1.2.840.10008.1.2.4.201"
HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.202"
"""HTJ2K with RPCL Options, lossless only: the default storage syntax."""
HTJ2K = "1.2.840.10008.1.2.4.203"
JPEG_XL_LOSSLESS = "1.2.840.10008.1.2.4.110"
JPEG_XL_JPEG_RECOMPRESSION = "1.2.840.10008.1.2.4.111"
JPEG_XL = "1.2.840.10008.1.2.4.112"

MPEG2_SYNTAXES = frozenset(
    {
        "1.2.840.10008.1.2.4.100",
        "1.2.840.10008.1.2.4.100.1",
        "1.2.840.10008.1.2.4.101",
        "1.2.840.10008.1.2.4.101.1",
    }
)
"""MPEG2 Main Profile at Main and High Level; the `.1` fragmentable variants are a harness
addition (same codec, same content type)."""
H264_SYNTAXES = frozenset(
    {
        "1.2.840.10008.1.2.4.102",
        "1.2.840.10008.1.2.4.102.1",
        "1.2.840.10008.1.2.4.103",
        "1.2.840.10008.1.2.4.103.1",
        "1.2.840.10008.1.2.4.104",
        "1.2.840.10008.1.2.4.104.1",
        "1.2.840.10008.1.2.4.105",
        "1.2.840.10008.1.2.4.105.1",
        "1.2.840.10008.1.2.4.106",
        "1.2.840.10008.1.2.4.106.1",
    }
)
"""MPEG-4 AVC/H.264 syntaxes (with their fragmentable `.1` variants)."""
HEVC_SYNTAXES = frozenset({"1.2.840.10008.1.2.4.107", "1.2.840.10008.1.2.4.108"})
"""HEVC/H.265 Main and Main 10 Profile syntaxes."""
VIDEO_SYNTAXES = MPEG2_SYNTAXES | H264_SYNTAXES | HEVC_SYNTAXES

STORED_AS_IS = frozenset({JPEG_BASELINE, JPEG2000, HTJ2K}) | VIDEO_SYNTAXES
"""Syntaxes whose frames import keeps byte for byte ("Supported transfer syntaxes")."""

LOSSLESS_STORAGE_FORMATS = {"HTJ2K": HTJ2K_LOSSLESS, "JPEG_2000_LOSSLESS": JPEG2000_LOSSLESS}
"""The data store's `losslessStorageFormat` values and the syntax each transcodes to."""

CONTENT_TYPES = {
    EXPLICIT_VR_LITTLE_ENDIAN: "application/octet-stream",
    JPEG_BASELINE: "image/jpeg",
    JPEG2000: "image/j2c",
    JPEG2000_LOSSLESS: "image/j2c",
    HTJ2K_LOSSLESS: "image/jph",
    HTJ2K: "image/jphc",
    JPEG_XL: "image/jxl",
    **dict.fromkeys(MPEG2_SYNTAXES, "video/mpeg"),
    **dict.fromkeys(H264_SYNTAXES, "video/mp4"),
    **dict.fromkeys(HEVC_SYNTAXES, "video/H256"),
}
"""GetImageFrame content type per stored syntax (the model's doc; `video/H256` sic; .4.90 is
the harness's choice)."""

_NATIVE = frozenset(
    {
        IMPLICIT_VR_LITTLE_ENDIAN,
        EXPLICIT_VR_LITTLE_ENDIAN,
        DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
        EXPLICIT_VR_BIG_ENDIAN,
    }
)
_DECODED_BY_PYDICOM = _NATIVE | {RLE_LOSSLESS}

_JPEG_DCT = frozenset({JPEG_BASELINE, JPEG_EXTENDED})
_Decoder = Callable[[bytes], NDArray[Any]]
_CODECS: dict[str, _Decoder] = {
    JPEG_BASELINE: imagecodecs.jpeg8_decode,
    JPEG_EXTENDED: imagecodecs.jpeg8_decode,
    JPEG_LOSSLESS: imagecodecs.ljpeg_decode,
    JPEG_LOSSLESS_SV1: imagecodecs.ljpeg_decode,
    JPEG_LS_LOSSLESS: imagecodecs.jpegls_decode,
    JPEG_LS_NEAR_LOSSLESS: imagecodecs.jpegls_decode,
    JPEG2000_LOSSLESS: imagecodecs.jpeg2k_decode,
    JPEG2000: imagecodecs.jpeg2k_decode,
    HTJ2K_LOSSLESS_ONLY: imagecodecs.htj2k_decode,
    HTJ2K_LOSSLESS: imagecodecs.htj2k_decode,
    HTJ2K: imagecodecs.htj2k_decode,
    JPEG_XL_LOSSLESS: imagecodecs.jpegxl_decode,
    JPEG_XL_JPEG_RECOMPRESSION: imagecodecs.jpegxl_decode,
    JPEG_XL: imagecodecs.jpegxl_decode,
}

_J2K_MAX_PRECISION = 24
"""OpenJPEG's reversible path is bit-exact up to 24-bit samples (measured with imagecodecs)."""


class UnsupportedSyntax(ValueError):
    """The harness cannot decode or store frames of this transfer syntax."""


@dataclass(frozen=True)
class Frame:
    """One image frame: its decoded buffer, its stored bytes and the figures the metadata
    document carries for it. `pixels`, `checksum`, `min` and `max` are empty for video."""

    index: int
    rows: int
    columns: int
    samples: int
    bits_allocated: int
    signed: bool
    pixels: bytes
    encoded: bytes
    checksum: int | None
    min: int | None
    max: int | None
    size: int


def checksum(pixels: bytes) -> int:
    """The frame checksum: `zlib.crc32` of the decoded frame buffer (unsigned 32-bit)."""
    return zlib.crc32(pixels)


def frame_id(image_set_id: str, sop_instance_uid: str, index: int) -> str:
    """A frame ID: 32 lowercase hex digits, BLAKE2b-128 of image set, SOP instance and index.

    AWS's IDs are opaque; the harness derives them so that a re-import gives the same IDs.
    """
    key = f"{image_set_id}/{sop_instance_uid}/{index}".encode()
    return hashlib.blake2b(key, digest_size=16).hexdigest()


def content_type(stored_syntax: str | None) -> str:
    """The GetImageFrame content type for frames stored in `stored_syntax` (None: .4.202)."""
    syntax = HTJ2K_LOSSLESS if stored_syntax is None else stored_syntax
    try:
        return CONTENT_TYPES[syntax]
    except KeyError:
        raise UnsupportedSyntax(f"no frame content type for {syntax}") from None


def stored_syntax(original_syntax: str, lossless_storage_format: str | None) -> str:
    """The syntax import stores frames in, for a file in `original_syntax`."""
    if original_syntax in STORED_AS_IS:
        return original_syntax
    try:
        return LOSSLESS_STORAGE_FORMATS[lossless_storage_format or "HTJ2K"]
    except KeyError:
        raise ValueError(f"unknown losslessStorageFormat {lossless_storage_format!r}") from None


def sample_dtype(bits_allocated: int, signed: bool) -> np.dtype[Any]:
    """The little-endian numpy type of one decoded sample (1-bit data: one byte a pixel)."""
    if bits_allocated == 1:
        return np.dtype("u1")
    if bits_allocated not in (8, 16, 32, 64):
        raise ValueError(f"unsupported BitsAllocated {bits_allocated}")
    kind = "i" if signed else "u"
    return np.dtype(f"<{kind}{bits_allocated // 8}")


def frame_size(rows: int, columns: int, samples: int, bits_allocated: int) -> int:
    """Decoded frame size in bytes: rows * columns * samples * bytes per sample."""
    return rows * columns * samples * sample_dtype(bits_allocated, False).itemsize


def decode_frame(
    data: bytes,
    stored_syntax: str,
    rows: int,
    columns: int,
    samples: int,
    bits_allocated: int,
    signed: bool,
    photometric: str | None = None,
    bits_stored: int | None = None,
) -> bytes:
    """The decoded buffer of one stored frame (as `Frame.pixels`), for verification.

    `photometric` (the file's Photometric Interpretation) tells a JPEG decoder whether three
    components are RGB or YCbCr, as pydicom does; without it libjpeg guesses from the markers.
    `bits_stored` (default: `bits_allocated`) fixes a grey codestream whose signedness differs
    from `signed`, as pydicom's J2K and JPEG-LS sign correction does.
    """
    geometry = _Geometry(
        rows, columns, samples, bits_allocated, bits_stored or bits_allocated, signed, photometric
    )
    return _decode(data, stored_syntax, geometry).tobytes()


def encode_frame(pixels: NDArray[Any], syntax: str) -> bytes:
    """Encode one decoded frame (rows x columns [x samples]) losslessly in `syntax`.

    .4.202: OpenJPH, reversible 5/3 wavelet, RPCL, TLM markers, one tile-part a resolution,
    at least 5 decompositions and enough for a base resolution of at most 64 x 64.
    .4.90: OpenJPEG J2K codestream, reversible 5/3 wavelet, samples of at most 24 significant
    bits (OpenJPEG is not bit-exact beyond), SIZ precision from the data for 32-bit samples.
    Three-sample frames use the reversible colour transform (for .4.90 only up to 16 bits,
    where OpenJPEG's RCT stays bit-exact).
    """
    colour = pixels.ndim == 3 and pixels.shape[2] == 3
    if syntax == HTJ2K_LOSSLESS:
        longest = max(pixels.shape[0], pixels.shape[1])
        decompositions = max(5, math.ceil(math.log2(longest / 64)) if longest > 64 else 0)
        return bytes(
            imagecodecs.htj2k_encode(
                pixels,
                reversible=True,
                rgb=colour,
                resolutions=decompositions,
                tlm=True,
                tilepart=imagecodecs.HTJ2K.TILEPART.RESOLUTIONS,
            )
        )
    if syntax == JPEG2000_LOSSLESS:
        precision = None
        if pixels.dtype.itemsize > 2:
            precision = _precision(pixels)
            if precision > _J2K_MAX_PRECISION:
                raise UnsupportedSyntax(
                    f"JPEG 2000 lossless cannot hold {precision}-bit samples bit-exactly"
                )
        return bytes(
            imagecodecs.jpeg2k_encode(
                pixels,
                codecformat=imagecodecs.JPEG2K.CODEC.J2K,
                reversible=True,
                mct=colour and precision is None,
                bitspersample=precision,
            )
        )
    raise UnsupportedSyntax(f"the harness stores no frames in {syntax}")


def frames_of(ds: Dataset, lossless_storage_format: str | None = None) -> list[Frame]:
    """Every frame of `ds` as import stores it; a dataset without Pixel Data has none."""
    if "PixelData" not in ds:
        return []
    original = _transfer_syntax(ds)
    target = stored_syntax(original, lossless_storage_format)
    geometry = _Geometry.of(ds)
    count = int(ds.get("NumberOfFrames") or 1)
    if original in VIDEO_SYNTAXES:
        stream = b"".join(generate_frames(ds.PixelData, number_of_frames=1))
        return [geometry.frame(0, None, stream)]
    if original in STORED_AS_IS:
        return [
            geometry.frame(index, _decode(data, original, geometry), data)
            for index, data in enumerate(generate_frames(ds.PixelData, number_of_frames=count))
        ]
    size = geometry.frame_bytes
    if _plain_grey(ds, original, geometry, count):
        arrays: Iterable[NDArray[Any]] = (
            _decode(ds.PixelData[index * size : (index + 1) * size], original, geometry)
            for index in range(count)
        )
    elif original in _DECODED_BY_PYDICOM:
        arrays = (geometry.conform(pixel_array(ds, index=index)) for index in range(count))
    elif original in _CODECS:
        arrays = (
            _decode(data, original, geometry)
            for data in generate_frames(ds.PixelData, number_of_frames=count)
        )
    else:
        raise UnsupportedSyntax(f"the harness cannot decode {original}")
    return [
        geometry.frame(index, buffer, encode_frame(buffer, target))
        for index, buffer in enumerate(arrays)
    ]


@dataclass(frozen=True)
class _Geometry:
    rows: int
    columns: int
    samples: int
    bits_allocated: int
    bits_stored: int
    signed: bool
    photometric: str | None

    @classmethod
    def of(cls, ds: Dataset) -> _Geometry:
        bits = int(ds.BitsAllocated)
        photometric = ds.get("PhotometricInterpretation")
        return cls(
            rows=int(ds.Rows),
            columns=int(ds.Columns),
            samples=int(ds.get("SamplesPerPixel") or 1),
            bits_allocated=bits,
            bits_stored=int(ds.get("BitsStored") or bits),
            signed=int(ds.get("PixelRepresentation") or 0) == 1,
            photometric=str(photometric).strip() if photometric else None,
        )

    @property
    def shape(self) -> tuple[int, ...]:
        if self.samples == 1:
            return (self.rows, self.columns)
        return (self.rows, self.columns, self.samples)

    @property
    def dtype(self) -> np.dtype[Any]:
        return sample_dtype(self.bits_allocated, self.signed)

    @property
    def frame_bytes(self) -> int:
        return frame_size(self.rows, self.columns, self.samples, self.bits_allocated)

    def conform(self, array: NDArray[Any]) -> NDArray[Any]:
        """The array as a contiguous little-endian rows x columns [x samples] frame."""
        if array.shape != self.shape and array.shape == (self.samples, self.rows, self.columns):
            array = np.moveaxis(array, 0, -1)
        if array.shape != self.shape:
            raise ValueError(f"decoded frame has shape {array.shape}, expected {self.shape}")
        return np.ascontiguousarray(array.astype(self.dtype, copy=False))

    def frame(self, index: int, buffer: NDArray[Any] | None, encoded: bytes) -> Frame:
        size = frame_size(self.rows, self.columns, self.samples, self.bits_allocated)
        common = (index, self.rows, self.columns, self.samples, self.bits_allocated, self.signed)
        if buffer is None:
            return Frame(*common, b"", encoded, None, None, None, size)
        pixels = buffer.tobytes()
        low, high = (int(buffer.min()), int(buffer.max())) if buffer.size else (0, 0)
        return Frame(*common, pixels, encoded, checksum(pixels), low, high, size)


def _plain_grey(ds: Dataset, syntax: str, geometry: _Geometry, count: int) -> bool:
    """Native little-endian grey frames whose samples fill their bits: each frame's bytes
    are the decoded buffer as they stand (what pydicom's native decoder returns), so
    `frames_of` reads them straight from Pixel Data rather than through pydicom."""
    return (
        syntax in (IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN)
        and geometry.samples == 1
        and geometry.bits_allocated in (8, 16, 32)
        and geometry.bits_stored == geometry.bits_allocated
        and geometry.photometric in ("MONOCHROME1", "MONOCHROME2")
        and isinstance(ds.PixelData, bytes)
        and len(ds.PixelData) >= count * geometry.frame_bytes
    )


def _transfer_syntax(ds: Dataset) -> str:
    meta = getattr(ds, "file_meta", None)
    syntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if not syntax:
        raise ValueError("the dataset has no TransferSyntaxUID")
    return str(syntax)


def _decode(data: bytes, syntax: str, geometry: _Geometry) -> NDArray[Any]:
    """Decode one frame's bytes to a conformed buffer (see `_Geometry.conform`)."""
    if syntax in (IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN):
        count = geometry.rows * geometry.columns * geometry.samples
        if geometry.bits_allocated == 1:
            flat = np.unpackbits(np.frombuffer(data, np.uint8), bitorder="little")[:count]
        else:
            flat = np.frombuffer(data, dtype=geometry.dtype, count=count)
        return geometry.conform(flat.reshape(geometry.shape))
    if syntax in _JPEG_DCT and geometry.samples == 3 and geometry.photometric:
        source = "RGB" if geometry.photometric == "RGB" else "YCbCr"
        array = imagecodecs.jpeg8_decode(data, colorspace=source, outcolorspace="RGB")
        return geometry.conform(array)
    codec = _CODECS.get(syntax)
    if codec is None:
        raise UnsupportedSyntax(f"the harness cannot decode frames of {syntax}")
    return geometry.conform(_correct_sign(codec(data), geometry))


def _correct_sign(array: NDArray[Any], geometry: _Geometry) -> NDArray[Any]:
    """Reinterpret a grey codestream decoded with the wrong signedness, as pydicom does:
    take its low `bits_stored` bits as a signed or unsigned number."""
    dtype = geometry.dtype
    if geometry.samples != 1 or array.dtype.kind == dtype.kind or array.dtype.kind not in "iu":
        return array
    shift = 8 * dtype.itemsize - geometry.bits_stored
    result = array.astype(dtype)
    if shift > 0:
        result = (result << shift) >> shift
    return result


def _precision(pixels: NDArray[Any]) -> int:
    low, high = int(pixels.min()), int(pixels.max())
    if pixels.dtype.kind == "i":
        return max(high.bit_length(), (-low - 1).bit_length() if low < 0 else 0) + 1
    return max(high.bit_length(), 1)
