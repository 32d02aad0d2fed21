"""Benchmark the frame codecs of harness.imaging; prints figures, asserts only losslessness.

    .venv/bin/python benchmarks/frame_codec_bench.py [--seconds 1.0]

For pydicom's CT_small (128 x 128, 16-bit signed) and MR_small (64 x 64, 16-bit signed),
and each lossless storage format (HTJ2K RPCL .4.202 and JPEG 2000 .4.90), figures are:
- encode frames/s: `encode_frame` of the decoded frame;
- decode frames/s: `decode_frame` of the stored bytes (the verification path);
- import frames/s: `frames_of` on the dataset (pydicom decode, encode, checksum);
- stored size and ratio to the decoded size.
Each figure is the best of three runs of at least `--seconds` / 3 seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import imagecodecs
import numpy as np
import pydicom
from pydicom.data import get_testdata_file

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.imaging.frames import (
    HTJ2K_LOSSLESS,
    JPEG2000_LOSSLESS,
    decode_frame,
    encode_frame,
    frames_of,
)

FILES = ("CT_small.dcm", "MR_small.dcm")
FORMATS = (("HTJ2K", HTJ2K_LOSSLESS), ("JPEG_2000_LOSSLESS", JPEG2000_LOSSLESS))


def _rate(work: Callable[[], object], seconds: float) -> float:
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 3 or count == 0:
            work()
            count += 1
        best = max(best, count / elapsed)
    return best


def _figures(
    name: str, ds: pydicom.Dataset, storage_format: str, syntax: str, seconds: float
) -> str:
    pixels = ds.pixel_array
    raw = np.ascontiguousarray(pixels).tobytes()
    rows, columns = pixels.shape
    bits, signed = int(ds.BitsAllocated), int(ds.PixelRepresentation) == 1
    encoded = encode_frame(pixels, syntax)
    if decode_frame(encoded, syntax, rows, columns, 1, bits, signed) != raw:
        raise SystemExit(f"{name} {storage_format}: round trip is not bit-exact")
    encode = _rate(lambda: encode_frame(pixels, syntax), seconds)
    decode = _rate(lambda: decode_frame(encoded, syntax, rows, columns, 1, bits, signed), seconds)
    imported = _rate(lambda: frames_of(ds, storage_format), seconds)
    ratio = len(raw) / len(encoded)
    return (
        f"{name:14} {storage_format:19} {encode:11.0f} {decode:11.0f} {imported:11.0f} "
        f"{len(encoded):7d} {ratio:6.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per figure")
    args = parser.parse_args()
    print(f"imagecodecs {imagecodecs.__version__}: {imagecodecs.htj2k_version()}, ", end="")
    print(f"{imagecodecs.jpeg2k_version()}; pydicom {pydicom.__version__}")
    header = f"{'file':14} {'format':19} {'encode f/s':>11} {'decode f/s':>11} {'import f/s':>11}"
    print(f"{header} {'bytes':>7} {'ratio':>6}")
    for name in FILES:
        path = get_testdata_file(name)
        assert path is not None, name
        ds = pydicom.dcmread(path)
        for storage_format, syntax in FORMATS:
            print(_figures(name, ds, storage_format, syntax, args.seconds))


if __name__ == "__main__":
    main()
