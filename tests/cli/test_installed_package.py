"""`pip install` outside the checkout: the bundled adapters and the protocol document come
with the package.

The wheel is built with `pip wheel --no-deps` from a copy of the sources and installed
without its dependencies into a fresh virtualenv; the dependencies are borrowed from the
running interpreter's site-packages through a path file (its own `.pth` hooks, such as an
editable install of this checkout, are not run), so `harness` resolves to the installed
copy only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "node_modules", "reports", "build", "*.egg-info", "__pycache__", ".*cache"
)


def _run(words: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        words, cwd=cwd, env=environment, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `bin` folder of a virtualenv with the wheel installed."""
    root = tmp_path_factory.mktemp("installed")
    shutil.copytree(REPO, root / "src", ignore=IGNORED)
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "wheels"), "."],
        root / "src",
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (root / "wheels").glob("ahi_contract-*.whl")
    made = _run([sys.executable, "-m", "venv", "--without-pip", "venv"], root)
    assert made.returncode == 0, made.stderr
    python = root / "venv" / "bin" / "python"
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], root
    )
    borrowed = Path(purelib.stdout.strip()) / "zz-borrowed-dependencies.pth"
    borrowed.write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
    installed = _run([*pip, str(wheel)], root)
    assert installed.returncode == 0, installed.stderr[-2000:]
    return python.parent


def test_the_package_is_the_installed_copy(installed: Path, tmp_path: Path) -> None:
    found = _run(
        [str(installed / "python"), "-c", "import harness; print(harness.__file__)"], tmp_path
    )
    assert Path(found.stdout.strip()).is_relative_to(installed.parent)


def test_sdk_with_the_bundled_boto3_adapter_works(installed: Path, tmp_path: Path) -> None:
    scenarios = ["SDK-RETRY-500", "SDK-ERR-5XX-EMPTY-BODY-GetDatastore", "SDK-TOKEN-KEPT"]
    words = [str(installed / "ahi-contract"), "sdk", "--adapter", "boto3", "--report-dir", "r"]
    for scenario in scenarios:
        words += ["--scenario", scenario]
    finished = _run(words, tmp_path)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    assert results["target"]["sdk"]["sdk"] == "boto3"
    statuses = {check["id"]: check["status"] for check in results["checks"]}
    # The bundled known-deviations list came along: botocore's known 5xx behaviour is one.
    assert statuses["SDK-ERR-5XX-EMPTY-BODY-GetDatastore"] == "deviation"
    assert statuses["SDK-RETRY-500"] == "passed"


def test_the_protocol_document_is_installed(installed: Path, tmp_path: Path) -> None:
    finished = _run([str(installed / "ahi-contract"), "sdk", "--protocol-doc"], tmp_path)
    path = Path(finished.stdout.strip())
    assert path.is_relative_to(installed.parent)
    assert path.read_text() == (REPO / "docs" / "sdk-adapter-protocol.md").read_text()
