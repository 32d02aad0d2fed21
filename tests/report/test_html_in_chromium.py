"""report.html in a real headless Chromium (Debian's package, installed by `make test`).

The filter test drives the page over the DevTools protocol on a pipe
(`--remote-debugging-pipe`: JSON messages ended by NUL on file descriptors 3
and 4), so it types into the filter box as a user does, with no extra package.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.report.record import Outcome
from harness.report.writers import write_refusal, write_reports
from tests.report.test_writers import CHECK, _record

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


def test_the_report_opens_on_the_failure_and_a_link_unfolds_a_section(tmp_path: Path) -> None:
    write_reports(_record(), tmp_path)
    page = (tmp_path / "report.html").resolve()
    html = page.read_text()
    for fetch in ('src="http', "<link", "@import", "url(http"):
        assert fetch not in html  # one self-contained file: nothing is fetched

    plain = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert 'id="matrix"' in plain and "FAILED" in plain
    assert '<td class="failed"' in plain and '<td class="passed"' in plain
    failure = re.search(r'<details[^>]*id="TEST-WRITER--1"[^>]*>', plain)
    assert failure is not None and re.search(r"\sopen(=|\s|>)", failure.group(0)), failure
    assert "curl -X GET http://x/datastore/a" in plain
    folded = re.search(r'<details[^>]*id="run-details"[^>]*>', plain)
    assert folded is not None and "open" not in folded.group(0)

    linked = _chromium(tmp_path, "--dump-dom", page.as_uri() + "#meta")
    unfolded = re.search(r'<details[^>]*id="run-details"[^>]*>', linked)
    assert unfolded is not None and re.search(r"\sopen(=|\s|>)", unfolded.group(0)), unfolded

    screenshot = tmp_path / "report.png"
    _chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1200,900", page.as_uri())
    assert screenshot.stat().st_size > 10_000


def test_the_first_screen_shows_the_verdict_and_the_failures_evidence(tmp_path: Path) -> None:
    write_reports(_record(), tmp_path)
    page = (tmp_path / "report.html").resolve().as_uri()
    top = "document.querySelector('{}').getBoundingClientRect().top"
    shown = "document.querySelector('{}').checkVisibility()"
    with devtools(tmp_path, page) as browser:
        browser.send(  # a laptop's screen
            "Emulation.setDeviceMetricsOverride",
            width=1280,
            height=720,
            deviceScaleFactor=1,
            mobile=False,
        )
        height = browser.evaluate("window.innerHeight")
        assert height == 720
        assert browser.evaluate(top.format("#verdict")) < 150
        assert browser.evaluate(top.format('[id="TEST-WRITER--1"] pre.replay')) < height
        assert browser.evaluate(top.format('[id="TEST-WRITER--1"] pre.curl')) < height
        assert browser.evaluate(shown.format('[id="TEST-WRITER--1"] pre.response'))
        assert not browser.evaluate(shown.format("#matrix"))  # folded
        assert not browser.evaluate(shown.format("#meta"))  # folded


def test_a_refused_runs_report_renders_the_reason(tmp_path: Path) -> None:
    write_refusal(tmp_path, "server", "cannot run: cannot connect to 127.0.0.1:9")
    page = (tmp_path / "report.html").resolve().as_uri()
    with devtools(tmp_path, page) as browser:
        assert browser.evaluate("document.getElementById('verdict').textContent") == "REFUSED"
        reason = browser.evaluate("document.getElementById('refusal').innerText")
        assert "cannot run: cannot connect to 127.0.0.1:9" in reason
        assert browser.evaluate("document.querySelectorAll('.filterable').length") == 0


class DevTools:
    """A Chromium page driven over the DevTools protocol on a pipe."""

    def __init__(self, process: subprocess.Popen[bytes], to_browser: int, from_browser: int):
        self.process, self._out, self._in = process, to_browser, from_browser
        self._next, self._buffer, self.session = 0, b"", None

    def send(self, method: str, session: bool = True, **params: Any) -> dict[str, Any]:
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self._buffer:
                chunk = os.read(self._in, 65536)
                assert chunk, "chromium closed the pipe"
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            answer: dict[str, Any] = json.loads(raw)
            if answer.get("id") == self._next:
                assert "error" not in answer, answer
                result: dict[str, Any] = answer["result"]
                return result

    def evaluate(self, expression: str) -> Any:
        found = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return found["result"].get("value")


@contextmanager
def devtools(tmp_path: Path, url: str) -> Iterator[DevTools]:
    to_browser_read, to_browser = (os.dup(fd) for fd in os.pipe())  # above 4, whatever is open
    from_browser, from_browser_write = os.pipe()

    def pipes() -> None:  # the browser reads commands on fd 3 and writes answers on fd 4
        os.dup2(to_browser_read, 3)
        os.dup2(from_browser_write, 4)

    process = subprocess.Popen(
        [CHROMIUM, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={tmp_path / 'cdp'}"],
        preexec_fn=pipes,
        pass_fds=(3, 4, to_browser_read, from_browser_write),  # 3 and 4 stay open after `pipes`
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(to_browser_read)
    os.close(from_browser_write)
    browser = DevTools(process, to_browser, from_browser)
    try:
        target = browser.send("Target.createTarget", session=False, url="about:blank")
        attached = browser.send(
            "Target.attachToTarget", session=False, targetId=target["targetId"], flatten=True
        )
        browser.session = attached["sessionId"]
        browser.send("Page.navigate", url=url)
        loaded = f"document.readyState === 'complete' && location.href === {json.dumps(url)}"
        for _ in range(300):
            if browser.evaluate(loaded):
                break
            time.sleep(0.05)
        yield browser
    finally:
        process.kill()
        process.wait(timeout=30)
        os.close(to_browser)
        os.close(from_browser)


VISIBLE = "Array.from(document.querySelectorAll('{}')).filter(e => !e.hidden).length"


def test_typing_in_the_filter_and_toggling_a_status_changes_the_rows(tmp_path: Path) -> None:
    record = _record()
    for operation in ("GetImageSet", "SearchImageSets", "TagResource", "UntagResource"):
        record.add(Outcome(CHECK.id, operation, "passed"))
    write_reports(record, tmp_path)
    page = (tmp_path / "report.html").resolve().as_uri()
    passed_rows = VISIBLE.format("#passed tr.filterable")
    failures = VISIBLE.format("details.filterable")
    with devtools(tmp_path, page) as browser:
        assert browser.evaluate(passed_rows) == 5 and browser.evaluate(failures) == 1
        assert browser.evaluate("document.getElementById('shown').textContent") == (
            "6 of 6 checks shown"
        )
        browser.evaluate("document.getElementById('filter').focus()")
        browser.send("Input.insertText", text="imageset")
        assert browser.evaluate("document.getElementById('filter').value") == "imageset"
        assert browser.evaluate(passed_rows) == 2  # GetImageSet, SearchImageSets
        assert browser.evaluate(failures) == 0
        matrix_rows = browser.evaluate(VISIBLE.format("#matrix tr.filterable"))
        assert 0 < matrix_rows < 18

        browser.evaluate("document.getElementById('filter').select()")
        browser.send("Input.insertText", text="GetDatastore")
        assert browser.evaluate(failures) == 1 and browser.evaluate(passed_rows) == 0
        browser.evaluate("document.querySelector('input.status-toggle[value=failed]').click()")
        assert browser.evaluate(failures) == 0
        assert browser.evaluate("document.getElementById('shown').textContent") == (
            "0 of 6 checks shown"
        )
