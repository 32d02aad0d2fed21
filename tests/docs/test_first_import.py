"""docs/emulator.md's first-import recipe, run as a user runs it: `ahi-contract emulator` in
one process, the recipe block in bash with only the printed `export` lines set."""

from __future__ import annotations

import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"
MARKER = "<!-- recipe: first-import -->"
IMAGE_SET = re.compile(
    r"^image set ([0-9a-f]{32}): (\d+) instances, (\d+) frames, the first (\d+) bytes of (\S+)$"
)
DATA_STORE = re.compile(
    r"^data store ([0-9a-f]{32}): (\d+) image sets from (\d+) files, (\d+) refused"
)


def recipe_block(text: str, marker: str = MARKER) -> str:
    """The body of the fenced shell block after `marker`, with only comments or blank lines
    between the two."""
    lines = text.splitlines()
    start = lines.index(marker) + 1
    while not lines[start].startswith("```"):
        assert lines[start].strip() == "" or lines[start].startswith("<!--"), lines[start]
        start += 1
    assert lines[start] in ("```sh", "```bash"), lines[start]
    end = lines.index("```", start + 1)
    return "\n".join(lines[start + 1 : end]) + "\n"


def _command() -> list[str]:
    script = Path(sys.executable).with_name("ahi-contract")
    return [str(script)] if script.exists() else [sys.executable, "-m", "harness"]


@pytest.fixture()
def emulator_exports() -> Iterator[dict[str, str]]:
    """`ahi-contract emulator` with its defaults on real ports; the variables its `export`
    lines set, read from its stdout up to `ready`."""
    process = subprocess.Popen(
        [*_command(), "emulator"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    stdout = process.stdout
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    variables: dict[str, str] = {}
    try:
        while (line := lines.get(timeout=60)) != "ready":
            assert line is not None, "the emulator exited before `ready`"
            if line.startswith("export "):
                name, _, value = shlex.split(line)[1].partition("=")
                variables[name] = value
        yield variables
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_block_is_marked_for_the_docs_runner_and_pastes_as_a_heredoc() -> None:
    text = DOC.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert lines[lines.index(MARKER) - 1] == "<!-- docs-test: emulator -->"
    block = recipe_block(text)
    assert block.startswith("python3 - <<'EOF'\n") and block.endswith("\nEOF\n")


def test_the_first_import_recipe_imports_and_reads_back_image_sets(
    tmp_path: Path, emulator_exports: dict[str, str]
) -> None:
    assert set(emulator_exports) >= {
        "AWS_ENDPOINT_URL_MEDICAL_IMAGING",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_REGION",
        "AWS_DISABLE_HOST_PREFIX_INJECTION",
    }
    block = recipe_block(DOC.read_text(encoding="utf-8"))
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.defpath}"
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        env={"PATH": path, "HOME": str(tmp_path), **emulator_exports},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    image_sets = [match for line in lines if (match := IMAGE_SET.match(line))]
    # pydicom's CT and MR samples are two series: two image sets, each with a frame.
    assert len(image_sets) == 2, result.stdout
    for match in image_sets:
        assert (match[2], match[3], match[5]) == ("1", "1", "image/jph")
        assert int(match[4]) > 0
    store = DATA_STORE.match(lines[-1])
    assert store is not None, result.stdout
    assert store.groups()[1:] == ("2", "2", "0")
    imaging = boto3.client(
        "medical-imaging",
        endpoint_url=emulator_exports["AWS_ENDPOINT_URL_MEDICAL_IMAGING"],
        region_name=emulator_exports["AWS_REGION"],
        aws_access_key_id=emulator_exports["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=emulator_exports["AWS_SECRET_ACCESS_KEY"],
        config=Config(inject_host_prefix=False),
    )
    for match in image_sets:
        answer = imaging.get_image_set(datastoreId=store[1], imageSetId=match[1])
        assert answer["imageSetId"] == match[1]
        assert answer["imageSetState"] == "ACTIVE"
        assert answer["datastoreId"] == store[1]
