"""`ahi-contract emulator`: run the reference emulator in the foreground."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from harness.emulator import FAULTS, Emulator, EmulatorConfig, Limits


def register(subcommands: Any) -> None:
    """Add `emulator` to the root parser."""
    defaults = Limits()
    parser = subcommands.add_parser(
        "emulator", help="run the reference HealthImaging import-job emulator"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument(
        "--s3-endpoint", help="use this S3 endpoint instead of starting an embedded one"
    )
    parser.add_argument("--s3-access-key", default="test")
    parser.add_argument("--s3-secret-key", default="test")
    parser.add_argument("--state", type=Path, help="keep state in this SQLite file")
    parser.add_argument(
        "--credentials",
        action="append",
        metavar="KEY:SECRET[:Action,...]",
        help="accepted SigV4 credentials, optionally limited to actions (default test:test)",
    )
    parser.add_argument("--fault", action="append", default=[], metavar="NAME")
    parser.add_argument("--list-faults", action="store_true", help="list the faults and exit")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument(
        "--concurrent-job-quota", type=int, default=defaults.concurrent_jobs_per_datastore
    )
    parser.add_argument(
        "--datastore-delay",
        type=float,
        default=defaults.datastore_transition_seconds,
        help="seconds a data store stays CREATING or DELETING",
    )
    parser.add_argument(
        "--job-delay",
        type=float,
        default=defaults.job_start_delay_seconds,
        help="seconds a job stays SUBMITTED before it runs",
    )
    parser.add_argument(
        "--write-delay",
        type=float,
        default=defaults.image_set_write_seconds,
        help="seconds an image set stays LOCKED after an update, copy or delete",
    )
    parser.set_defaults(run=run)


def config_from(arguments: argparse.Namespace) -> EmulatorConfig:
    """The emulator configuration the command line describes."""
    return EmulatorConfig(
        host=arguments.host,
        port=arguments.port,
        s3_endpoint=arguments.s3_endpoint,
        s3_access_key=arguments.s3_access_key,
        s3_secret_key=arguments.s3_secret_key,
        state=arguments.state,
        credentials=tuple(arguments.credentials or ("test:test",)),
        faults=tuple(arguments.fault),
        region=arguments.region,
        limits=Limits(
            concurrent_jobs_per_datastore=arguments.concurrent_job_quota,
            datastore_transition_seconds=arguments.datastore_delay,
            job_start_delay_seconds=arguments.job_delay,
            image_set_write_seconds=arguments.write_delay,
        ),
    )


def run(arguments: argparse.Namespace) -> int:
    if arguments.list_faults:
        width = max(len(fault.name) for fault in FAULTS)
        for fault in FAULTS:
            print(f"{fault.name:<{width}}  {fault.description}")
        return 0
    emulator = Emulator(config_from(arguments))

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    emulator.start()
    try:
        print(f"service: {emulator.url}", flush=True)
        print(f"s3: {emulator.s3_url}", flush=True)
        if emulator.faults.enabled:
            print(f"faults: {', '.join(sorted(emulator.faults.enabled))}", flush=True)
        if emulator.resumed_jobs:
            print(f"resumed jobs: {emulator.resumed_jobs}", flush=True)
        emulator.serve_forever()
    except KeyboardInterrupt:
        print("stopping", file=sys.stderr, flush=True)
    finally:
        emulator.stop()
    return 0
