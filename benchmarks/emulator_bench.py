"""Benchmark the reference emulator; prints figures, asserts nothing.

    .venv/bin/python benchmarks/emulator_bench.py [--files 1000] [--seconds 5] [--clients 16]
        [--load-processes 2] [--s3-server werkzeug|cheroot] [--import-processes N]
        [--skip-import]

S3 (moto's S3 server, as the emulator embeds it: `EmbeddedS3`) and the emulator
each run in their own process, as `ahi-contract emulator` runs them, so the emulator's
peak resident memory (VmHWM) is its own; its import processes (`--import-processes`,
the emulator's default unless given) are counted apart, with the forkserver they fork
from. Figures:
- how long `harness.emulator.testing.running_emulator()` takes to start the emulator
  and its S3 without files, in a fresh process and again in the same process;
- files per second (frames encoded as HTJ2K, metadata built, image sets written),
  peak memory and CPU milliseconds per file of each process, for an import of N
  files and for a tenth of N, so that a reader can see whether memory grows with
  file count and which process bounds the rate. Every file is distinct and valid:
  pydicom's CT_small.dcm (128 x 128, 16-bit, explicit VR little endian, one frame)
  with fresh UIDs, `SERIES_SIZE` files to a series and one study per series, so an
  import of N files makes N / `SERIES_SIZE` image sets of the same size at any N;
- GetDICOMImportJob and GetImageFrame requests per second with N concurrent signed
  clients, measured twice: with `requests` sessions signing every request in one
  process (what a Python test suite does; the client's own CPU bounds it on a
  2-core machine), and with keep-alive connections replaying a request signed once
  per client (valid for 15 minutes; the emulator verifies the signature every time),
  spread over `--load-processes` processes, which measures the server.

`--s3-server cheroot` serves moto's S3 with the emulator's own HTTP server instead of
werkzeug's (the embedded S3's default), to see whether the S3 server bounds an import.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import io
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pydicom
import requests
from botocore.config import Config
from pydicom.data import get_testdata_file

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from urllib.parse import urlsplit

from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth

ROLE = "arn:aws:iam::123456789012:role/BenchImportRole"
SERIES_SIZE = 100
"""Files to a series (and to an image set) in the import figures."""


class DistinctFiles:
    """CT_small.dcm with fresh Study, Series and SOP Instance UIDs, `SERIES_SIZE` to a series."""

    def __init__(self) -> None:
        self._dataset = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
        self._lock = threading.Lock()
        self._series: dict[int, tuple[str, str]] = {}

    def _uids(self, series: int) -> tuple[str, str]:
        with self._lock:
            if series not in self._series:
                self._series[series] = (_uid(), _uid())
            return self._series[series]

    def file(self, index: int) -> bytes:
        """The P10 bytes of file `index`: series `index // SERIES_SIZE`, instance `index`."""
        study, series = self._uids(index // SERIES_SIZE)
        sop = _uid()
        with self._lock:
            dataset = self._dataset
            dataset.StudyInstanceUID = study
            dataset.SeriesInstanceUID = series
            dataset.SOPInstanceUID = sop
            dataset.InstanceNumber = index % SERIES_SIZE + 1
            dataset.file_meta.MediaStorageSOPInstanceUID = sop
            buffer = io.BytesIO()
            dataset.save_as(buffer, enforce_file_format=True)
        return buffer.getvalue()


def _uid() -> str:
    return f"2.25.{uuid.uuid4().int}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _descendants(pid: int) -> list[int]:
    """The processes below `pid` (the emulator's import processes and their forkserver)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    pending = list(children.get(pid, ()))
    while pending:
        child = pending.pop()
        found.append(child)
        pending += children.get(child, ())
    return found


def _summed(pids: list[int], read: Callable[[int], float]) -> float:
    """`read` of each process still there, added up."""
    total = 0.0
    for pid in pids:
        try:
            total += read(pid)
        except OSError:
            continue
    return total


def _start_s3(server: str) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from harness.emulator.storage.s3 import EmbeddedS3; "
            f"EmbeddedS3('127.0.0.1', {port}, {server!r}).serve_forever()",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the S3 server did not start")


def _start_emulator(s3_url: str, processes: int | None) -> tuple[subprocess.Popen[str], str]:
    chosen = [] if processes is None else ["--import-processes", str(processes)]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness",
            "emulator",
            "--s3-endpoint",
            s3_url,
            "--datastore-delay",
            "0.1",
            "--job-delay",
            "0",
            *chosen,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("service: "):
            return process, line.split(": ", 1)[1].strip()
    raise RuntimeError("emulator did not start")


def _clients(service: str, s3_url: str) -> tuple[Any, Any]:
    common: dict[str, Any] = {
        "region_name": "us-east-1",
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
    }
    no_prefix = Config(inject_host_prefix=False)
    return (
        boto3.client("medical-imaging", endpoint_url=service, config=no_prefix, **common),
        boto3.client("s3", endpoint_url=s3_url, **common),
    )


def _import(
    imaging: Any, s3: Any, datastore_id: str, count: int, tag: str, pids: tuple[int, int]
) -> tuple[float, dict[str, Any], tuple[float, float, float]]:
    """Upload `count` distinct files, import them; seconds, the job, CPU seconds of
    (emulator, its import processes, S3)."""
    bucket = f"bench-{tag}"
    s3.create_bucket(Bucket=bucket)
    files = DistinctFiles()

    def put(index: int) -> None:
        s3.put_object(
            Bucket=bucket,
            Key=f"in/{index // SERIES_SIZE:03d}/{index:05d}.dcm",
            Body=files.file(index),
        )

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(put, range(count)))
    workers = _descendants(pids[0])
    cpu = [_cpu_seconds(pids[0]), _summed(workers, _cpu_seconds), _cpu_seconds(pids[1])]
    started = time.monotonic()
    job_id = imaging.start_dicom_import_job(
        datastoreId=datastore_id,
        dataAccessRoleArn=ROLE,
        inputS3Uri=f"s3://{bucket}/in/",
        outputS3Uri=f"s3://{bucket}/out/",
    )["jobId"]
    while True:
        job = imaging.get_dicom_import_job(datastoreId=datastore_id, jobId=job_id)["jobProperties"]
        if job["jobStatus"] in ("COMPLETED", "FAILED"):
            elapsed = time.monotonic() - started
            used = (
                _cpu_seconds(pids[0]) - cpu[0],
                _summed(_descendants(pids[0]), _cpu_seconds) - cpu[1],
                _cpu_seconds(pids[1]) - cpu[2],
            )
            if job["jobStatus"] == "COMPLETED":
                manifest = s3.get_object(
                    Bucket=bucket,
                    Key=f"out/{datastore_id}-DicomImport-{job_id}/job-output-manifest.json",
                )
                job["jobSummary"] = json.loads(manifest["Body"].read())["jobSummary"]
            return elapsed, job, used
        time.sleep(0.02)


def _frame_request(imaging: Any, datastore_id: str) -> tuple[str, bytes]:
    """The URL and body of a GetImageFrame for the CT image set's first frame."""
    found = imaging.search_image_sets(
        datastoreId=datastore_id,
        searchCriteria={"filters": [{"operator": "EQUAL", "values": [{"DICOMPatientId": "1CT1"}]}]},
    )["imageSetsMetadataSummaries"]
    image_set_id = found[0]["imageSetId"]
    blob = imaging.get_image_set_metadata(datastoreId=datastore_id, imageSetId=image_set_id)
    document = json.loads(gzip.decompress(blob["imageSetMetadataBlob"].read()))
    (series,) = document["Study"]["Series"].values()
    instance = next(iter(series["Instances"].values()))
    body = json.dumps({"imageFrameId": instance["ImageFrames"][0]["ID"]}).encode()
    return f"/datastore/{datastore_id}/imageSet/{image_set_id}/getImageFrame", body


def _rate(
    service: str, path: str, clients: int, seconds: float, body: bytes | None = None
) -> float:
    """Requests per second that `clients` signed sessions get through (GET, or POST a body)."""
    url = f"{service}{path}"
    auth = SigV4RequestsAuth(AwsCredentials("test", "test"), "us-east-1")
    done = [0] * clients
    errors = [0] * clients
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        session = requests.Session()
        while time.monotonic() < stop:
            if body is None:
                response = session.get(url, auth=auth, timeout=10)
            else:
                response = session.post(
                    url,
                    data=body,
                    auth=auth,
                    timeout=10,
                    headers={"Content-Type": "application/json"},
                )
            if response.status_code == 200:
                done[index] += 1
            else:
                errors[index] += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if sum(errors):
        print(f"  (non-200 answers: {sum(errors)})")
    return sum(done) / seconds


def _signed_headers(url: str, body: bytes | None) -> dict[str, str]:
    prepared = requests.Request(
        "GET" if body is None else "POST",
        url,
        data=body,
        headers={} if body is None else {"Content-Type": "application/json"},
    ).prepare()
    SigV4RequestsAuth(AwsCredentials("test", "test"), "us-east-1")(prepared)
    return {name: str(value) for name, value in prepared.headers.items()}


def _replay_worker(url: str, body: bytes | None, threads: int, seconds: float) -> tuple[int, int]:
    """In a process of its own: `threads` keep-alive clients; (200 answers, others)."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    method = "GET" if body is None else "POST"
    counts = [[0, 0] for _ in range(threads)]
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        headers = _signed_headers(url, body)
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
        while time.monotonic() < stop:
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            counts[index][0 if response.status == 200 else 1] += 1
            if response.will_close:
                connection.close()
        connection.close()

    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


def _replay_rate(
    service: str, path: str, clients: int, processes: int, seconds: float, body: bytes | None
) -> float:
    """Requests per second of `clients` keep-alive signed clients over `processes` processes."""
    shares = [clients // processes + (i < clients % processes) for i in range(processes)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes) as pool:
        results = pool.starmap(
            _replay_worker, [(f"{service}{path}", body, n, seconds) for n in shares if n]
        )
    errors = sum(result[1] for result in results)
    if errors:
        print(f"  (non-200 answers: {errors})")
    return sum(result[0] for result in results) / seconds


def _start_seconds() -> None:
    """Print how long `running_emulator()` takes to answer, first and later starts."""
    script = (
        "import time\n"
        "from harness.emulator.testing import running_emulator\n"
        "for _ in range(3):\n"
        "    started = time.perf_counter()\n"
        "    with running_emulator():\n"
        "        print(time.perf_counter() - started)\n"
    )
    for _ in range(3):
        printed = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout.split()
        first, *later = (float(seconds) for seconds in printed)
        print(
            f"running_emulator() ready in {first:.2f} s (first in a process), "
            f"{max(later):.3f} s at most after"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--load-processes", type=int, default=2)
    parser.add_argument("--s3-server", choices=("werkzeug", "cheroot"), default="werkzeug")
    parser.add_argument(
        "--import-processes",
        type=int,
        help="the emulator's --import-processes (default: the emulator's own default)",
    )
    parser.add_argument("--skip-import", action="store_true", help="only the request rates")
    arguments = parser.parse_args()

    _start_seconds()
    s3_process, s3_url = _start_s3(arguments.s3_server)
    emulator, service = _start_emulator(s3_url, arguments.import_processes)
    try:
        imaging, s3 = _clients(service, s3_url)
        datastore_id = imaging.create_datastore(datastoreName="bench")["datastoreId"]
        while (
            imaging.get_datastore(datastoreId=datastore_id)["datastoreProperties"][
                "datastoreStatus"
            ]
            != "ACTIVE"
        ):
            time.sleep(0.1)
        baseline = _peak_kib(emulator.pid)
        small = max(1, arguments.files // 10)
        sizes = ((small, "small"), (arguments.files, "large"))
        if arguments.skip_import:
            sizes = ((1, "one"),)
        for count, tag in sizes:
            pids = (emulator.pid, s3_process.pid)
            elapsed, job, used = _import(imaging, s3, datastore_id, count, tag, pids)
            peak = _peak_kib(emulator.pid) / 1024
            workers = _descendants(emulator.pid)
            summary = job.get("jobSummary", {})
            print(
                f"import of {count} files: {job['jobStatus']} in {elapsed:.2f} s "
                f"({summary.get('numberOfImportedFiles')} imported, "
                f"{summary.get('numberOfGeneratedImageSets')} image sets), "
                f"{count / elapsed:.1f} files/s; peak RSS: emulator {peak:.1f} MiB "
                f"(baseline {baseline / 1024:.1f} MiB), its {len(workers)} import processes "
                f"{_summed(workers, _peak_kib) / 1024:.1f} MiB together; CPU ms per file: emulator "
                f"{1000 * used[0] / count:.1f}, import processes {1000 * used[1] / count:.1f}, "
                f"S3 {1000 * used[2] / count:.1f}"
            )
        job_path = f"/getDICOMImportJob/datastore/{datastore_id}/job/{job['jobId']}"
        frame_path, frame_body = _frame_request(imaging, datastore_id)
        for name, path, body in (
            ("GetDICOMImportJob", job_path, None),
            ("GetImageFrame", frame_path, frame_body),
        ):
            rate = _rate(service, path, arguments.clients, arguments.seconds, body)
            print(
                f"{name}: {rate:.0f} requests/s with {arguments.clients} concurrent clients "
                f"over {arguments.seconds:.0f} s (requests, signing each request, 1 process)"
            )
            rate = _replay_rate(
                service, path, arguments.clients, arguments.load_processes, arguments.seconds, body
            )
            print(
                f"{name}: {rate:.0f} requests/s with {arguments.clients} concurrent clients "
                f"over {arguments.seconds:.0f} s (keep-alive, signed once per client, "
                f"{arguments.load_processes} processes)"
            )
    finally:
        emulator.terminate()
        s3_process.terminate()
        emulator.wait(timeout=10)
        s3_process.wait(timeout=10)


if __name__ == "__main__":
    main()
