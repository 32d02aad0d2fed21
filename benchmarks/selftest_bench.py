"""Kill rate and time-to-kill: `ahi-contract server --profile quick` against the plain
`schemathesis run` CLI (default checks, same spec, SigV4 signing added by a hook),
each against the emulator with one fault at a time. Prints figures, asserts nothing.

    .venv/bin/python benchmarks/selftest_bench.py [--fault NAME ...] [--seed 1]

For plain schemathesis the time to kill is its whole run (it reports failures
at the end); for the harness it is the time to its first failed check. There
is no plain tool that certifies SDKs through an adapter, so the SDK bugs are
measured by `ahi-contract selftest` alone.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.emulator import Emulator, EmulatorConfig, Limits  # noqa: E402
from harness.emulator.faults import FAULTS_BY_NAME  # noqa: E402
from harness.selftest.trials import Trial  # noqa: E402
from harness.server.options import ServerOptions  # noqa: E402
from harness.server.runner import execute  # noqa: E402

PLAIN = (
    "import sys; sys.path.insert(0, {root!r}); import benchmarks.sigv4_hooks; "
    "from schemathesis.cli import schemathesis; schemathesis()"
)


def _failures(junit: Path) -> set[str]:
    """Each failing test case and the first line of each failure in it."""
    found: set[str] = set()
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        for failure in [*case.iter("failure"), *case.iter("error")]:
            for line in (failure.get("message") or failure.text or "").splitlines()[:40]:
                if line.strip().startswith(("- ", "[")) or "check" in line.lower():
                    found.add(f"{case.get('name')}: {line.strip()[:120]}")
            found.add(f"{case.get('name')}: {(failure.get('message') or '').splitlines()[0:1]}")
    return found


def plain_schemathesis(fault: str | None, seed: int) -> tuple[set[str], float]:
    """(failures, seconds) for one plain run against the emulator with `fault`."""
    limits = Limits(
        datastores=1_000_000,
        datastore_transition_seconds=0.2,
        job_start_delay_seconds=0.2,
        concurrent_jobs_per_datastore=8,
    )
    config = EmulatorConfig(faults=(fault,) if fault else (), limits=limits)
    with Emulator(config) as emulator, tempfile.TemporaryDirectory() as reports:
        started = time.monotonic()
        junit = Path(reports) / "junit.xml"
        command = [
            sys.executable,
            "-c",
            PLAIN.format(root=str(ROOT)),
            "run",
            str(ROOT / "specs" / "medical-imaging.openapi.yaml"),
            "--url",
            emulator.url,
            "--seed",
            str(seed),
            "--max-examples",
            "6",
            "--no-color",
            "--report",
            "junit",
            "--report-junit-path",
            str(junit),
        ]
        subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=reports)
        seconds = time.monotonic() - started
        return (_failures(junit) if junit.exists() else {"no report"}), seconds


def whole_suite(fault: str | None, seed: int) -> Trial:
    """The whole quick server suite against the emulator with `fault` (the self-test runs
    only the fault's catching check)."""
    started = time.monotonic()
    record = execute(ServerOptions(seed=seed, faults=(fault,) if fault else ()))
    return Trial(
        fault or "unmodified emulator",
        tuple(record.failed_checks()),
        record.seconds_to_first_failure(),
        time.monotonic() - started,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", action="append", help="only these faults")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    names = arguments.fault or sorted(FAULTS_BY_NAME)

    baseline, clean_seconds = plain_schemathesis(None, arguments.seed)
    clean = whole_suite(None, arguments.seed)
    print(
        f"unmodified emulator: plain schemathesis reports {len(baseline)} failures "
        f"({clean_seconds:.1f} s), so a fault counts as killed only by failures beyond those; "
        f"ahi-contract {'FAILED' if clean.failed_checks else 'passed'} "
        f"({clean.wall_seconds:.1f} s)"
    )
    print(f"{'fault':<30} {'plain':>14} {'ahi-contract':>24}  caught by")
    plain_kills: list[float] = []
    ours_kills: list[float] = []
    plain_wall = ours_wall = 0.0
    for name in names:
        failures, seconds = plain_schemathesis(name, arguments.seed)
        killed = bool(failures - baseline)
        trial = whole_suite(name, arguments.seed)
        plain_wall += seconds
        ours_wall += trial.wall_seconds
        ours_killed = FAULTS_BY_NAME[name].caught_by in trial.failed_checks
        if killed:
            plain_kills.append(seconds)
        if ours_killed and trial.seconds_to_kill is not None:
            ours_kills.append(trial.seconds_to_kill)
        print(
            f"{name:<30} {('killed' if killed else 'missed'):>7} {seconds:5.1f} s "
            f"{('killed' if ours_killed else 'missed'):>10} first at "
            f"{(trial.seconds_to_kill or 0):5.1f} s  {FAULTS_BY_NAME[name].caught_by}"
        )
    count = len(names)
    for label, kills, wall in (
        ("plain schemathesis", plain_kills, plain_wall),
        ("ahi-contract server", ours_kills, ours_wall),
    ):
        figures = (
            f"median {statistics.median(kills):.1f} s, worst {max(kills):.1f} s"
            if kills
            else "no kills"
        )
        print(
            f"{label}: kill rate {len(kills)}/{count} ({100 * len(kills) / count:.0f} %), "
            f"time to kill {figures}, total wall time {wall:.0f} s"
        )


if __name__ == "__main__":
    main()
