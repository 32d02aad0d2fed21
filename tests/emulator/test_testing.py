"""`harness.emulator.testing`: the emulator in one `with`, as an application's tests use it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pydicom.data import get_testdata_file

from harness.emulator.loading import LoadError
from harness.emulator.testing import TEST_LIMITS, config_for_tests, running_emulator

CT = get_testdata_file("CT_small.dcm")


def port_answers(url: str) -> bool:
    host, _, port = url.removeprefix("http://").rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def test_it_starts_both_ports_and_stops_them() -> None:
    """How soon it starts is a figure of `benchmarks/emulator_bench.py`, not asserted here."""
    for _ in range(2):
        with running_emulator() as ahi:
            assert ahi.imaging.list_datastores()["datastoreSummaries"] == []
            urls = (ahi.url, ahi.s3_url)
            assert all(port_answers(url) for url in urls)
        assert not any(port_answers(url) for url in urls)


def test_a_load_at_start_gives_the_ids_and_clients_that_reach_them() -> None:
    config = config_for_tests(region="eu-west-1", credentials=("alice:wonderland",))
    with running_emulator(CT, config=config) as ahi:
        assert (ahi.region, ahi.access_key, ahi.secret_key) == ("eu-west-1", "alice", "wonderland")
        assert ahi.loaded is not None and ahi.datastore_id == ahi.loaded.datastore_id
        [image_set] = ahi.image_set_ids
        found = ahi.imaging.get_image_set(datastoreId=ahi.datastore_id, imageSetId=image_set)
        assert found["imageSetState"] == "ACTIVE"  # a `runtime-` operation: no host prefix
        assert ahi.imaging.meta.region_name == ahi.s3.meta.region_name == "eu-west-1"
        buckets = [bucket["Name"] for bucket in ahi.s3.list_buckets()["Buckets"]]
        assert any(name.startswith("ahi-contract-load-") for name in buckets)
        more = ahi.load(get_testdata_file("MR_small.dcm"))
        assert more.datastore_id != ahi.datastore_id
        assert ahi.load(CT).reused  # loaded at start: not again


def test_its_environment_alone_points_a_plain_boto3_at_it(tmp_path: Path) -> None:
    script = (
        "import boto3, sys\n"
        "imaging = boto3.client('medical-imaging')\n"
        "found = imaging.get_image_set(datastoreId=sys.argv[1], imageSetId=sys.argv[2])\n"
        "print(found['imageSetState'], boto3.client('s3').list_buckets()['Buckets'] != [])\n"
    )
    with running_emulator(CT) as ahi:
        assert set(ahi.environment) >= {"AWS_ENDPOINT_URL_MEDICAL_IMAGING", "AWS_REGION"}
        result = subprocess.run(
            [sys.executable, "-c", script, ahi.datastore_id, ahi.image_set_ids[0]],
            env={"PATH": os.defpath, "HOME": str(tmp_path), **ahi.environment},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ACTIVE", "True"]


def test_what_it_cannot_answer_is_said() -> None:
    with running_emulator() as ahi:
        with pytest.raises(LookupError, match="nothing was loaded"):
            _ = ahi.datastore_id
        with pytest.raises(ValueError, match="not sqs"):
            ahi.client("sqs")
        with pytest.raises(LoadError, match=r"missing\.dcm: no such file or folder"):
            ahi.load("missing.dcm")
    with pytest.raises(LoadError, match=r"missing\.dcm"), running_emulator("missing.dcm"):
        pass


def test_the_test_limits_are_short_and_overridable() -> None:
    assert TEST_LIMITS.datastore_transition_seconds <= 0.1
    assert TEST_LIMITS.job_start_delay_seconds == 0
    assert config_for_tests().limits == TEST_LIMITS
    assert config_for_tests(faults=("slow-responses",)).faults == ("slow-responses",)
