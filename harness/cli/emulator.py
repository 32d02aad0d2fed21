"""`ahi-contract emulator`: run the reference emulator in the foreground."""

from __future__ import annotations

import argparse
import dataclasses
import errno
import json
import math
import shlex
import signal
import sqlite3
import sys
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any

from harness.arguments.types import non_negative_int, url
from harness.cli import TRACEBACK_VARIABLE, did_you_mean
from harness.emulator import FAULTS, Emulator, EmulatorConfig, Limits
from harness.emulator.http.server import HEALTH_PATH
from harness.emulator.imports.preparation import PROCESS_MIN_FILES, default_processes
from harness.emulator.loading import (
    Loader,
    LoadError,
    LoadFailed,
    LoadFile,
    LoadRecords,
    LoadStopped,
    MemoryLoadRecords,
    StateLoadRecords,
    find_files,
    require_dicom,
    sample_files,
)
from harness.emulator.testing import RunningEmulator
from harness.model.scope import IN_SCOPE_OPERATIONS

DESCRIPTION = (
    "Run the reference HealthImaging emulator in the foreground: all 18 operations on a "
    "loopback port, SigV4 checked, import jobs that read DICOM files from S3 (an embedded "
    "S3 unless --s3-endpoint is given). Once it answers it prints its URLs, region, the "
    "credentials it accepts and `export` lines that point the AWS CLI, boto3 and other "
    "SDKs at it, then `ready`; it serves until Ctrl-C or SIGTERM. With --load or "
    "--load-sample it first imports DICOM files into a new data store, through its own S3 "
    "as any client would, and prints what became of each file as one JSON document."
)
EPILOG = f"""\
printed on stdout at start, one per line:
  service: URL, s3: URL, health: URL, faults: ... (if any), resumed jobs: N (if any),
  region: REGION, credentials: KEY / SECRET, the `export` lines to paste
  (AWS_ENDPOINT_URL_MEDICAL_IMAGING, AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_DEFAULT_REGION, AWS_DISABLE_HOST_PREFIX_INJECTION),
  then, with --load or --load-sample, one JSON document: datastoreId, datastoreName,
  digest, jobIds, reused (true: --state held this unchanged set, nothing was imported),
  imageSetIds, imported (per file: file, imageSetId, isPrimary, sopInstanceUid,
  seriesInstanceUid, studyInstanceUid) and refused (per file: file, reason,
  exceptionType);
  then `ready`

exit status:
  0  stopped by SIGTERM or SIGINT (Ctrl-C); with --state, unfinished jobs resume on the
     next start
  2  refused before serving: a port in use, a bad option or value, an unknown --fault,
     an unusable --state or --access-log file, a --load path that names no file or
     files none of which is DICOM P10, a load that failed (an import job FAILED, an S3
     that does not answer); one line on stderr says why

environment:
  HTTP_PROXY, HTTPS_PROXY, NO_PROXY, AWS_CA_BUNDLE
                             read by botocore for the emulator's own S3 calls
  MOTO_*                     moto's settings, for the embedded S3
  {TRACEBACK_VARIABLE}=1   show the traceback of an internal error
"""


class InputError(ValueError):
    """A command-line value the emulator cannot run with; one line, exit 2."""


def check_port(port: int) -> int:
    """A TCP port number (0: any free port); InputError otherwise."""
    if not 0 <= port <= 65535:
        raise InputError(f"--port {port} is outside 0-65535")
    return port


def seconds(text: str) -> float:
    """A finite number of seconds, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds, 0 or more")
    return value


def register(subcommands: Any) -> None:
    """Add `emulator` to the root parser."""
    defaults = Limits()
    parser = subcommands.add_parser(
        "emulator",
        help="run the reference HealthImaging emulator and its S3",
        description=DESCRIPTION,
        epilog=EPILOG,
    )
    parser.add_argument(
        "--host", default="127.0.0.1", metavar="ADDRESS", help="address the service listens on"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=0,
        help="TCP port of the service; 0 picks a free port (default: 0)",
    )
    parser.add_argument(
        "--s3-endpoint",
        type=url,
        metavar="URL",
        help="S3 endpoint the import jobs read and write (default: start an embedded S3, "
        "moto's, in a process of its own, on a free port of --host)",
    )
    parser.add_argument(
        "--s3-access-key",
        default="test",
        metavar="KEY",
        help="access key the emulator signs its S3 calls with",
    )
    parser.add_argument(
        "--s3-secret-key",
        default="test",
        metavar="SECRET",
        help="secret key the emulator signs its S3 calls with",
    )
    parser.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="keep data stores, jobs and image sets in this SQLite file (created if missing), "
        "so they survive a restart (default: in memory)",
    )
    parser.add_argument(
        "--load",
        action="append",
        default=[],
        metavar="PATH",
        help="before `ready`, import these DICOM P10 files into a new data store: a file, a "
        "folder (every file below it) or a glob pattern; repeatable; files the import "
        "refuses are listed with the reason; with --state an unchanged set is imported once",
    )
    parser.add_argument(
        "--load-sample",
        action="store_true",
        help="load the bundled known set too: pydicom's CT, MR, RT dose, JPEG 2000 and RLE "
        "files and broken ones the import refuses",
    )
    parser.add_argument(
        "--credentials",
        action="append",
        metavar="KEY:SECRET[:Action,...]",
        help="SigV4 credentials the service accepts, optionally limited to these operations; "
        "repeatable; the first is printed in the export lines (default: test:test)",
    )
    parser.add_argument(
        "--region",
        default="us-east-1",
        help="the region requests must be signed for and ARNs name",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME",
        help="turn on a named deviation from the documented service; repeatable "
        "(default: none, the emulator is correct; names: --list-faults)",
    )
    parser.add_argument(
        "--list-faults",
        action="store_true",
        help="print every fault (name, what it does, the check that catches it) and exit",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="how --list-faults prints; json: a list of {name, description, caughtBy}",
    )
    parser.add_argument(
        "--access-log",
        metavar="FILE",
        help="append one line per request (method, path, status, error type, milliseconds); "
        "- for stderr (default: no log)",
    )
    parser.add_argument(
        "--datastore-quota",
        type=non_negative_int,
        default=defaults.datastores,
        metavar="N",
        help="data stores the account may hold (DELETED ones aside); CreateDatastore beyond "
        "it is 402 ServiceQuotaExceededException (default: %(default)s, the documented quota)",
    )
    parser.add_argument(
        "--concurrent-job-quota",
        type=non_negative_int,
        default=defaults.concurrent_jobs_per_datastore,
        metavar="N",
        help="unfinished import jobs per data store; StartDICOMImportJob beyond it is 402 "
        "ServiceQuotaExceededException (default: %(default)s, the documented quota)",
    )
    parser.add_argument(
        "--datastore-delay",
        type=seconds,
        default=defaults.datastore_transition_seconds,
        metavar="SECONDS",
        help="seconds a data store stays CREATING or DELETING",
    )
    parser.add_argument(
        "--job-delay",
        type=seconds,
        default=defaults.job_start_delay_seconds,
        metavar="SECONDS",
        help="seconds a job stays SUBMITTED before it runs",
    )
    parser.add_argument(
        "--import-processes",
        type=non_negative_int,
        default=default_processes(),
        metavar="N",
        help="worker processes that prepare the files of an import of at least "
        f"{PROCESS_MIN_FILES} files; 0 prepares them on threads of the service's process "
        "(default: %(default)s: one a core but one, up to 4)",
    )
    parser.add_argument(
        "--write-delay",
        type=seconds,
        default=defaults.image_set_write_seconds,
        metavar="SECONDS",
        help="seconds an image set stays LOCKED after an update, copy or delete",
    )
    parser.set_defaults(run=run)


def check_faults(names: list[str]) -> tuple[str, ...]:
    """Fault names the switchboard knows; InputError naming the first unknown one."""
    known = [fault.name for fault in FAULTS]
    for name in names:
        if name not in known:
            raise InputError(
                f"--fault {name}: no such fault{did_you_mean(name, known)} (see --list-faults)"
            )
    return tuple(names)


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
        faults=check_faults(arguments.fault),
        region=arguments.region,
        limits=Limits(
            concurrent_jobs_per_datastore=arguments.concurrent_job_quota,
            datastores=arguments.datastore_quota,
            datastore_transition_seconds=arguments.datastore_delay,
            job_start_delay_seconds=arguments.job_delay,
            image_set_write_seconds=arguments.write_delay,
        ),
        access_log=access_log,
        import_processes=arguments.import_processes,
        s3_process=True,
    )


def fault_listing(form: str) -> str:
    """Every fault, as aligned text lines or as a JSON list of objects with camelCase keys."""
    if form == "json":
        entries = [
            {_camel(field.name): getattr(fault, field.name) for field in dataclasses.fields(fault)}
            for fault in FAULTS
        ]
        return json.dumps(entries, indent=2)
    width = max(len(fault.name) for fault in FAULTS)
    return "\n".join(f"{fault.name:<{width}}  {fault.description}" for fault in FAULTS)


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.capitalize() for word in rest)


def run(arguments: argparse.Namespace) -> int:
    """List the faults, or run the emulator until a signal stops it."""
    if arguments.list_faults:
        print(fault_listing(arguments.format))
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
        files = files_to_load(arguments.load, arguments.load_sample)
        return _serve(Emulator(config), files)
    return 0


def files_to_load(paths: list[str], sample: bool) -> list[LoadFile]:
    """The files `--load` and `--load-sample` name; InputError for a path that names no
    file, or when none of the files is DICOM P10."""
    try:
        files = find_files(paths)
        if sample:
            files += sample_files()
        if files:
            require_dicom(files)
    except LoadError as error:
        where = f" {error.path}" if error.path else ""
        raise InputError(f"--load{where}: {error.reason}") from None
    return files


def start_lines(emulator: Emulator) -> list[str]:
    """What the emulator prints once it answers: URLs, region, credentials, export lines
    (then a load's document, if any, and `ready`)."""
    config = emulator.config
    lines = [
        f"service: {emulator.url}",
        f"s3: {emulator.s3_url}",
        f"health: {emulator.url}{HEALTH_PATH}",
    ]
    if emulator.faults.enabled:
        lines.append(f"faults: {', '.join(sorted(emulator.faults.enabled))}")
    if emulator.resumed_jobs:
        lines.append(f"resumed jobs: {emulator.resumed_jobs}")
    accepted = [_credential_text(pair) for pair in config.credentials]
    key = config.credentials[0].split(":", 1)[0]
    lines += [f"region: {config.region}", f"credentials: {'; '.join(accepted)}"]
    if config.s3_endpoint and config.s3_access_key != key:
        lines.append(
            f"note: the S3 at --s3-endpoint is used with key {config.s3_access_key}, the exports "
            f"below hold the service's {key}; start with --credentials "
            f"{config.s3_access_key}:SECRET to use one pair for both"
        )
    exports = RunningEmulator(emulator).environment
    lines.append("paste into a shell to point the AWS CLI, boto3 and other SDKs at it:")
    lines += [f"export {name}={shlex.quote(value)}" for name, value in exports.items()]
    return lines


def _credential_text(pair: str) -> str:
    key, secret, *actions = pair.split(":", 2)
    limited = f" (only {actions[0].replace(',', ', ')})" if actions else ""
    return f"{key} / {secret}{limited}"


def _serve(emulator: Emulator, files: list[LoadFile]) -> int:
    """Start, print the start lines, load `files`, print `ready`, serve until SIGTERM or
    SIGINT; stop cleanly, exit 0."""
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
        print("\n".join(start_lines(emulator)), flush=True)
        try:
            if files:
                print(_load(emulator, files, stopping), flush=True)
            print("ready", flush=True)
            while not stopping.wait(0.5):
                pass
        except LoadStopped:
            pass
        print("stopping", file=sys.stderr, flush=True)
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _load(emulator: Emulator, files: list[LoadFile], stopping: threading.Event) -> str:
    """Load `files` into the started emulator; the result as indented JSON. InputError
    when the load fails; LoadStopped when a signal arrives meanwhile."""
    state = emulator.config.state
    records: LoadRecords = StateLoadRecords(state) if state else MemoryLoadRecords()
    running = RunningEmulator(emulator, records=records)
    count = f"{len(files)} file{'' if len(files) == 1 else 's'}"
    print(f"loading {count}", file=sys.stderr, flush=True)
    loader = Loader(
        running.imaging,
        emulator.s3.client(),
        region=emulator.config.region,
        records=records,
        stop=stopping.is_set,
    )
    try:
        result = loader.load(files)
    except LoadFailed as error:
        raise InputError(f"--load: {error}") from None
    return json.dumps(result.document(), indent=2)
