"""What a server run sets up on a real target, what it leaves, and the IAM it needs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import harness
from harness.model.scope import IN_SCOPE_OPERATIONS
from harness.server import cleanup, environment

IAM = Path(__file__).resolve().parents[2] / "docs" / "iam"
# The boto3 S3 methods the harness calls, and the IAM action each needs
# (Amazon S3 API Reference; the Service Authorization Reference for Amazon S3).
S3_ACTIONS = {
    "create_bucket": "s3:CreateBucket",
    "delete_bucket": "s3:DeleteBucket",
    "put_object": "s3:PutObject",
    "get_object": "s3:GetObject",
    "delete_objects": "s3:DeleteObject",
    "list_objects_v2": "s3:ListBucket",
}


class _S3:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def create_bucket(self, **arguments: Any) -> None:
        self.calls.append(arguments)


@pytest.mark.parametrize(
    ("region", "configuration"),
    [
        ("us-east-1", None),
        ("eu-west-1", {"LocationConstraint": "eu-west-1"}),
        ("ap-southeast-2", {"LocationConstraint": "ap-southeast-2"}),
    ],
)
def test_buckets_outside_us_east_1_name_their_region(
    region: str, configuration: dict[str, str] | None
) -> None:
    s3 = _S3()
    environment.create_bucket(s3, "ahi-contract-x", region)
    assert s3.calls == [
        {"Bucket": "ahi-contract-x"}
        if configuration is None
        else {"Bucket": "ahi-contract-x", "CreateBucketConfiguration": configuration}
    ]


def test_the_plan_says_what_a_run_makes_and_removes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cleanup.KEEP_VARIABLE, raising=False)
    lines = environment.plan("https://imaging.test", "eu-west-1", 9, None, 4, 7)
    text = "\n".join(lines)
    assert lines[0].startswith("target: https://imaging.test; region eu-west-1; 7 worker")
    assert "S3 bucket ahi-contract-<run id> in eu-west-1" in text
    assert "emptied and deleted at the end" in text
    assert "data store ahi-contract-<run id>, for the known DICOM set's imports; deleted" in text
    assert "ahi-contract-quota-<id> with 4 import jobs of an empty prefix; deleted" in text
    assert "schemathesis's valid CreateDatastore cases; deleted at the end" in text
    assert "STAYS" not in text and "kept" not in text
    monkeypatch.setenv(cleanup.KEEP_VARIABLE, "1")
    kept = "\n".join(environment.plan(None, "us-east-1", 1, "a" * 32, None, 7))
    assert "bucket" in kept and "kept (--keep)" in kept and "deleted at the end" not in kept
    assert f"nothing in data store {'a' * 32} (yours, never deleted)" in kept
    assert "quota" not in kept


def _actions(policy: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for statement in policy["Statement"]:
        actions = statement["Action"]
        found.update([actions] if isinstance(actions, str) else actions)
    return found


def _s3_methods_called() -> set[str]:
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for path in Path(harness.__file__).parent.rglob("*.py")
        # the emulator's own S3 calls, its command's included, are not the caller's
        if not {"emulator", "emulator.py", "adapters"} & set(path.parts)
    )
    calls = set(re.findall(r"\bs3(?:_client)?\.(\w+)\(", source))
    calls |= set(re.findall(r"get_paginator\(\"(\w+)\"\)", source))
    return calls - {"get_paginator", "paginate"}


def test_the_caller_policy_grants_exactly_what_the_harness_calls() -> None:
    policy = json.loads((IAM / "caller-policy.json").read_text())
    actions = _actions(policy)
    called = _s3_methods_called()
    assert called <= set(S3_ACTIONS), (
        f"map these S3 calls to IAM actions: {called - set(S3_ACTIONS)}"
    )
    expected = {f"medical-imaging:{operation}" for operation in IN_SCOPE_OPERATIONS}
    expected |= {S3_ACTIONS[method] for method in called}
    expected.add("iam:PassRole")
    assert actions == expected
    passing = [s for s in policy["Statement"] if s["Action"] == "iam:PassRole"]
    assert passing[0]["Condition"]["StringEquals"]["iam:PassedToService"] == (
        "medical-imaging.amazonaws.com"
    )


def test_the_import_role_reads_input_writes_results_and_trusts_only_healthimaging() -> None:
    role = json.loads((IAM / "import-role-policy.json").read_text())
    assert _actions(role) == {"s3:ListBucket", "s3:GetObject", "s3:PutObject"}
    trust = json.loads((IAM / "import-role-trust-policy.json").read_text())
    assert _actions(trust) == {"sts:AssumeRole"}
    assert [s["Principal"] for s in trust["Statement"]] == [
        {"Service": "medical-imaging.amazonaws.com"}
    ]


class _Context:
    def __init__(self, disposable: bool) -> None:
        self.target = type("Target", (), {"disposable": disposable})()
        self.calls: list[str] = []
        self.bucket = None
        self.s3 = None

    def call(self, operation: str, **params: object) -> None:
        self.calls.append(operation)
        raise AssertionError("tear-down sent a request")


@pytest.mark.parametrize(("keep", "disposable"), [("1", False), ("0", True)])
def test_kept_or_disposable_targets_are_not_touched_at_tear_down(
    monkeypatch: pytest.MonkeyPatch, keep: str, disposable: bool
) -> None:
    monkeypatch.setenv(cleanup.KEEP_VARIABLE, keep)
    context = _Context(disposable)
    assert environment.tear_down(context) == []  # type: ignore[arg-type]
    assert context.calls == []
