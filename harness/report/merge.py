"""One record from the results of a sharded run (`--shard K/N`): `ahi-contract merge`.

The shards must be the N parts of one run: one kind, seed, profile, harness
version and service model, one subject (the faults a server run enabled, the
SDK and version an SDK run certified), one selection (`--check`, `--scenario`,
`--fault`, `--bug`), each index from 1 to N exactly once.
Anything else is refused with one line (`MergeError`). Outcomes are pooled;
the writers then merge them per (check, subject) as they merge a single run's
(`RunRecord.merged`): a check judged in several shards, such as a server run's
per-answer checks, fails when it failed in any.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.arguments.shard import Shard
from harness.checks import REGISTRY
from harness.report.compare import load_results
from harness.report.record import Evidence, Outcome, RunRecord


class MergeError(ValueError):
    """Results that are not the shards of one run."""


SAME_RUN: tuple[tuple[str, ...], ...] = (
    ("kind",),
    ("seed",),
    ("profile",),
    ("tool", "ahi-contract"),
    ("tool", "modelSha256"),
    ("target", "faults"),
    ("target", "selection"),
    ("target", "onlyFaults"),
    ("target", "onlyBugs"),
    ("target", "adapter"),
    ("target", "sdk", "sdk"),
    ("target", "sdk", "version"),
    ("target", "retries", "asked"),
)
"""What every shard of one run shares (a path into results.json); a key absent from one
shard must be absent from all."""


def _at(results: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = results
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def load_shards(paths: list[Path]) -> list[tuple[Path, dict[str, Any]]]:
    """Each results file with its shard checked: all parts of one run, each once, in
    shard order; `MergeError` (or `ResultsError` for a file that is not results) if not."""
    loaded = [(path, load_results(path)) for path in paths]
    shards: dict[int, tuple[Path, dict[str, Any]]] = {}
    counts: set[int] = set()
    for path, results in loaded:
        shard = Shard.from_json(results.get("shard"))
        if shard is None:
            raise MergeError(f"{path}: not a shard (run it with --shard K/N)")
        if shard.index in shards:
            raise MergeError(f"{path}: shard {shard} again (also {shards[shard.index][0]})")
        shards[shard.index] = (path, results)
        counts.add(shard.count)
    if len(counts) > 1:
        raise MergeError(f"shards of different splits: of {', '.join(map(str, sorted(counts)))}")
    count = counts.pop()
    missing = sorted(set(range(1, count + 1)) - set(shards))
    if missing:
        raise MergeError(f"missing shard(s) {', '.join(f'{k}/{count}' for k in missing)}")
    first_path, first = loaded[0]
    for path, results in loaded[1:]:
        for key in SAME_RUN:
            if _at(results, key) != _at(first, key):
                raise MergeError(
                    f"{path} and {first_path} are not one run: {'.'.join(key)} "
                    f"{_at(results, key)!r} against {_at(first, key)!r}"
                )
    return [shards[index] for index in sorted(shards)]


def merge(paths: list[Path]) -> RunRecord:
    """One record holding every shard's outcomes, as the unsharded run's would. The checks
    the results name must be registered (the CLI loads every suite's first)."""
    loaded = load_shards(paths)
    first = loaded[0][1]
    target = dict(first["target"])
    target["shards"] = [str(path) for path, _ in loaded]
    target["leftBehind"] = [
        line for _, results in loaded for line in results["target"].get("leftBehind") or ()
    ]
    hosts = sorted({str(results.get("host")) for _, results in loaded})
    record = RunRecord(
        kind=first["kind"],
        target=target,
        tool=dict(first["tool"]),
        seed=first["seed"],
        profile=first["profile"],
        started_at=min(results["startedAt"] for _, results in loaded),
        host=", ".join(hosts),
    )
    finished = [results["finishedAt"] for _, results in loaded]
    record.finished_at = None if None in finished else max(finished)
    aborted = [
        f"shard {index}/{len(loaded)}: {results['aborted']}"
        for index, (_, results) in enumerate(loaded, start=1)
        if results.get("aborted")
    ]
    record.aborted = "; ".join(aborted) or None
    for path, results in loaded:
        for check in results["checks"]:
            record.add(_outcome(path, check))
    return record


def _outcome(path: Path, check: dict[str, Any]) -> Outcome:
    if check["id"] not in REGISTRY:
        raise MergeError(f"{path}: check {check['id']} is unknown to this version of ahi-contract")
    return Outcome(
        check["id"],
        check["subject"],
        check["status"],
        check.get("message") or "",
        [_evidence(item) for item in check.get("evidence") or () if isinstance(item, dict)],
        float(check.get("duration") or 0.0),
    )


def _evidence(shown: dict[str, Any]) -> Evidence:
    """Evidence as results.json shows it; the shard's HAR file is not merged, so the
    evidence names no exchange in it."""
    return Evidence(
        curl=shown.get("curl"),
        status=shown.get("status"),
        response_headers=dict(shown.get("response_headers") or {}),
        response_body=shown.get("response_body"),
        note=shown.get("note"),
    )
