"""The commands that replay a run's failures, computed from the record alone.

A server run against a given endpoint replays as `ahi-contract server` with the
same endpoint, seed and profile, narrowed to the failed check with `--check`.
A run against the embedded emulator first starts that emulator on the port the
run used (so the curl commands in the evidence reach it) with the run's faults,
then points the server suite at it. Credentials come from the environment, as
every AWS tool's do; the emulator's are `test`/`test`.
"""

from __future__ import annotations

import shlex
from urllib.parse import urlsplit

from harness.checks import REGISTRY
from harness.report.record import Outcome, RunRecord

EMULATOR_LOG = "emulator.log"
STEP_CHECK = "SUITE-STEP"


def _quoted(words: list[str]) -> str:
    return " ".join(shlex.quote(word) for word in words)


def emulator_setup(record: RunRecord) -> list[str]:
    """Shell lines that start the embedded emulator as the run had it; [] for other targets."""
    target = record.target
    if record.kind != "server" or not target.get("embedded"):
        return []
    port = urlsplit(str(target.get("endpoint", ""))).port
    command = ["ahi-contract", "emulator"]
    if port:
        command += ["--port", str(port)]
    if target.get("region") and target["region"] != "us-east-1":
        command += ["--region", str(target["region"])]
    if target.get("jobQuota"):
        command += ["--concurrent-job-quota", str(target["jobQuota"])]
    for fault in target.get("faults") or []:
        command += ["--fault", str(fault)]
    return [
        "export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test",
        f"{_quoted(command)} > {EMULATOR_LOG} 2>&1 &",
        f"until grep -q '^s3: ' {EMULATOR_LOG}; do sleep 0.2; done",
    ]


def _check_selector(outcome: Outcome) -> str | None:
    """What `--check` names to replay `outcome`: its check, or the step's check."""
    if outcome.check_id != STEP_CHECK:
        return outcome.check_id
    return outcome.subject if outcome.subject in REGISTRY else None


def server_command(record: RunRecord, outcome: Outcome | None = None) -> str:
    """`ahi-contract server ...` replaying the run, or only `outcome`'s check."""
    target = record.target
    options: list[tuple[str, str]] = [("--endpoint", str(target.get("endpoint", "")))]
    if target.get("region"):
        options.append(("--region", str(target["region"])))
    if target.get("s3Endpoint"):
        options.append(("--s3-endpoint", str(target["s3Endpoint"])))
    if target.get("jobQuota"):
        options.append(("--job-quota", str(target["jobQuota"])))
    if record.seed is not None:
        options.append(("--seed", str(record.seed)))
    if record.profile:
        options.append(("--profile", record.profile))
    selector = _check_selector(outcome) if outcome is not None else None
    if selector:
        options.append(("--check", selector))
    words = ["ahi-contract server"] + [f"{name} {shlex.quote(value)}" for name, value in options]
    if target.get("embedded"):
        words.insert(2, f"--s3-endpoint \"$(sed -n 's/^s3: //p' {EMULATOR_LOG})\"")
    return " ".join(words)


def sdk_command(record: RunRecord, outcome: Outcome) -> str:
    """`ahi-contract sdk ...` replaying one scenario with the run's adapter."""
    command = ["ahi-contract", "sdk"]
    if record.target.get("adapter"):
        command += ["--adapter", str(record.target["adapter"])]
    if outcome.check_id in REGISTRY and outcome.check.family != "harness":
        command += ["--scenario", outcome.check_id]
    return _quoted(command)


def replay_command(record: RunRecord, outcome: Outcome) -> str | None:
    """The command that replays `outcome` against the run's target (None for a self-test,
    whose outcomes are whole runs)."""
    if record.kind == "sdk":
        return sdk_command(record, outcome)
    if record.kind == "server":
        return server_command(record, outcome)
    return None
