"""`ahi-contract merge`: the shards of one run, and nothing else, make one report set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.report.merge import MergeError, merge
from harness.server.units import load_checks


@pytest.fixture(autouse=True)
def _server_checks_registered() -> None:
    load_checks()


def _shard(index: int, count: int, checks: dict[str, str], **fields: Any) -> dict[str, Any]:
    results: dict[str, Any] = {
        "schemaVersion": 1,
        "kind": "server",
        "tool": {"ahi-contract": "0.1.0", "modelSha256": "abc"},
        "target": {"faults": [], "leftBehind": [f"bucket of shard {index}"]},
        "profile": "quick",
        "seed": 7,
        "startedAt": 100.0 + index,
        "finishedAt": 200.0 + index,
        "host": "ci",
        "shard": {"index": index, "count": count},
        "checks": [
            {
                "id": check,
                "subject": subject,
                "status": status,
                "message": status,
                "duration": 1.5,
                "evidence": [{"curl": "curl -X GET http://x/", "status": 500, "note": "n"}],
            }
            for (check, subject), status in (
                (tuple(key.split(" ", 1)), value) for key, value in checks.items()
            )
        ],
    }
    results.update(fields)
    return results


def _write(folder: Path, *shards: dict[str, Any]) -> list[Path]:
    paths = []
    for number, results in enumerate(shards):
        path = folder / f"shard-{number}.json"
        path.write_text(json.dumps(results))
        paths.append(path)
    return paths


def test_outcomes_of_every_shard_are_pooled_and_a_check_judged_in_several_fails_if_any_did(
    tmp_path: Path,
) -> None:
    paths = _write(
        tmp_path,
        _shard(2, 2, {"QUOTA-402 CreateDatastore": "passed", "RESPONSE-TIME run": "failed"}),
        _shard(1, 2, {"SEARCH-SORT SearchImageSets": "passed", "RESPONSE-TIME run": "passed"}),
    )
    record = merge(paths)
    merged = {(o.check_id, o.subject): o.status for o in record.merged()}
    assert merged == {
        ("QUOTA-402", "CreateDatastore"): "passed",
        ("SEARCH-SORT", "SearchImageSets"): "passed",
        ("RESPONSE-TIME", "run"): "failed",
    }
    assert record.started_at == 101.0 and record.finished_at == 202.0
    assert record.target["leftBehind"] == ["bucket of shard 1", "bucket of shard 2"]
    assert record.shard is None and not record.passed
    failed = next(o for o in record.merged() if o.status == "failed")
    assert failed.evidence[0].status == 500 and failed.evidence[0].exchange is None


@pytest.mark.parametrize(
    ("shards", "reason"),
    [
        ([_shard(1, 3, {}), _shard(3, 3, {})], "missing shard(s) 2/3"),
        ([_shard(1, 2, {}), _shard(1, 2, {})], "shard 1/2 again"),
        ([_shard(1, 2, {}), _shard(2, 3, {})], "different splits"),
        ([_shard(1, 2, {}), _shard(2, 2, {}, seed=8)], "seed 8 against 7"),
        ([_shard(1, 2, {}), _shard(2, 2, {}, kind="sdk")], "kind 'sdk' against 'server'"),
        (
            [_shard(1, 2, {}), _shard(2, 2, {}, tool={"ahi-contract": "0.1.0"})],
            "tool.modelSha256 None against 'abc'",
        ),
        (
            [_shard(1, 2, {}), _shard(2, 2, {}, target={"faults": ["list-filter-ignored"]})],
            "target.faults",
        ),
        (
            [
                _shard(1, 2, {}),
                _shard(2, 2, {}, target={"faults": [], "selection": {"include": ["search"]}}),
            ],
            "target.selection",
        ),
        ([_shard(1, 2, {}), _shard(2, 2, {}, shard=None)], "not a shard"),
        ([_shard(1, 2, {"NO-SUCH-CHECK x": "passed"}), _shard(2, 2, {})], "unknown to this"),
    ],
)
def test_what_is_not_the_shards_of_one_run_is_refused_in_one_line(
    tmp_path: Path, shards: list[dict[str, Any]], reason: str
) -> None:
    with pytest.raises(MergeError, match=reason.replace("(", r"\(").replace(")", r"\)")):
        merge(_write(tmp_path, *shards))


def test_the_command_writes_one_report_set_and_exits_1_on_a_failure_2_on_a_refusal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = _write(
        tmp_path,
        _shard(1, 2, {"QUOTA-402 CreateDatastore": "passed"}),
        _shard(2, 2, {"SEARCH-SORT SearchImageSets": "failed"}),
    )
    out = tmp_path / "merged"
    assert main(["merge", *map(str, paths), "--report-dir", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "2 shards of a server run: 1 passed, 1 failed" in printed
    results = json.loads((out / "results.json").read_text())
    assert results["shard"] is None and results["status"] == "failed"
    assert {check["id"] for check in results["checks"]} == {"QUOTA-402", "SEARCH-SORT"}
    assert sorted(p.name for p in out.iterdir()) == [
        "junit.xml",
        "report.html",
        "results.json",
        "summary.md",
    ]
    assert main(["diff", str(out / "results.json"), str(out / "results.json")]) == 0
    assert main(["merge", str(paths[0]), "--report-dir", str(out)]) == 2
    assert "missing shard(s) 2/2" in capsys.readouterr().err
