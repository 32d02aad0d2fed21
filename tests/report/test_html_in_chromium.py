"""report.html in a real headless Chromium (Debian's package, installed by `make test`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from harness.report.writers import write_reports
from tests.report.test_writers import _record

CHROMIUM = shutil.which("chromium") or "chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium(tmp_path: Path, *arguments: str) -> str:
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def test_the_report_renders_with_its_matrix_and_opens_a_failure(tmp_path: Path) -> None:
    write_reports(_record(), tmp_path)
    page = (tmp_path / "report.html").resolve()
    html = page.read_text()
    for fetch in ('src="http', "<link", "@import", "url(http"):
        assert fetch not in html  # one self-contained file: nothing is fetched

    closed = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert 'id="matrix"' in closed
    assert '<td class="failed"' in closed and '<td class="passed"' in closed
    assert "FAILED" in closed

    opened = _chromium(tmp_path, "--dump-dom", page.as_uri() + "#TEST-WRITER--1")
    tag = re.search(r'<details[^>]*id="TEST-WRITER--1"[^>]*>', opened)
    assert tag is not None and re.search(r"\sopen(=|\s|>)", tag.group(0)), tag
    closed_tag = re.search(r'<details[^>]*id="TEST-WRITER--1"[^>]*>', closed)
    assert closed_tag is not None and "open" not in closed_tag.group(0)
    assert "curl -X GET http://x/datastore/a" in opened

    screenshot = tmp_path / "report.png"
    _chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1200,900", page.as_uri())
    assert screenshot.stat().st_size > 10_000
