"""`pip install` outside the checkout: the commands a new user runs first, from a scratch folder.

The sources are `git archive` of the working tree (`git stash create` gives a commit that
holds the uncommitted changes to tracked files; a clean tree archives HEAD), unpacked into a
temporary folder outside the checkout, so an untracked file the package needs fails here as
it would for a user. The wheel is built there with `pip wheel --no-deps` and installed
without its dependencies and without network into a fresh virtualenv; the dependencies are
borrowed from the running interpreter's site-packages through a path file (its own `.pth`
hooks, such as an editable install of this checkout, are not run), so `harness` resolves to
the installed copy only. Every command then runs from a temporary folder that is no checkout:
`spec check`, `emulator` with the first-import recipe of docs/emulator.md, `sdk --adapter
boto3`, `sdk --adapter aiobotocore` and `sdk --protocol-doc`.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import subprocess
import sys
import sysconfig
import tarfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

REPO = Path(__file__).resolve().parents[2]
SPEC = "harness/spec/medical-imaging.openapi.yaml"
EMULATOR_DOC = "docs/emulator.md"
RECIPE_MARKER = "<!-- recipe: first-import -->"
EXPORTS = (
    "AWS_ENDPOINT_URL_MEDICAL_IMAGING",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_REGION",
    "AWS_DISABLE_HOST_PREFIX_INJECTION",
)
HEX_ID = re.compile(r"\b[0-9a-f]{32}\b")
_PROXIES = {"http_proxy", "https_proxy", "all_proxy"}


def _environment(**extra: str) -> dict[str, str]:
    """This process's environment without PYTHONPATH, AWS settings or proxies, plus `extra`."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if name != "PYTHONPATH" and not name.startswith("AWS_") and name.lower() not in _PROXIES
    }
    return {**kept, **extra}


def _run(
    words: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        words,
        cwd=cwd,
        env=_environment() if env is None else env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _archived(sources: Path, relative: str) -> Path:
    """`relative` inside the archived sources; fails saying why when the archive lacks it."""
    path = sources / relative
    if path.exists():
        return path
    if (REPO / relative).exists():
        pytest.fail(
            f"{relative} is in the working tree but not in `git archive` of it: it is "
            "untracked; `git add` it"
        )
    pytest.fail(f"{relative} does not exist; the installed package needs it")


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working tree as `git archive` gives it, unpacked outside the checkout."""
    root = tmp_path_factory.mktemp("archive")
    assert not root.is_relative_to(REPO)
    # The throwaway commit needs an author even where git has none configured.
    identity = ("-c", "user.name=ahi-contract tests", "-c", "user.email=tests@invalid")
    created = _run(["git", *identity, "stash", "create"], REPO)
    assert created.returncode == 0, created.stderr
    commit = created.stdout.strip() or "HEAD"
    tar = root / "sources.tar"
    archived = _run(["git", "archive", "--format=tar", "-o", str(tar), commit], REPO)
    assert archived.returncode == 0, archived.stderr
    with tarfile.open(tar) as archive:
        archive.extractall(root / "src", filter="data")
    return root / "src"


@pytest.fixture(scope="module")
def installed(sources: Path) -> Path:
    """The `bin` folder of a virtualenv with the wheel built from `sources` installed."""
    _archived(sources, SPEC)
    root = sources.parent
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root / "wheels"), "."],
        sources,
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
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
    installed = _run([*pip, "--no-deps", "--no-index", str(wheel)], root)
    assert installed.returncode == 0, installed.stderr[-2000:]
    return python.parent


def test_the_package_is_the_installed_copy(installed: Path, tmp_path: Path) -> None:
    found = _run(
        [str(installed / "python"), "-c", "import harness; print(harness.__file__)"], tmp_path
    )
    assert Path(found.stdout.strip()).is_relative_to(installed.parent)


def test_spec_check_checks_the_installed_spec_and_names_it(
    installed: Path, sources: Path, tmp_path: Path
) -> None:
    finished = _run([str(installed / "ahi-contract"), "spec", "check"], tmp_path)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    checked, _, rest = finished.stdout.strip().partition(" is up to date with ")
    assert rest.startswith("botocore "), finished.stdout
    path = Path(checked)
    assert path.is_relative_to(installed.parent) and path.name == Path(SPEC).name
    assert path.read_bytes() == (sources / "specs" / path.name).read_bytes()


def _first_import_recipe(sources: Path) -> str:
    """The shell block right after the first-import marker in docs/emulator.md."""
    text = _archived(sources, EMULATOR_DOC).read_text(encoding="utf-8")
    if RECIPE_MARKER not in text:
        pytest.fail(f"{EMULATOR_DOC} has no {RECIPE_MARKER} line before a shell block")
    found = re.match(r"\s*```(?:sh|bash|shell)\n(.*?)\n```", text.split(RECIPE_MARKER, 1)[1], re.S)
    if found is None:
        pytest.fail(f"{EMULATOR_DOC}: no ```sh block right after {RECIPE_MARKER}")
    return found.group(1)


def _lines(stream: Iterable[str]) -> queue.Queue[str | None]:
    """The lines of `stream` as they come (None at its end), read by a daemon thread."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _greeting(lines: queue.Queue[str | None], seconds: float) -> tuple[list[str], dict[str, str]]:
    """What the emulator prints at start, up to `ready`, and the variables of its exports."""
    printed: list[str] = []
    exports: dict[str, str] = {}
    deadline = time.monotonic() + seconds
    while not set(EXPORTS) <= exports.keys():
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None or line == "ready":
            break
        printed.append(line)
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            exports[name] = "".join(shlex.split(value))
    return printed, exports


def _image_sets(exports: dict[str, str]) -> set[str]:
    """The IDs of every image set the emulator at `exports` holds."""
    client = boto3.client(
        "medical-imaging",
        endpoint_url=exports["AWS_ENDPOINT_URL_MEDICAL_IMAGING"],
        region_name=exports["AWS_REGION"],
        aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
        config=Config(inject_host_prefix=False),
    )
    found: set[str] = set()
    for store in client.list_datastores()["datastoreSummaries"]:
        reply = client.search_image_sets(datastoreId=store["datastoreId"])
        found.update(image_set["imageSetId"] for image_set in reply["imageSetsMetadataSummaries"])
    return found


def test_the_emulator_serves_the_first_import_recipe(
    installed: Path, sources: Path, tmp_path: Path
) -> None:
    recipe = _first_import_recipe(sources)
    errors = (tmp_path / "emulator.err").open("w")
    emulator = subprocess.Popen(
        [str(installed / "ahi-contract"), "emulator"],
        cwd=tmp_path,
        env=_environment(),
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
    )
    try:
        assert emulator.stdout is not None
        printed, exports = _greeting(_lines(emulator.stdout), seconds=60)
        assert printed and printed[0].startswith("service: http://"), (
            printed,
            (tmp_path / "emulator.err").read_text()[-2000:],
        )
        missing = [name for name in EXPORTS if name not in exports]
        if missing:
            pytest.fail(
                "`ahi-contract emulator` printed no `export` line for "
                f"{', '.join(missing)}; it printed: {printed}"
            )
        assert exports["AWS_ENDPOINT_URL_MEDICAL_IMAGING"] == printed[0].removeprefix("service: ")
        shell = _environment(PATH=f"{installed}{os.pathsep}{os.environ['PATH']}", **exports)
        finished = _run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", recipe], tmp_path, shell
        )
        assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
        printed_ids = set(HEX_ID.findall(finished.stdout))
        assert printed_ids & _image_sets(exports), finished.stdout
    finally:
        emulator.terminate()
        emulator.wait(timeout=60)
        errors.close()


def test_sdk_with_the_bundled_boto3_adapter_works(installed: Path, tmp_path: Path) -> None:
    words = [str(installed / "ahi-contract"), "sdk", "--adapter", "boto3", "--quiet"]
    # The whole catalogue runs in README's block (tests/docs) and tests/sdk/test_adapters.py.
    scenarios = ["--scenario", "SDK-ERR-5XX-EMPTY-BODY-*", "--scenario", "SDK-RETRY-500"]
    finished = _run([*words, *scenarios, "--report-dir", "r"], tmp_path)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    assert results["target"]["sdk"]["sdk"] == "boto3"
    statuses = {check["id"]: check["status"] for check in results["checks"]}
    # The bundled known-deviations list came along: botocore's known 5xx behaviour is one.
    assert statuses["SDK-ERR-5XX-EMPTY-BODY-GetDatastore"] == "deviation"
    assert statuses["SDK-RETRY-500"] == "passed"
    assert statuses["SDK-KNOWN-DEVIATIONS"] == "passed"  # entries for what ran, and only those


def test_sdk_with_the_bundled_aiobotocore_adapter_works(installed: Path, tmp_path: Path) -> None:
    """The adapter and its list install as package data (aiobotocore itself is borrowed, as
    `pip install` of the dev extra gives it)."""
    words = [str(installed / "ahi-contract"), "sdk", "--adapter", "aiobotocore", "--quiet"]
    scenarios = ["--scenario", "SDK-ERR-5XX-EMPTY-BODY-GetDatastore", "--scenario", "SDK-RETRY-500"]
    finished = _run([*words, *scenarios, "--report-dir", "r"], tmp_path)
    assert finished.returncode == 0, finished.stdout[-2000:] + finished.stderr[-2000:]
    results = json.loads((tmp_path / "r" / "results.json").read_text())
    assert results["target"]["sdk"]["sdk"] == "aiobotocore"
    statuses = {check["id"]: check["status"] for check in results["checks"]}
    assert statuses["SDK-ERR-5XX-EMPTY-BODY-GetDatastore"] == "deviation"
    assert statuses["SDK-RETRY-500"] == statuses["SDK-KNOWN-DEVIATIONS"] == "passed"


def test_the_protocol_document_is_installed(installed: Path, sources: Path, tmp_path: Path) -> None:
    finished = _run([str(installed / "ahi-contract"), "sdk", "--protocol-doc"], tmp_path)
    path = Path(finished.stdout.strip())
    assert path.is_relative_to(installed.parent)
    shipped = sources / "harness" / "sdk" / "adapters" / "sdk-adapter-protocol.md"
    assert path.read_text() == shipped.read_text()
    # docs/ links to the package's copy, and the link survives `git archive`.
    linked = sources / "docs" / "sdk-adapter-protocol.md"
    assert linked.is_symlink() and linked.resolve() == shipped.resolve()
