"""The adapters and the protocol document shipped inside the package.

They live in `harness/sdk/adapters/` and install with the package (package
data), so `--adapter boto3`, `--adapter aiobotocore`, `--adapter js-v3` and
`--adapter js-v2` work from a checkout and from a `pip install` alike. The JavaScript
adapters need their npm packages installed next to them once (`npm ci` in each folder;
`make setup` does it in a checkout); the aiobotocore adapter needs the aiobotocore that
ahi-contract's dev extra pins (`make setup` installs it; after a plain `pip install`, the
command prints the requirement to install).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

ADAPTERS_DIR = Path(__file__).resolve().parent / "adapters"
PROTOCOL_DOC = ADAPTERS_DIR / "sdk-adapter-protocol.md"
KNOWN_DEVIATIONS = "known-deviations.json"
DEVIATION_FIELDS = ("scenario", "observed", "why", "where")


@dataclass(frozen=True)
class BundledAdapter:
    """One adapter in the package: its program, how to run it, its known deviations."""

    name: str
    interpreter: str
    program: str
    # The Python package the adapter imports that ahi-contract does not require (it is in
    # the dev extra), or None.
    python_package: str | None = None

    @property
    def folder(self) -> Path:
        return ADAPTERS_DIR / self.name

    @property
    def command(self) -> str:
        return shlex.join([self.interpreter, str(self.folder / self.program)])

    @property
    def known_deviations(self) -> Path:
        return self.folder / KNOWN_DEVIATIONS


BUNDLED: dict[str, BundledAdapter] = {
    "boto3": BundledAdapter("boto3", sys.executable, "adapter.py"),
    "aiobotocore": BundledAdapter("aiobotocore", sys.executable, "adapter.py", "aiobotocore"),
    "js-v3": BundledAdapter("js-v3", "node", "adapter.mjs"),
    "js-v2": BundledAdapter("js-v2", "node", "adapter.mjs"),
}


def unusable_reason(spec: str) -> str | None:
    """Why the adapter `spec` names cannot be started, or None when it can be tried.

    `spec` is `reference`, a bundled adapter's name, or a command line.
    """
    if spec == "reference":
        return None
    bundled = BUNDLED.get(spec)
    if bundled is not None:
        if shutil.which(bundled.interpreter) is None:
            return f"the {spec} adapter needs {bundled.interpreter!r} on PATH"
        if not (bundled.folder / bundled.program).is_file():
            return f"the {spec} adapter is missing from this installation ({bundled.folder})"
        if bundled.python_package and importlib.util.find_spec(bundled.python_package) is None:
            return (
                f"the {spec} adapter needs the Python package {bundled.python_package}: "
                f"{shlex.quote(sys.executable)} -m pip install "
                f"{shlex.quote(pinned(bundled.python_package))}"
            )
        if (bundled.folder / "package.json").is_file() and not (
            bundled.folder / "node_modules"
        ).exists():
            return (
                f"the {spec} adapter needs its npm packages: "
                f"npm ci --prefix {shlex.quote(str(bundled.folder))}"
            )
        return None
    try:
        words = shlex.split(spec)
    except ValueError as error:
        return f"--adapter {spec!r} is not a command line: {error}"
    if not words:
        return "--adapter is empty"
    if shutil.which(words[0]) is None:
        known = ", ".join(["reference", *BUNDLED])
        return f"adapter program {words[0]!r} not found (bundled adapters: {known})"
    return None


def pinned(package: str) -> str:
    """The requirement ahi-contract's metadata gives for `package` (in any extra, without
    its marker), or the bare name when the metadata has none."""
    try:
        requirements = importlib.metadata.requires("ahi-contract") or []
    except importlib.metadata.PackageNotFoundError:
        requirements = []
    for requirement in requirements:
        wanted = requirement.split(";")[0].strip()
        if re.match(rf"{re.escape(package)}\s*[=~<>!]", wanted):
            return wanted.replace(" ", "")
    return package


def deviations_problem(path: Path) -> str | None:
    """Why `path` is not a known-deviations list, or None when it is one."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        return f"{path}: cannot read: {error}"
    except ValueError as error:
        return f"{path}: not JSON ({error})"
    fields = ", ".join(DEVIATION_FIELDS)
    if not isinstance(entries, list):
        return f"{path}: must be a JSON list of objects with {fields}"
    for index, entry in enumerate(entries):
        if (
            not isinstance(entry, dict)
            or set(entry) != set(DEVIATION_FIELDS)
            or not all(isinstance(value, str) for value in entry.values())
        ):
            return f"{path}: entry {index} must have exactly the string members {fields}"
    return None
