"""`ahi-contract spec`: build, check and diff the OpenAPI document; find a botocore's model."""

from __future__ import annotations

import argparse
import difflib
import gzip
import json
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import yaml

from harness.arguments.types import readable_file, unwritable_reason
from harness.cli import epilog, refuse
from harness.model import load_pinned_model
from harness.model.source import SERVICE_NAME
from harness.spec import document
from harness.spec.build import build_spec
from harness.spec.diff import diff_specs, format_json, format_text, load_contract

# Run by `spec model-path` in the interpreter it is given: the standard library only.
MODEL_PATH_SCRIPT = """
import os, sys
try:
    import botocore
except ImportError:
    sys.exit("no botocore in " + sys.executable)
base = os.path.join(os.path.dirname(botocore.__file__), "data", "medical-imaging")
versions = sorted(os.listdir(base)) if os.path.isdir(base) else []
if not versions:
    sys.exit("botocore " + botocore.__version__ + " has no medical-imaging model")
for name in ("service-2.json.gz", "service-2.json"):
    path = os.path.join(base, versions[-1], name)
    if os.path.exists(path):
        print(path)
        sys.exit(0)
sys.exit("botocore " + botocore.__version__ + " has no service-2.json in " + versions[-1])
"""
_UNREADABLE = (OSError, ValueError, EOFError, zlib.error, yaml.YAMLError)
_MALFORMED = (KeyError, TypeError, AttributeError, IndexError)


class ContractError(ValueError):
    """A file `spec diff` cannot compare: unreadable, malformed, or not this service's."""


def register(subcommands: Any) -> None:
    """Add `spec` and its own subcommands to the root parser."""
    parser = subcommands.add_parser(
        "spec",
        help="build, check and diff the OpenAPI spec",
        description=(
            "The OpenAPI 3.1 document the harness generates from the medical-imaging model "
            "of the botocore it pins: write it, check a copy is current, classify the changes "
            "between two models or specs, or find the model inside another Python's botocore. "
            "`ahi-contract spec ACTION --help` describes each action."
        ),
        epilog=epilog(
            "the action's verdict is negative: a stale spec (check), a breaking change (diff)",
            success="the action did what it was asked and its verdict is positive",
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    build = actions.add_parser(
        "build",
        help="write the spec from the pinned botocore model",
        description=(
            "Write the OpenAPI document generated from the medical-imaging model of the "
            "installed (pinned) botocore, replacing the file."
        ),
        epilog=epilog(success="the spec was written (its path is printed)"),
    )
    build.add_argument(
        "--output",
        type=Path,
        default=document.DEFAULT_SPEC_PATH,
        metavar="FILE",
        help="the file to write; its folder is created if missing",
    )
    build.set_defaults(run=run_build)

    check = actions.add_parser(
        "check",
        help="fail when the committed spec is out of date",
        description=(
            "Compare a spec file with what `spec build` writes for the installed botocore; "
            "on a difference, print the first 80 lines of a unified diff."
        ),
        epilog=epilog(
            "the file differs from what `spec build` writes (run it and commit)",
            success="the file is what `spec build` writes",
        ),
    )
    check.add_argument(
        "--spec",
        type=readable_file,
        default=None,
        metavar="FILE",
        help=(
            f"the spec to check (default: {document.DEFAULT_SPEC_PATH} in a checkout, "
            "else the copy installed with the package)"
        ),
    )
    check.set_defaults(run=run_check)

    diff = actions.add_parser(
        "diff",
        help="classify the changes between two models or specs (exit 1 if breaking)",
        description=(
            "Classify every change between OLD and NEW (operations, members, bounds, "
            "patterns, enums, types, bindings, routes, statuses, errors) as breaking for "
            "existing callers or not; breaking changes print first."
        ),
        epilog=epilog("a breaking change", success="no change, or no breaking change"),
    )
    kinds = "a medical-imaging service-2.json (gzipped or not) or OpenAPI document (YAML or JSON)"
    diff.add_argument("old", type=readable_file, metavar="OLD", help=kinds)
    diff.add_argument("new", type=readable_file, metavar="NEW", help=kinds)
    diff.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="how the changes print: text for people, json for tools",
    )
    diff.set_defaults(run=run_diff)

    model_path = actions.add_parser(
        "model-path",
        help="print the path of the newest medical-imaging model in a Python's botocore",
        description=(
            "Print the path of the newest medical-imaging service-2.json(.gz) inside the "
            "botocore that PYTHON imports, for `spec diff` against a newer botocore "
            "installed in a throwaway virtualenv."
        ),
        epilog=epilog(success="the path was printed"),
    )
    model_path.add_argument(
        "--python",
        default=sys.executable,
        metavar="PYTHON",
        help="the interpreter whose botocore to look in (default: the one running ahi-contract)",
    )
    model_path.set_defaults(run=run_model_path)


def expected_text() -> str:
    """The spec text `spec build` writes for the installed botocore."""
    return document.render(build_spec(load_pinned_model()))


def run_build(arguments: argparse.Namespace) -> int:
    output: Path = arguments.output
    if output.is_dir():
        return refuse("spec build", f"{output} is a directory; --output names a file")
    reason = unwritable_reason(output.parent)
    if reason is not None:
        return refuse("spec build", reason)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(expected_text(), encoding="utf-8")
    print(f"wrote {output}")
    return 0


def run_check(arguments: argparse.Namespace) -> int:
    path: Path = arguments.spec or document.committed_spec_path()
    model = load_pinned_model()
    expected = document.render(build_spec(model))
    try:
        actual = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return refuse("spec check", f"{path}: no such file (the package was installed without it)")
    except UnicodeDecodeError:
        return refuse("spec check", f"{path}: not UTF-8 text")
    if actual == expected:
        print(f"{path} is up to date with {model.origin}")
        return 0
    lines = list(
        difflib.unified_diff(
            actual.splitlines(), expected.splitlines(), str(path), "spec build", lineterm=""
        )
    )
    print("\n".join(lines[:80]))
    if len(lines) > 80:
        print(f"... {len(lines) - 80} more diff lines")
    if arguments.spec is None and path == document.PACKAGED_SPEC_PATH:
        print(
            f"{path}, the spec installed with ahi-contract, differs from what {model.origin} "
            "generates: this botocore is not the one ahi-contract pins; reinstall ahi-contract."
        )
    else:
        print(f"{path} differs from what `ahi-contract spec build` writes: run it and commit.")
    return 1


def _parsed(path: Path) -> dict[str, Any]:
    """The file as a mapping: gzip or not, JSON or YAML."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8")
    try:
        parsed = json.loads(text)
    except ValueError:
        if text.lstrip().startswith(("{", "[")):
            raise
        parsed = yaml.safe_load(text)
    if not isinstance(parsed, dict):
        raise ContractError(f"{path}: holds a {type(parsed).__name__}, not a document")
    return parsed


def _dangling_reference(document: dict[str, Any]) -> str | None:
    """The first local `$ref` that points nowhere (a truncated document has some), or None."""
    pending: list[Any] = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/"):
                target: Any = document
                for part in reference[2:].split("/"):
                    part = part.replace("~1", "/").replace("~0", "~")
                    if not isinstance(target, dict) or part not in target:
                        return reference
                    target = target[part]
            pending.extend(node.values())
    return None


def _service_of(parsed: dict[str, Any]) -> str | None:
    if "openapi" in parsed:
        info = parsed.get("info")
        source = info.get("x-source-model", {}) if isinstance(info, dict) else {}
        if not isinstance(parsed.get("paths"), dict):
            raise ContractError("an OpenAPI document without `paths`")
        dangling = _dangling_reference(parsed)
        if dangling is not None:
            raise ContractError(f"$ref {dangling} points nowhere: truncated or broken")
        return str(source.get("signingName", SERVICE_NAME)) if isinstance(source, dict) else None
    if "shapes" in parsed and "metadata" in parsed:
        metadata = parsed["metadata"]
        return str(metadata.get("signingName") or metadata.get("endpointPrefix"))
    raise ContractError("neither an OpenAPI document nor a botocore service model")


def load_checked(path: Path) -> dict[str, Any]:
    """The spec `path` holds, or a one-line `ContractError` saying why it cannot be used."""
    try:
        service = _service_of(_parsed(path))
    except ContractError as error:
        raise ContractError(f"{path}: {error}") from None
    except _UNREADABLE as error:
        raise ContractError(f"{path}: cannot be read as JSON, YAML or gzip: {error}") from None
    if service != SERVICE_NAME:
        raise ContractError(f"{path}: describes {service!r}, not {SERVICE_NAME!r}")
    try:
        return load_contract(path)
    except (*_UNREADABLE, *_MALFORMED) as error:
        raise ContractError(f"{path}: malformed: {type(error).__name__}: {error}") from None


def run_diff(arguments: argparse.Namespace) -> int:
    try:
        old, new = load_checked(arguments.old), load_checked(arguments.new)
        changes = diff_specs(old, new)
    except ContractError as error:
        return refuse("spec diff", str(error))
    except _MALFORMED as error:
        return refuse("spec diff", f"a document is malformed: {type(error).__name__}: {error}")
    print(format_json(changes) if arguments.format == "json" else format_text(changes))
    return 1 if any(change.breaking for change in changes) else 0


def run_model_path(arguments: argparse.Namespace) -> int:
    try:
        found = subprocess.run(
            [arguments.python, "-c", MODEL_PATH_SCRIPT],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return refuse("spec model-path", f"cannot run {arguments.python}: {error}")
    if found.returncode != 0:
        lines = found.stderr.strip().splitlines() or [f"exit status {found.returncode}"]
        return refuse("spec model-path", lines[-1])
    print(found.stdout.strip())
    return 0
