"""Benchmark the contract proxy; prints figures, asserts nothing.

    .venv/bin/python benchmarks/proxy_bench.py [--requests 1000] [--seconds 5] [--clients 16]
        [--load-processes 1]

The emulator (`ahi-contract emulator`) and the proxy (`ahi-contract proxy`) each run in
a process of their own, as a team runs them; the load comes from one or more further
processes of keep-alive clients replaying a GetDatastore request signed once (valid for
15 minutes: the emulator verifies it every time, the proxy judges it every time).
Figures:
- the answer time of N sequential requests from one client, straight to the emulator
  and through the proxy: median and 90th percentile, and the median the proxy adds;
- requests per second of `--clients` concurrent clients for `--seconds`, straight and
  through the proxy, with the CPU the emulator and the proxy spent per request;
- the proxy's peak resident memory (VmHWM) after that load, and how long it takes to
  judge the whole history and write the reports once it is told to stop (SIGTERM).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import requests
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth

KEYS = AwsCredentials("test", "test")


def _started(arguments: list[str], first_word: str) -> tuple[subprocess.Popen[str], str]:
    """A harness command in its own process, and the URL on its `first_word:` line."""
    environment = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": KEYS.access_key,
        "AWS_SECRET_ACCESS_KEY": KEYS.secret_key,
        "AWS_REGION": "us-east-1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=environment,
    )
    assert process.stdout is not None
    url = ""
    for line in process.stdout:
        if line.startswith(f"{first_word}:"):
            url = line.split()[1]
        if line.strip() == "ready":
            break
    threading.Thread(target=process.stdout.read, daemon=True).start()
    return process, url


def _signed(url: str) -> dict[str, str]:
    prepared = requests.Request("GET", url).prepare()
    SigV4RequestsAuth(KEYS, "us-east-1")(prepared)
    return {name: str(value) for name, value in prepared.headers.items()}


def _connection(url: str) -> tuple[http.client.HTTPConnection, str]:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10), parts.path


def _answer_times(url: str, count: int) -> list[float]:
    """Seconds each of `count` sequential requests took, on one keep-alive connection."""
    headers = _signed(url)
    connection, path = _connection(url)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        times.append(time.perf_counter() - started)
        assert response.status == 200, response.status
    connection.close()
    return times


def _load_worker(url: str, threads: int, seconds: float) -> tuple[int, int]:
    """In a process of its own: `threads` keep-alive clients; (200 answers, others)."""
    counts = [[0, 0] for _ in range(threads)]
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        headers = _signed(url)
        connection, path = _connection(url)
        while time.monotonic() < stop:
            connection.request("GET", path, headers=headers)
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


def _rate(url: str, clients: int, processes: int, seconds: float) -> float:
    shares = [clients // processes + (i < clients % processes) for i in range(processes)]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.starmap(_load_worker, [(url, n, seconds) for n in shares if n])
    errors = sum(result[1] for result in results)
    if errors:
        print(f"  (non-200 answers: {errors})")
    return sum(result[0] for result in results) / seconds


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds `pid` has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--load-processes", type=int, default=1)
    options = parser.parse_args()
    emulator, service = _started(["emulator"], "service")
    reports = tempfile.mkdtemp(prefix="proxy-bench-")
    proxy, proxied = _started(["proxy", "--upstream", service, "--report-dir", reports], "proxy")
    try:
        client = boto3.client(
            "medical-imaging",
            endpoint_url=service,
            region_name="us-east-1",
            aws_access_key_id=KEYS.access_key,
            aws_secret_access_key=KEYS.secret_key,
            config=Config(inject_host_prefix=False),
        )
        datastore = client.create_datastore(datastoreName="bench")["datastoreId"]
        path = f"/datastore/{datastore}"
        print(f"{options.requests} sequential GetDatastore requests, one keep-alive client:")
        medians = {}
        for name, base in (("straight", service), ("through the proxy", proxied)):
            _answer_times(base + path, 50)  # warm-up
            times = sorted(_answer_times(base + path, options.requests))
            medians[name] = statistics.median(times)
            p90 = times[int(len(times) * 0.9)]
            print(f"  {name:18s} median {medians[name] * 1000:.2f} ms, p90 {p90 * 1000:.2f} ms")
        added = (medians["through the proxy"] - medians["straight"]) * 1000
        print(f"  the proxy adds {added:.2f} ms to the median answer")
        print(
            f"{options.clients} concurrent clients for {options.seconds:g} s "
            f"({options.load_processes} load process(es)):"
        )
        for name, base in (
            ("straight", service),
            ("through the proxy", proxied),
        ):
            before = _cpu_seconds(emulator.pid), _cpu_seconds(proxy.pid)
            rate = _rate(base + path, options.clients, options.load_processes, options.seconds)
            after = _cpu_seconds(emulator.pid), _cpu_seconds(proxy.pid)
            answered = rate * options.seconds
            spent = ", ".join(
                f"{label} {(end - start) / answered * 1000:.2f} ms"
                for label, start, end in zip(("emulator", "proxy"), before, after, strict=True)
            )
            print(f"  {name:18s} {rate:.0f} requests/s (CPU per request: {spent})")
        print(f"the proxy's peak resident memory: {_peak_mib(proxy.pid):.0f} MiB")
        stopping = time.perf_counter()
        proxy.send_signal(signal.SIGTERM)
        proxy.wait(timeout=600)
        print(
            f"judging the whole history and writing the reports took "
            f"{time.perf_counter() - stopping:.1f} s (exit {proxy.returncode})"
        )
    finally:
        for process in (proxy, emulator):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)


if __name__ == "__main__":
    main()
