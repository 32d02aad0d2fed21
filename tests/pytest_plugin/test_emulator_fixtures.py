"""The plugin's emulator fixtures in a user's suite: pytest in a folder of its own, with the
plugin as installing ahi-contract registers it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from pydicom.data import get_testdata_file

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "test_app_with_emulator.py"
CT = str(get_testdata_file("CT_small.dcm"))
MR = str(get_testdata_file("MR_small.dcm"))


OPTIONS = ("--strict-markers", "-p", "no:randomly")


def run_pytest(
    folder: Path, *arguments: str, environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *OPTIONS, *arguments],
        capture_output=True,
        text=True,
        cwd=folder,
        env={**os.environ, **(environment or {})},
        timeout=300,
    )


def test_the_docs_example_passes_under_xdist(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path)
    result = run_pytest(tmp_path, "-n", "2", EXAMPLE.name)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert result.stdout.splitlines()[-1].startswith("3 passed")


WORKERS = """
import os

import pytest


@pytest.mark.parametrize("number", range(6))
def test_record(number, ahi_emulator, ahi_imaging):
    ahi_imaging.list_datastores()
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(os.path.join(os.environ["SEEN"], f"{worker}-{number}"), "w") as seen:
        seen.write(ahi_emulator.url)
"""


def test_each_xdist_worker_has_an_emulator_of_its_own(tmp_path: Path) -> None:
    (tmp_path / "test_workers.py").write_text(WORKERS)
    (tmp_path / "seen").mkdir()
    result = run_pytest(tmp_path, "-n", "2", environment={"SEEN": str(tmp_path / "seen")})
    assert result.returncode == 0, result.stdout[-4000:]
    seen = {path.name: path.read_text() for path in (tmp_path / "seen").iterdir()}
    assert len(seen) == 6
    by_worker: dict[str, set[str]] = {}
    for name, url in seen.items():
        by_worker.setdefault(name.split("-")[0], set()).add(url)
    assert sorted(by_worker) == ["gw0", "gw1"]
    assert all(len(urls) == 1 for urls in by_worker.values()), by_worker
    assert by_worker["gw0"] != by_worker["gw1"]


LOADED = """
import os

import pytest


def test_the_option_and_the_ini_setting_are_loaded(ahi_loaded, ahi_emulator):
    names = sorted(os.path.basename(entry.file) for entry in ahi_loaded.imported)
    assert names == ["CT_small.dcm", "MR_small.dcm"]
    assert ahi_loaded is ahi_emulator.loaded


SEEN = []


@pytest.mark.ahi_load("dicom/CT_small.dcm")
def test_marked_once(ahi_loaded):
    SEEN.append(ahi_loaded.datastore_id)
    assert [os.path.basename(e.file) for e in ahi_loaded.imported] == ["CT_small.dcm"]


@pytest.mark.ahi_load("dicom/CT_small.dcm")
def test_marked_twice(ahi_loaded):
    SEEN.append(ahi_loaded.datastore_id)
    assert ahi_loaded.reused and SEEN[0] == SEEN[1]


@pytest.mark.ahi_load(sample=True)
def test_marked_sample(ahi_loaded):
    assert {e.file for e in ahi_loaded.imported} >= {"study-ct/CT_small.dcm"}
    assert any(e.file == "notes/readme.txt" for e in ahi_loaded.refused)
"""


def test_option_ini_setting_and_marker_load_files(tmp_path: Path) -> None:
    (tmp_path / "dicom").mkdir()
    shutil.copy(CT, tmp_path / "dicom")
    (tmp_path / "pytest.ini").write_text("[pytest]\nahi_load = dicom\n")
    (tmp_path / "test_loaded.py").write_text(LOADED)
    result = run_pytest(tmp_path, f"--ahi-load={MR}")
    assert result.returncode == 0, result.stdout[-4000:]
    assert result.stdout.splitlines()[-1].startswith("4 passed")


UNASKED = """
import sys
import threading


def test_nothing_started():
    assert "harness.emulator.testing" not in sys.modules
    assert not [t for t in threading.enumerate() if t.name == "embedded-s3"]
"""

NOTHING_LOADED = """
import pytest


def test_asks_for_a_load(ahi_loaded):
    pass


@pytest.mark.ahi_load("missing.dcm")
def test_marks_a_missing_file(ahi_loaded):
    pass
"""


def test_the_plugin_starts_nothing_for_a_suite_that_does_not_ask(tmp_path: Path) -> None:
    (tmp_path / "test_unasked.py").write_text(UNASKED)
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout[-4000:]


def test_what_cannot_be_loaded_fails_with_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "test_nothing.py").write_text(NOTHING_LOADED)
    result = run_pytest(tmp_path)
    assert result.returncode == 1
    assert "ahi_loaded: nothing to load; give --ahi-load PATH" in result.stdout
    assert f"@pytest.mark.ahi_load: {tmp_path}/missing.dcm: no such file" in result.stdout
    result = run_pytest(tmp_path, "--ahi-load", "nope.dcm", "-k", "asks")
    assert result.returncode == 1
    assert "--ahi-load: nope.dcm: no such file or folder" in result.stdout
