"""Compare two runs' results.json: regressions, fixes, new and vanished checks, versions.

Only runs of one kind compare (a server run with a server run, an SDK run with
an SDK run, a self-test with a self-test); a results file of another shape or
schema version, or of a run that was refused (nothing checked), is refused with
a one-line `ResultsError`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.report.record import RESULTS_SCHEMA_VERSION

_GOOD = ("passed", "deviation")
KINDS = ("server", "sdk", "selftest")
STATUSES = ("passed", "deviation", "failed", "error")


class ResultsError(ValueError):
    """A results file that cannot be compared: unreadable, malformed, or of another kind."""


@dataclass
class RunDiff:
    """What changed from an old run to a new one."""

    regressions: list[dict[str, Any]] = field(default_factory=list)
    fixes: list[dict[str, Any]] = field(default_factory=list)
    new_checks: list[str] = field(default_factory=list)
    removed_checks: list[str] = field(default_factory=list)
    kind: str = ""
    changed_versions: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def load_results(path: Path) -> dict[str, Any]:
    """A results.json of this schema version, its shape checked; `ResultsError` otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise ResultsError(f"{path}: cannot read: {reason}") from None
    try:
        results = json.loads(text)
    except ValueError as error:
        raise ResultsError(f"{path}: not JSON ({error})") from None
    if not isinstance(results, dict) or "schemaVersion" not in results:
        raise ResultsError(f"{path}: not an ahi-contract results.json (no schemaVersion)")
    if results.get("schemaVersion") != RESULTS_SCHEMA_VERSION:
        raise ResultsError(
            f"{path}: schemaVersion {results.get('schemaVersion')!r}, "
            f"expected {RESULTS_SCHEMA_VERSION}"
        )
    if results.get("kind") not in KINDS:
        raise ResultsError(
            f"{path}: kind {results.get('kind')!r}, expected one of {', '.join(KINDS)}"
        )
    if results.get("status") == "refused":
        raise ResultsError(
            f"{path}: the {results['kind']} run was refused, nothing was checked: "
            f"{results.get('refused')}"
        )
    checks = results.get("checks")
    if not isinstance(checks, list) or not all(_is_check(check) for check in checks):
        raise ResultsError(
            f"{path}: `checks` must be a list of objects with string id and subject "
            f"and a status of {', '.join(STATUSES)}"
        )
    return results


def _is_check(check: object) -> bool:
    return (
        isinstance(check, dict)
        and isinstance(check.get("id"), str)
        and isinstance(check.get("subject"), str)
        and check.get("status") in STATUSES
    )


def _statuses(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{check['id']} [{check['subject']}]": check for check in results["checks"]}


def _versions(results: dict[str, Any]) -> dict[str, Any]:
    tool, target = results.get("tool"), results.get("target")
    versions = dict(tool) if isinstance(tool, dict) else {}
    sdk = target.get("sdk") if isinstance(target, dict) else None
    if isinstance(sdk, dict):
        versions[f"sdk {sdk.get('sdk')}"] = sdk.get("version")
    return versions


def compare(old: dict[str, Any], new: dict[str, Any]) -> RunDiff:
    """Every change in check outcomes and versions from `old` to `new`.

    Raises `ResultsError` when the two runs are of different kinds.
    """
    if old.get("kind") != new.get("kind"):
        raise ResultsError(f"cannot compare a {old.get('kind')} run with a {new.get('kind')} run")
    diff = RunDiff(kind=str(new.get("kind")))
    before, after = _statuses(old), _statuses(new)
    for key in sorted(set(before) & set(after)):
        was, now = before[key]["status"], after[key]["status"]
        entry = {
            "check": key,
            "was": was,
            "now": now,
            "message": str(after[key].get("message", "")),
        }
        if was in _GOOD and now not in _GOOD:
            diff.regressions.append(entry)
        elif was not in _GOOD and now in _GOOD:
            diff.fixes.append(entry)
    diff.new_checks = sorted(set(after) - set(before))
    diff.removed_checks = sorted(set(before) - set(after))
    old_versions, new_versions = _versions(old), _versions(new)
    for name in sorted(set(old_versions) | set(new_versions)):
        if old_versions.get(name) != new_versions.get(name):
            diff.changed_versions[name] = (old_versions.get(name), new_versions.get(name))
    return diff


def format_text(diff: RunDiff) -> str:
    lines = [
        f"REGRESSION {r['check']}: {r['was']} -> {r['now']} {r['message'][:160]}"
        for r in diff.regressions
    ]
    lines += [f"fixed      {f['check']}: {f['was']} -> {f['now']}" for f in diff.fixes]
    lines += [f"new        {check}" for check in diff.new_checks]
    lines += [f"VANISHED   {check}" for check in diff.removed_checks]
    lines += [
        f"version    {name}: {old} -> {new}" for name, (old, new) in diff.changed_versions.items()
    ]
    lines.append(
        f"{len(diff.regressions)} regressions, {len(diff.fixes)} fixes, "
        f"{len(diff.new_checks)} new, {len(diff.removed_checks)} vanished checks"
    )
    return "\n".join(lines)


def format_json(diff: RunDiff) -> str:
    return json.dumps(asdict(diff), indent=2)
