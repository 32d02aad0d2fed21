"""`ahi-contract diff OLD.json NEW.json`: what changed between two runs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.report.compare import compare, format_json, format_text, load_results


def register(subcommands: Any) -> None:
    """Add `diff` to the root parser."""
    parser = subcommands.add_parser(
        "diff", help="compare two results.json files; exit 1 on any regression"
    )
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    diff = compare(load_results(arguments.old), load_results(arguments.new))
    print(format_json(diff) if arguments.format == "json" else format_text(diff))
    return 1 if diff.regressions else 0
