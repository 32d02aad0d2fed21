"""Compare two runs' results.json: regressions, fixes, new and removed checks, versions."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.report.record import RESULTS_SCHEMA_VERSION

_GOOD = ("passed", "deviation")


@dataclass
class RunDiff:
    """What changed from an old run to a new one."""

    regressions: list[dict[str, Any]] = field(default_factory=list)
    fixes: list[dict[str, Any]] = field(default_factory=list)
    new_checks: list[str] = field(default_factory=list)
    removed_checks: list[str] = field(default_factory=list)
    changed_versions: dict[str, tuple[Any, Any]] = field(default_factory=dict)


def load_results(path: Path) -> dict[str, Any]:
    results: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if results.get("schemaVersion") != RESULTS_SCHEMA_VERSION:
        raise ValueError(
            f"{path}: schemaVersion {results.get('schemaVersion')!r}, "
            f"expected {RESULTS_SCHEMA_VERSION}"
        )
    return results


def _statuses(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{check['id']} [{check['subject']}]": check for check in results["checks"]}


def _versions(results: dict[str, Any]) -> dict[str, Any]:
    versions = dict(results.get("tool", {}))
    sdk = results.get("target", {}).get("sdk")
    if isinstance(sdk, dict):
        versions[f"sdk {sdk.get('sdk')}"] = sdk.get("version")
    return versions


def compare(old: dict[str, Any], new: dict[str, Any]) -> RunDiff:
    """Every change in check outcomes and versions from `old` to `new`."""
    diff = RunDiff()
    before, after = _statuses(old), _statuses(new)
    for key in sorted(set(before) & set(after)):
        was, now = before[key]["status"], after[key]["status"]
        entry = {"check": key, "was": was, "now": now, "message": after[key].get("message", "")}
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
    lines += [f"removed    {check}" for check in diff.removed_checks]
    lines += [
        f"version    {name}: {old} -> {new}" for name, (old, new) in diff.changed_versions.items()
    ]
    lines.append(
        f"{len(diff.regressions)} regressions, {len(diff.fixes)} fixes, "
        f"{len(diff.new_checks)} new, {len(diff.removed_checks)} removed checks"
    )
    return "\n".join(lines)


def format_json(diff: RunDiff) -> str:
    return json.dumps(asdict(diff), indent=2)
