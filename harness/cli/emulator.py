"""`ahi-contract emulator`: run the reference emulator in the foreground."""

from __future__ import annotations

import argparse
import errno
import signal
import sqlite3
import sys
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from harness.emulator import FAULTS, Emulator, EmulatorConfig, Limits
from harness.emulator.http_server import HEALTH_PATH
from harness.model.scope import IN_SCOPE_OPERATIONS


class InputError(ValueError):
    """A command-line value the emulator cannot run with; one line, exit 2."""


def check_port(port: int) -> int:
    """A TCP port number (0: any free port); InputError otherwise."""
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port} is outside 0-65535")
    return port


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
        "--access-log",
        metavar="FILE",
        help="one line per request (method, path, status, error type, milliseconds); - for stderr",
    )
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


def check_credentials(pairs: list[str]) -> tuple[str, ...]:
    """`KEY:SECRET[:Action,...]` strings, each action an operation of the API; InputError."""
    known = set(IN_SCOPE_OPERATIONS)
    for pair in pairs:
        parts = pair.split(":", 2)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise InputError(f"--credentials must be KEY:SECRET[:Action,...], not {pair!r}")
        if len(parts) == 3:
            unknown = sorted(set(parts[2].split(",")) - known)
            if unknown:
                raise InputError(
                    f"--credentials {parts[0]}: unknown action(s) {', '.join(unknown)} "
                    "(actions are HealthImaging operation names, e.g. GetDatastore)"
                )
    return tuple(pairs)


def check_state(path: Path | None) -> None:
    """The `--state` file opens as SQLite and can be written; InputError otherwise."""
    if path is None:
        return
    try:
        connection = sqlite3.connect(str(path))
        try:
            connection.execute("PRAGMA schema_version").fetchone()
            connection.execute("BEGIN IMMEDIATE")
            connection.rollback()
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise InputError(f"--state {path}: not a usable SQLite file ({error})") from None


def config_from(arguments: argparse.Namespace, access_log: IO[str] | None = None) -> EmulatorConfig:
    """The emulator configuration the command line describes."""
    return EmulatorConfig(
        host=arguments.host,
        port=check_port(arguments.port),
        s3_endpoint=arguments.s3_endpoint,
        s3_access_key=arguments.s3_access_key,
        s3_secret_key=arguments.s3_secret_key,
        state=arguments.state,
        credentials=check_credentials(arguments.credentials or ["test:test"]),
        faults=tuple(arguments.fault),
        region=arguments.region,
        limits=Limits(
            concurrent_jobs_per_datastore=arguments.concurrent_job_quota,
            datastore_transition_seconds=arguments.datastore_delay,
            job_start_delay_seconds=arguments.job_delay,
            image_set_write_seconds=arguments.write_delay,
        ),
        access_log=access_log,
    )


def run(arguments: argparse.Namespace) -> int:
    if arguments.list_faults:
        width = max(len(fault.name) for fault in FAULTS)
        for fault in FAULTS:
            print(f"{fault.name:<{width}}  {fault.description}")
        return 0
    with ExitStack() as stack:
        access_log: IO[str] | None = None
        if arguments.access_log == "-":
            access_log = sys.stderr
        elif arguments.access_log:
            try:
                access_log = stack.enter_context(open(arguments.access_log, "a", encoding="utf-8"))
            except OSError as error:
                raise InputError(f"--access-log {arguments.access_log}: {error.strerror}") from None
        config = config_from(arguments, access_log)
        check_state(config.state)
        return _serve(Emulator(config))
    return 0


def _serve(emulator: Emulator) -> int:
    """Start, print the URLs, serve until SIGTERM or SIGINT; stop cleanly, exit 0."""
    stopping = threading.Event()

    def stop(signum: int, frame: Any) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            emulator.start()
        except OSError as error:
            if error.errno == errno.EADDRINUSE or "in use" in str(error):
                config = emulator.config
                raise InputError(f"port {config.port} on {config.host} is in use") from None
            raise
        except sqlite3.Error as error:
            raise InputError(f"--state {emulator.config.state}: {error}") from None
        print(f"service: {emulator.url}", flush=True)
        print(f"s3: {emulator.s3_url}", flush=True)
        print(f"health: {emulator.url}{HEALTH_PATH}", flush=True)
        if emulator.faults.enabled:
            print(f"faults: {', '.join(sorted(emulator.faults.enabled))}", flush=True)
        if emulator.resumed_jobs:
            print(f"resumed jobs: {emulator.resumed_jobs}", flush=True)
        while not stopping.wait(0.5):
            pass
        print("stopping", file=sys.stderr, flush=True)
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
