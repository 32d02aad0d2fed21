"""`ahi-contract spec`: build, check and diff the OpenAPI document."""

from __future__ import annotations

import argparse
import difflib
from pathlib import Path
from typing import Any

from harness.model import load_pinned_model
from harness.spec import document
from harness.spec.build import build_spec
from harness.spec.diff import diff_specs, format_json, format_text, load_contract


def register(subcommands: Any) -> None:
    """Add `spec` and its own subcommands to the root parser."""
    parser = subcommands.add_parser("spec", help="build, check and diff the OpenAPI spec")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    build = actions.add_parser("build", help="write the spec from the pinned botocore model")
    build.add_argument("--output", type=Path, default=document.DEFAULT_SPEC_PATH)
    build.set_defaults(run=run_build)

    check = actions.add_parser("check", help="fail when the committed spec is out of date")
    check.add_argument("--spec", type=Path, default=document.DEFAULT_SPEC_PATH)
    check.set_defaults(run=run_check)

    diff = actions.add_parser(
        "diff", help="classify the changes between two models or specs (exit 1 if breaking)"
    )
    diff.add_argument("old", type=Path, help="service-2.json[.gz] or OpenAPI document")
    diff.add_argument("new", type=Path, help="service-2.json[.gz] or OpenAPI document")
    diff.add_argument("--format", choices=("text", "json"), default="text")
    diff.set_defaults(run=run_diff)


def expected_text() -> str:
    """The spec text `spec build` writes for the installed botocore."""
    return document.render(build_spec(load_pinned_model()))


def run_build(arguments: argparse.Namespace) -> int:
    output: Path = arguments.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(expected_text(), encoding="utf-8")
    print(f"wrote {output}")
    return 0


def run_check(arguments: argparse.Namespace) -> int:
    path: Path = arguments.spec
    expected = expected_text()
    actual = path.read_text(encoding="utf-8") if path.exists() else ""
    if actual == expected:
        print(f"{path} is up to date")
        return 0
    lines = list(
        difflib.unified_diff(
            actual.splitlines(), expected.splitlines(), str(path), "spec build", lineterm=""
        )
    )
    print("\n".join(lines[:80]))
    if len(lines) > 80:
        print(f"... {len(lines) - 80} more diff lines")
    print(f"{path} differs from what `ahi-contract spec build` writes: run it and commit.")
    return 1


def run_diff(arguments: argparse.Namespace) -> int:
    changes = diff_specs(load_contract(arguments.old), load_contract(arguments.new))
    print(format_json(changes) if arguments.format == "json" else format_text(changes))
    return 1 if any(change.breaking for change in changes) else 0
