"""The subcommands agree: one selection grammar, `--format json` lists, refused option
combinations, `did you mean`, families without spaces, complete help, and signals."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import harness.cli.diff
from harness.cli import NOT_RUNS, SUBCOMMANDS, build_parser, did_you_mean, main, parse
from harness.report.writers import REPORT_FILES
from harness.sdk.scenarios import load_catalogue
from harness.server.units import load_checks

REPO = Path(__file__).resolve().parents[2]
FAMILY = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _parsers() -> list[tuple[str, argparse.ArgumentParser]]:
    """Every (sub)command parser: `server`, `spec build`, ..."""
    found = []
    for name in SUBCOMMANDS:
        parser = build_parser([name])
        pending = [(name, _child(parser, name))]
        while pending:
            label, current = pending.pop()
            children = _children(current)
            found.append((label, current))
            pending += [(f"{label} {child}", sub) for child, sub in children.items()]
    return found


def _children(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return {
        name: child
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name, child in action.choices.items()
    }


def _child(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    return _children(parser)[name]


def test_the_walk_covers_every_command_and_spec_action() -> None:
    labels = {label for label, _ in _parsers()}
    assert labels == {
        "spec",
        "spec build",
        "spec check",
        "spec diff",
        "spec model-path",
        "emulator",
        "server",
        "sdk",
        "diff",
        "merge",
        "selftest",
        "proxy",
    }


@pytest.mark.parametrize(("label", "parser"), _parsers(), ids=lambda value: str(value))
def test_every_help_has_a_description_every_option_and_the_exit_statuses(
    label: str, parser: argparse.ArgumentParser
) -> None:
    assert parser.description, f"{label}: no description"
    text = parser.format_help()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        assert action.help and action.help.strip(), f"{label}: {action.option_strings} has no help"
        for name in action.option_strings:
            assert name in text
    statuses = text.split("exit status:\n", 1)[1].split("\nenvironment:\n", 1)
    assert len(statuses) == 2, f"{label}: no exit status or environment section"
    codes = re.findall(r"^  (\d+) ", statuses[0], flags=re.M)
    # The emulator and the proxy are services: SIGINT and SIGTERM are how they are stopped,
    # with exit 0.
    stopped = set() if label in ("emulator", "proxy") else {"130", "143"}
    assert {"0", "2", *stopped} <= set(codes), label
    assert "AHI_CONTRACT_TRACEBACK" in statuses[1]


@pytest.mark.parametrize("label", ["spec build", "spec model-path"])
def test_commands_that_never_exit_1_do_not_list_it(label: str) -> None:
    parser = dict(_parsers())[label]
    statuses = parser.format_help().split("exit status:\n", 1)[1].split("\nenvironment:", 1)[0]
    assert not re.search(r"^  1 ", statuses, flags=re.M)
    assert "check failed" not in statuses


def test_exit_1_says_what_it_means_for_each_command() -> None:
    helps = {label: parser.format_help() for label, parser in _parsers()}
    meaning = {
        "spec check": "differs from what `spec build` writes",
        "spec diff": "a breaking change",
        "diff": "a regression",
        "server": "a check failed",
        "sdk": "a scenario failed",
        "selftest": "a fault or bug missed",
        "proxy": "a check failed",
    }
    for label, says in meaning.items():
        line = re.search(r"^  1 +(.*)$", helps[label], flags=re.M)
        assert line is not None and says in line.group(1), label


# -- did you mean ----------------------------------------------------------------------------


def test_did_you_mean_is_case_insensitive_and_names_only_the_closest() -> None:
    choices = ["IDEMPOTENT-REPLAY", "IDEMPOTENT-CONFLICT", "SEARCH-FILTER"]
    assert did_you_mean("idempotent-reply", choices) == "; did you mean IDEMPOTENT-REPLAY?"
    assert did_you_mean("--endpont", ["--endpoint", "--s3-endpoint"]) == (
        "; did you mean --endpoint?"
    )
    assert did_you_mean("xyzzy", choices) == ""
    several = did_you_mean("SDK-RETRY-50", ["SDK-RETRY-500", "SDK-RETRY-502", "SDK-OTHER"])
    assert several in (
        "; did you mean SDK-RETRY-500 or SDK-RETRY-502?",
        "; did you mean SDK-RETRY-502 or SDK-RETRY-500?",
    )


def _refused(words: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """Run `words`, which must be refused (exit 2, one line on stderr); that line."""
    try:
        status = main(words)
    except SystemExit as exited:
        status = int(exited.code or 0)
    captured = capsys.readouterr()
    assert status == 2, (captured.out[-500:], captured.err)
    assert captured.out == ""
    error = captured.err.strip()
    assert len(error.splitlines()) == 1, error
    return error


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["server", "--endpont", "http://x"], "ahi-contract server: unrecognized arguments: "),
        (["server", "--endpont=http://x"], "did you mean --endpoint?"),
        (["spec", "build", "--outptu", "x.yaml"], "ahi-contract spec build: unrecognized"),
        (["spec", "build", "--outptu", "x.yaml"], "did you mean --output?"),
        (["sdk", "--list-scenario", "--scenaro", "x"], "did you mean --scenario?"),
        (["diff", "--format", "jsn", "a", "b"], "did you mean json?"),
        (["sever"], "did you mean server?"),
    ],
)
def test_a_mistyped_option_or_choice_gets_a_suggestion(
    words: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert says in _refused(words, capsys)


def test_a_mistyped_check_scenario_or_fault_gets_a_suggestion(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _refused(["server", "--check", "IDEMPOTENT-REPLY"], capsys).endswith(
        "no check ID or family matches IDEMPOTENT-REPLY; did you mean IDEMPOTENT-REPLAY?"
    )
    assert "did you mean SEARCH-*?" in _refused(
        ["server", "--list-checks", "--check", "SERACH-*"], capsys
    )
    assert "did you mean image-sets?" in _refused(["server", "--check", "image sets"], capsys)
    assert "did you mean sdk-retries?" in _refused(["sdk", "--scenario", "sdk-retrys"], capsys)
    fault = _refused(["server", "--fault", "slow-respnses"], capsys)
    assert "unknown fault(s): slow-respnses; did you mean slow-responses?" in fault


# -- options that only mean something with another ------------------------------------------


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["server", "--format", "json"], "--format applies only with --list-checks"),
        (["server", "--format", "text"], "--format applies only with --list-checks"),
        (["server", "--list-checks", "--plan"], "--list-checks does not combine with --plan"),
        (["server", "--list-checks", "--seed", "3"], "does not combine with --seed"),
        (["server", "--plan", "--report-dir", "out"], "--plan does not combine with --report-dir"),
        (["server", "--plan", "--quiet"], "--plan does not combine with --quiet"),
        (["sdk", "--format", "json"], "--format applies only with --list-scenarios"),
        (["sdk", "--list-scenarios", "--protocol-doc"], "does not combine with --protocol-doc"),
        (["sdk", "--list-scenarios", "--adapter", "boto3"], "does not combine with --adapter"),
        (["sdk", "--protocol-doc", "--quiet"], "it takes no other option"),
    ],
)
def test_options_that_mean_nothing_together_are_refused(
    words: list[str],
    says: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AWS_ENDPOINT_URL_MEDICAL_IMAGING", raising=False)
    assert says in _refused(words, capsys)
    written = sorted(path for path in tmp_path.rglob("*") if path.is_file())
    if NOT_RUNS & set(words):  # a listing or a plan writes no reports, refused or not
        assert written == [], "a usage mistake wrote something"
    else:  # a run refused for its command line replaces the reports with a refused set
        assert [path.name for path in written] == sorted(REPORT_FILES)
        results = json.loads((tmp_path / "reports" / "results.json").read_text())
        assert results["status"] == "refused" and says in results["refused"]


@pytest.mark.parametrize(
    ("words", "says"),
    [
        (["server", "--access-key", "K", "--secret-key", "S"], "a given --endpoint only"),
        (["server", "--datastore-id", "abc"], "--datastore-id applies to a given --endpoint"),
        (["server", "--job-quota", "2"], "--job-quota applies to a given --endpoint"),
        (["server", "--s3-endpoint", "http://s3.test"], "--s3-endpoint applies to a given"),
        (["server", "--endpoint", "http://x", "--access-key", "K"], "go together"),
        (["server", "--endpoint", "http://x", "--session-token", "T"], "--session-token"),
        (["server", "--check", "search", "--exclude-check", "search"], "leave no check"),
        (["sdk", "--scenario", "SDK-RETRY-*", "--exclude-scenario", "sdk-*"], "leave no scenario"),
    ],
)
def test_runs_their_options_cannot_describe_are_refused(
    words: list[str],
    says: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("AWS_ENDPOINT_URL_MEDICAL_IMAGING", raising=False)
    assert says in _refused(words, capsys)


def test_options_are_known_as_given_whatever_their_spelling_or_value() -> None:
    arguments = parse(["server", "--list-checks", "--form", "text", "--check", "x"])
    assert arguments.given == {"--list-checks", "--format", "--check"}
    assert arguments.format == "text" and arguments.report_dir == Path("reports")
    assert parse(["server"]).given == frozenset()
    assert parse(["spec", "build"]).command_words == "spec build"


# -- lists -----------------------------------------------------------------------------------


def _listed(words: list[str], capsys: pytest.CaptureFixture[str]) -> list[dict[str, str]]:
    assert main(words) == 0
    listed: list[dict[str, str]] = json.loads(capsys.readouterr().out)
    return listed


def test_no_family_of_either_catalogue_has_a_space(capsys: pytest.CaptureFixture[str]) -> None:
    checks = _listed(["server", "--list-checks", "--format", "json"], capsys)
    scenarios = _listed(["sdk", "--list-scenarios", "--format", "json"], capsys)
    assert len(checks) == len(load_checks()) and len(scenarios) == len(load_catalogue())
    families = {entry["family"] for entry in checks + scenarios}
    assert "image-sets" in families and "sdk-retries" in families
    assert [family for family in families if not FAMILY.match(family)] == []


def test_list_scenarios_honours_the_selection_in_both_formats(
    capsys: pytest.CaptureFixture[str],
) -> None:
    words = ["sdk", "--list-scenarios", "--scenario", "sdk-blobs", "--scenario", "sdk-retry-50*"]
    words += ["--exclude-scenario", "SDK-BLOB-FRAME"]
    listed = _listed([*words, "--format", "json"], capsys)
    expected = [
        s.id
        for s in load_catalogue()
        if (s.family == "sdk-blobs" and s.id != "SDK-BLOB-FRAME") or s.id.startswith("SDK-RETRY-50")
    ]
    assert [entry["id"] for entry in listed] == expected and len(expected) > 4
    assert set(listed[0]) == {"id", "family", "operation", "rule", "source", "reference"}
    assert main(words) == 0
    rows = capsys.readouterr().out.splitlines()
    assert [row.split()[0] for row in rows] == expected
    assert all(row.split()[1] in ("sdk-blobs", "sdk-retries") for row in rows)


def test_an_sdk_run_runs_what_the_patterns_select(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    words = ["sdk", "--scenario", "SDK-RETRY-50*", "--exclude-scenario", "sdk-retry-504"]
    assert main([*words, "--report-dir", str(tmp_path), "--quiet"]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    scenarios = {entry["id"] for entry in results["checks"]} - {
        "SDK-ADAPTER",
        "SDK-RETRY-BEHAVIOUR",
        "SDK-ERROR-TYPES",
    }
    assert scenarios == {"SDK-RETRY-500", "SDK-RETRY-502", "SDK-RETRY-503"}


# -- an adapter that cannot start ------------------------------------------------------------


def test_an_adapter_that_exits_before_greeting_is_refused_with_its_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = f"{sys.executable} -c \"import sys; sys.stderr.write('boom\\n'); sys.exit(3)\""
    error = _refused(["sdk", "--adapter", adapter, "--report-dir", str(tmp_path)], capsys)
    assert error == (
        f"ahi-contract sdk: adapter `{adapter}` exited with status 3 before greeting: boom"
    )


def test_an_adapter_that_raises_names_its_error_not_its_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = tmp_path / "adapter.py"
    program.write_text("import json\n\n\ndef start():\n    import no_such_sdk\n\n\nstart()\n")
    words = ["sdk", "--adapter", f"{sys.executable} {program}", "--report-dir", str(tmp_path)]
    error = _refused(words, capsys)
    assert error.endswith("ModuleNotFoundError: No module named 'no_such_sdk'"), error
    assert "Traceback" not in error and "File " not in error


# -- signals ---------------------------------------------------------------------------------

main_thread_only = pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(),
    reason="signal handlers are installed in the main thread only",
)


@main_thread_only
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_runs_the_clean_up_and_sets_the_exit_status(
    signum: int,
    status: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    cleaned: list[bool] = []

    def run(arguments: argparse.Namespace) -> int:
        try:
            os.kill(os.getpid(), signum)
            time.sleep(5)
            return 0
        finally:
            cleaned.append(True)

    monkeypatch.setattr(harness.cli.diff, "run", run)
    before = signal.getsignal(signal.SIGTERM)
    results = tmp_path / "results.json"
    results.write_text("{}")
    assert main(["diff", str(results), str(results)]) == status
    assert cleaned == [True]
    assert signal.getsignal(signal.SIGTERM) == before
    name = "SIGTERM" if signum == signal.SIGTERM else "SIGINT"
    assert capsys.readouterr().err.strip() == f"ahi-contract diff: stopped by {name}"


def _state(pid: int) -> str | None:
    """The process's state letter (Z for a zombie), or None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_sigterm_during_a_run_exits_143_and_stops_the_adapter(tmp_path: Path) -> None:
    marker = tmp_path / "adapter.pid"
    program = tmp_path / "slow_adapter.py"
    program.write_text(
        "import os, sys, time\n"
        f"open({str(marker)!r}, 'w').write(str(os.getpid()))\n"
        "time.sleep(60)\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    words = ["sdk", "--adapter", f"{sys.executable} {program}", "--report-dir", str(tmp_path)]
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", *words],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not (marker.exists() and marker.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    adapter = int(marker.read_text())
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=20)
    assert process.returncode == 143, (stdout, stderr)
    assert stderr.strip() == "ahi-contract sdk: stopped by SIGTERM"
    assert _state(adapter) in (None, "Z"), "the adapter outlived the run"


@pytest.mark.parametrize(
    "words",
    [
        ["server", "--workers", "0", "--report-dir", "out"],
        ["server", "--endpont", "http://x", "--report-dir=out"],
        ["sdk", "--adapter", "boto3", "--report-dir", "out", "--quiet", "--bogus"],
        ["server", "--workers", "0", "--report-d", "out"],  # argparse takes the abbreviation
        ["selftest", "--rep=out", "--bogus"],
    ],
)
def test_a_command_line_the_parser_refuses_replaces_the_reports_of_its_run(
    words: list[str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "results.json").write_text('{"status": "passed"}')
    with pytest.raises(SystemExit) as stopped:
        main(words)
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["status"] == "refused" and results["refused"] in error
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == sorted(REPORT_FILES)
