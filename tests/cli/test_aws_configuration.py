"""A remote target reached as users configure AWS: a profile in a config file, or the
service's endpoint variable, through the real command line against a running emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.emulator import Emulator, EmulatorConfig, Limits
from harness.emulator.storage.s3 import S3Settings

REPO = Path(__file__).resolve().parents[2]
KEY, SECRET = "AKIDPROFILE", "profile-secret"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """An emulator that accepts only the profile's key."""
    config = EmulatorConfig(
        credentials=(f"{KEY}:{SECRET}",),
        limits=Limits(
            datastores=1_000_000, datastore_transition_seconds=0.2, job_start_delay_seconds=0.2
        ),
    )
    with Emulator(config) as running:
        yield running


NARROW = ("--check", "MANIFEST-FILES")
"""What each run judges: an import whose manifests land in the run's bucket is enough to
show where the run's credentials, region and endpoints came from."""


def _run(words: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment.update(
        PYTHONPATH=str(REPO),
        AWS_CONFIG_FILE=str(cwd / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(cwd / "credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "harness", "server", "--quiet", "--seed", "5", *NARROW, *words],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _suite_buckets(emulator: Emulator) -> list[str]:
    """The suite's buckets in the emulator's S3 (moto's state is shared by every moto
    server of one process: other tests' buckets may be there too)."""
    buckets = S3Settings(emulator.s3_url).client().list_buckets()["Buckets"]
    return [bucket["Name"] for bucket in buckets if bucket["Name"].startswith("ahi-contract-")]


def _passed(finished: subprocess.CompletedProcess[str], reports: Path, url: str) -> None:
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    results = json.loads((reports / "results.json").read_text())
    assert results["passed"] is True
    assert results["target"]["endpoint"] == url and results["target"]["embedded"] is False


@pytest.mark.slow
def test_aws_profile_in_a_config_file_signs_the_run(emulator: Emulator, tmp_path: Path) -> None:
    (tmp_path / "config").write_text(
        f"[profile imaging]\nregion = us-east-1\n"
        f"aws_access_key_id = {KEY}\naws_secret_access_key = {SECRET}\n"
    )
    words = ["--endpoint", emulator.url, "--s3-endpoint", emulator.s3_url]
    before = set(_suite_buckets(emulator))
    finished = _run([*words, "--report-dir", "r"], {"AWS_PROFILE": "imaging"}, tmp_path)
    _passed(finished, tmp_path / "r", emulator.url)
    assert "left on the target" not in finished.stdout  # the run removed what it made
    assert set(_suite_buckets(emulator)) - before == set()
    wrong = _run([*words, "--report-dir", "w"], {"AWS_PROFILE": "absent"}, tmp_path)
    assert wrong.returncode == 2 and "absent" in wrong.stderr
    refused = json.loads((tmp_path / "w" / "results.json").read_text())
    assert refused["status"] == "refused" and "absent" in refused["refused"]


@pytest.mark.slow
def test_the_endpoint_variables_name_the_target(emulator: Emulator, tmp_path: Path) -> None:
    env = {
        "AWS_ENDPOINT_URL_MEDICAL_IMAGING": emulator.url,
        "AWS_ENDPOINT_URL_S3": emulator.s3_url,
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
    }
    before = set(_suite_buckets(emulator))
    finished = _run(["--report-dir", "r", "--keep"], env, tmp_path)
    _passed(finished, tmp_path / "r", emulator.url)
    assert len(set(_suite_buckets(emulator)) - before) == 1  # --keep kept it
