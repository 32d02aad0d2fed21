"""Argument types that check a value as it is parsed, each refusal one line.

argparse (and pytest's `addoption`, which is argparse underneath) turns an
`ArgumentTypeError` into a usage error naming the option, so a bad value
stops a command before it does any work.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit


def url(text: str) -> str:
    """An http or https URL with a host (and a valid port, if it names one)."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an http(s) URL with a host, like https://host or http://127.0.0.1:8080"
        )
    if port == 0:
        raise argparse.ArgumentTypeError(f"{text!r} names port 0")
    return text


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive whole number (1 or more)")
    return value


def non_negative_int(text: str) -> int:
    """A whole number of at least 0."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative; give 0 or more")
    return value


def positive_seconds(text: str) -> float:
    """A finite number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds above 0")
    return value


def readable_file(text: str) -> Path:
    """A regular file this process can read."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text}: not a regular file")
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as error:
        raise argparse.ArgumentTypeError(f"{text}: cannot read: {error.strerror}") from None
    return path


def unwritable_reason(directory: Path) -> str | None:
    """Why reports could not be written into `directory`, or None when they can.

    Nothing is created: an existing directory is probed with a temporary file
    that is removed at once; a missing one is judged by its nearest existing
    ancestor, which must be a directory this process can write to.
    """
    if directory.exists():
        if not directory.is_dir():
            return f"{directory} exists and is not a directory"
        try:
            with tempfile.TemporaryFile(dir=directory):
                pass
        except OSError as error:
            return f"cannot write into {directory}: {error.strerror}"
        return None
    ancestor = directory.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"cannot create {directory}: {ancestor} is not a directory"
    if not os.access(ancestor, os.W_OK | os.X_OK):
        return f"cannot create {directory}: {ancestor} is not writable"
    return None
