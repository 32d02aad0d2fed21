"""The commands that replay a run's failures, computed from the record alone.

A failed check replays on its own: `ahi-contract server` with the run's seed
and profile, narrowed to the check with `--check`, against the run's endpoint
(a run against the embedded emulator replays with the embedded emulator and
the run's `--fault`s, so it needs nothing started first); an SDK scenario
replays with `ahi-contract sdk --adapter ... --scenario ...`.

The requests that showed a failure are evidence. One that names no resource of
the run (only well-formed ids nothing has) is sent again as it was: against the
given endpoint, or against an emulator that `emulator_setup` starts on a free
port with the run's faults (its URL in `$AHI_ENDPOINT`, found on the
`service: URL` line the emulator prints first). One that names a data store,
job or image set the run made only shows what happened: a fresh target has no
such resource, so the check's replay command is what reproduces it.
Credentials come from the environment, as every AWS tool's do; the emulator's
are `test`/`test`.
"""

from __future__ import annotations

import re
import shlex

from harness.checks import REGISTRY
from harness.model.samples import UNKNOWN_ID
from harness.report.record import Outcome, RunRecord

STEP_CHECK = "SUITE-STEP"
RETRIES_2026 = "2026"
"""What an SDK run's `target.retries.asked` holds when it ran with `--retries-2026`."""
ENDPOINT_VARIABLE = "AHI_ENDPOINT"
"""The shell variable holding the URL of the emulator `emulator_setup` starts."""
EMULATOR_VARIABLE = "AHI_EMULATOR"
"""The shell variable holding the process id of that emulator."""
LOG_VARIABLE = "AHI_EMULATOR_LOG"
START_SECONDS = 30
"""How long `emulator_setup` waits for the emulator to answer before it gives up."""
_POLL_SECONDS = 0.2
_RESOURCE = re.compile(
    r"(?P<kind>datastore|imageSet|imageset|job)(?:/|%2[Ff])(?P<id>[0-9a-z]{32})(?![0-9a-z])"
    r'|"(?P<member>datastoreId|imageSetId|sourceImageSetId|jobId)"\s*:\s*"(?P<value>[0-9a-z]{32})"'
)
_KINDS = {
    "datastore": "data store",
    "datastoreId": "data store",
    "imageSet": "image set",
    "imageset": "image set",
    "imageSetId": "image set",
    "sourceImageSetId": "image set",
    "job": "job",
    "jobId": "job",
}


def _quoted(words: list[str]) -> str:
    return " ".join(shlex.quote(word) for word in words)


def embedded(record: RunRecord) -> bool:
    """Whether `record` is a server run against the embedded emulator."""
    return record.kind == "server" and bool(record.target.get("embedded"))


def emulator_command(record: RunRecord) -> list[str]:
    """`ahi-contract emulator` on a free port with the run's region, job quota and faults."""
    target = record.target
    command = ["ahi-contract", "emulator", "--port", "0"]
    if target.get("region") and target["region"] != "us-east-1":
        command += ["--region", str(target["region"])]
    if target.get("jobQuota"):
        command += ["--concurrent-job-quota", str(target["jobQuota"])]
    for fault in target.get("faults") or []:
        command += ["--fault", str(fault)]
    return command


def emulator_setup(record: RunRecord, start_seconds: int = START_SECONDS) -> list[str]:
    """Shell lines (bash) that start an emulator as the embedded run had it, on a free port,
    and put its URL in `$AHI_ENDPOINT`; [] for other targets.

    They wait for the emulator's first line (`service: URL`) at most `start_seconds`, then
    print why it did not start and exit 1; the emulator stops when the shell exits, or
    with `emulator_stop`.
    """
    if not embedded(record):
        return []
    log, pid = f'"${LOG_VARIABLE}"', f'"${EMULATOR_VARIABLE}"'
    polls = round(start_seconds / _POLL_SECONDS)
    return [
        "export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test",
        f"{LOG_VARIABLE}=$(mktemp)",
        f"{_quoted(emulator_command(record))} > {log} 2>&1 &",
        f"{EMULATOR_VARIABLE}=$!",
        f"trap 'kill {pid} 2>/dev/null; rm -f {log}' EXIT",
        "polls=0",
        f"until grep -q '^service: ' {log}; do",
        f'  if [ "$polls" -ge {polls} ] || ! kill -0 {pid} 2>/dev/null; then',
        f'    echo "the emulator did not start within {start_seconds} s:" >&2; cat {log} >&2',
        f"    kill {pid} 2>/dev/null; exit 1",
        "  fi",
        f"  sleep {_POLL_SECONDS}; polls=$((polls + 1))",
        "done",
        f"{ENDPOINT_VARIABLE}=$(sed -n 's/^service: //p' {log} | head -n 1)",
    ]


def emulator_stop(record: RunRecord) -> list[str]:
    """Shell lines that stop the emulator `emulator_setup` started; [] for other targets."""
    if not embedded(record):
        return []
    return [f'kill "${EMULATOR_VARIABLE}"; rm -f "${LOG_VARIABLE}"; trap - EXIT']


def run_resources(curl: str) -> list[tuple[str, str]]:
    """The (kind, id) of each data store, job or image set a request names, other than the
    well-formed id nothing has: resources the run made, which a fresh target does not have."""
    found: list[tuple[str, str]] = []
    for match in _RESOURCE.finditer(curl):
        kind = _KINDS[match["kind"] or match["member"]]
        value = match["id"] or match["value"]
        if value != UNKNOWN_ID and (kind, value) not in found:
            found.append((kind, value))
    return found


def evidence_label(curl: str, command: str | None) -> str | None:
    """What to say of a request that cannot be sent again on its own: it names resources
    the run made, so replay the check instead; None for a request that replays as it is."""
    resources = run_resources(curl)
    if not resources:
        return None
    names = ", ".join(f"{kind} {value}" for kind, value in resources)
    label = f"evidence: this request names resources the run made ({names})"
    return f"{label}; replay the check with: {command}" if command else label


def standalone_curl(record: RunRecord, curl: str) -> str:
    """`curl` as it is sent again: for an embedded run, to the emulator `emulator_setup`
    starts (`$AHI_ENDPOINT`) instead of the run's, which is gone."""
    endpoint = str(record.target.get("endpoint") or "")
    if not embedded(record) or not endpoint:
        return curl
    variable = f'"${ENDPOINT_VARIABLE}"'
    after = r"(?=[/?'\s]|$)"
    curl = re.sub(rf"'{re.escape(endpoint)}{after}", lambda _: f"{variable}'", curl)
    return re.sub(rf"(?<=\s){re.escape(endpoint)}{after}", lambda _: variable, curl)


def _check_selector(outcome: Outcome) -> str | None:
    """What `--check` names to replay `outcome`: its check, or the step's check."""
    if outcome.check_id != STEP_CHECK:
        return outcome.check_id
    return outcome.subject if outcome.subject in REGISTRY else None


def server_command(record: RunRecord, outcome: Outcome | None = None) -> str:
    """`ahi-contract server ...` replaying the run, or only `outcome`'s check: against the
    run's endpoint, or (embedded) the embedded emulator with the run's faults."""
    target = record.target
    options: list[tuple[str, str]] = []
    if not target.get("embedded"):
        options.append(("--endpoint", str(target.get("endpoint", ""))))
    if target.get("region"):
        options.append(("--region", str(target["region"])))
    if not target.get("embedded"):
        if target.get("s3Endpoint"):
            options.append(("--s3-endpoint", str(target["s3Endpoint"])))
        if target.get("jobQuota"):
            options.append(("--job-quota", str(target["jobQuota"])))
    else:
        options += [("--fault", str(fault)) for fault in target.get("faults") or []]
    if record.seed is not None:
        options.append(("--seed", str(record.seed)))
    if record.profile:
        options.append(("--profile", record.profile))
    selector = _check_selector(outcome) if outcome is not None else None
    if selector:
        options.append(("--check", selector))
    return " ".join(
        ["ahi-contract server"] + [f"{name} {shlex.quote(value)}" for name, value in options]
    )


def sdk_command(record: RunRecord, outcome: Outcome) -> str:
    """`ahi-contract sdk ...` replaying one scenario with the run's adapter."""
    command = ["ahi-contract", "sdk"]
    if record.target.get("adapter"):
        command += ["--adapter", str(record.target["adapter"])]
    retries = record.target.get("retries")
    if isinstance(retries, dict) and retries.get("asked") == RETRIES_2026:
        command.append("--retries-2026")
    if outcome.check_id in REGISTRY and outcome.check.family != "harness":
        command += ["--scenario", outcome.check_id]
    return _quoted(command)


def replay_command(record: RunRecord, outcome: Outcome) -> str | None:
    """The command that replays `outcome` against the run's target (None for a self-test,
    whose outcomes are whole runs, and for a refused run, which has none)."""
    if record.refused is not None:
        return None
    if record.kind == "sdk":
        return sdk_command(record, outcome)
    if record.kind == "server":
        return server_command(record, outcome)
    return None
