"""Every bad input, through the real command line: one line on stderr, exit 2, no traceback,
and nothing written where it should not be."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from harness.report.writers import REPORT_FILES

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "specs" / "medical-imaging.openapi.yaml"


@dataclass(frozen=True)
class Case:
    """A command line (with `{F}` for the fixtures folder), what stderr must say, its env."""

    words: tuple[str, ...]
    says: str
    env: dict[str, str] = field(default_factory=dict)


def _results(kind: str | None, **changes: object) -> str:
    results: dict[str, object] = {
        "schemaVersion": 1,
        "kind": kind,
        "tool": {"ahi-contract": "0.1.0"},
        "target": {},
        "checks": [{"id": "A", "subject": "GetDatastore", "status": "passed", "message": ""}],
    }
    results.update(changes)
    return json.dumps(results)


def _fixtures(folder: Path) -> None:
    spec_text = SPEC.read_text(encoding="utf-8")
    files: dict[str, str | bytes] = {
        "server.json": _results("server"),
        "sdk.json": _results("sdk"),
        "selftest.json": _results("selftest"),
        "truncated.json": _results("server")[:40],
        "v99.json": _results("server", schemaVersion=99),
        "other-kind.json": _results("emulator"),
        "no-kind.json": _results(None),
        "list.json": "[]",
        "bad-checks.json": _results("server", checks=[{"id": 1}]),
        "binary.json": b"\xff\xfe\x00garbage",
        # A cut that YAML still parses: its `$ref`s into components point nowhere.
        "cut.yaml": spec_text[: len(spec_text) // 3],
        # A cut inside a flow mapping: YAML cannot parse it.
        "broken.yaml": "openapi: 3.1.0\npaths: {'/a': {get: {",
        "truncated-spec.json": json.dumps({"openapi": "3.1.0", "paths": {}})[:-3],
        "scalar.yaml": "just a string\n",
        "no-paths.yaml": "openapi: 3.1.0\ninfo: {title: x}\n",
        "other-service.json": json.dumps(
            {"metadata": {"signingName": "s3"}, "shapes": {}, "operations": {}}
        ),
        "truncated.json.gz": gzip.compress(b'{"metadata": {}, "shapes": {}}')[:20],
        "deviations-truncated.json": '[{"scenario": "SDK-RETRY-500", "obs',
        "deviations-object.json": '{"scenario": "SDK-RETRY-500"}',
        "deviations-fields.json": '[{"scenario": "SDK-RETRY-500", "observed": "x"}]',
        "a-file": "not a directory\n",
    }
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    (folder / "a-directory").mkdir()


NO_AWS = {
    "AWS_CONFIG_FILE": "{F}/absent-config",
    "AWS_SHARED_CREDENTIALS_FILE": "{F}/absent-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "secret", **NO_AWS}

CASES: dict[str, Case] = {
    # the root command
    "unknown command": Case(("bogus",), "invalid choice"),
    "no command": Case((), "required"),
    # diff
    "diff: missing file": Case(("diff", "{F}/absent.json", "{F}/server.json"), "no such file"),
    "diff: a directory": Case(("diff", "{F}/a-directory", "{F}/server.json"), "not a regular"),
    "diff: truncated JSON": Case(("diff", "{F}/truncated.json", "{F}/server.json"), "not JSON"),
    "diff: not UTF-8": Case(("diff", "{F}/binary.json", "{F}/server.json"), "not UTF-8"),
    "diff: schema version": Case(("diff", "{F}/v99.json", "{F}/server.json"), "schemaVersion 99"),
    "diff: unknown kind": Case(("diff", "{F}/other-kind.json", "{F}/server.json"), "kind"),
    "diff: no kind": Case(("diff", "{F}/no-kind.json", "{F}/server.json"), "kind None"),
    "diff: not an object": Case(("diff", "{F}/list.json", "{F}/server.json"), "results.json"),
    "diff: malformed checks": Case(("diff", "{F}/bad-checks.json", "{F}/server.json"), "checks"),
    "diff: server against sdk": Case(
        ("diff", "{F}/server.json", "{F}/sdk.json"), "cannot compare a server run with a sdk run"
    ),
    "diff: sdk against selftest": Case(
        ("diff", "{F}/sdk.json", "{F}/selftest.json"), "cannot compare"
    ),
    "diff: unknown format": Case(
        ("diff", "{F}/server.json", "{F}/server.json", "--format", "xml"), "invalid choice"
    ),
    # spec
    "spec diff: missing file": Case(("spec", "diff", "{F}/absent.yaml", str(SPEC)), "no such"),
    "spec diff: a directory": Case(("spec", "diff", str(SPEC), "{F}/a-directory"), "not a regular"),
    "spec diff: YAML cut short": Case(
        ("spec", "diff", str(SPEC), "{F}/cut.yaml"), "points nowhere"
    ),
    "spec diff: YAML broken": Case(
        ("spec", "diff", str(SPEC), "{F}/broken.yaml"), "cannot be read"
    ),
    "spec diff: JSON cut short": Case(
        ("spec", "diff", str(SPEC), "{F}/truncated-spec.json"), "cannot be read"
    ),
    "spec diff: gzip cut short": Case(
        ("spec", "diff", str(SPEC), "{F}/truncated.json.gz"), "cannot be read"
    ),
    "spec diff: not UTF-8": Case(("spec", "diff", str(SPEC), "{F}/binary.json"), "cannot be read"),
    "spec diff: a scalar": Case(("spec", "diff", str(SPEC), "{F}/scalar.yaml"), "not a document"),
    "spec diff: OpenAPI without paths": Case(
        ("spec", "diff", str(SPEC), "{F}/no-paths.yaml"), "without `paths`"
    ),
    "spec diff: results.json": Case(
        ("spec", "diff", str(SPEC), "{F}/server.json"), "neither an OpenAPI document"
    ),
    "spec diff: another service's model": Case(
        ("spec", "diff", str(SPEC), "{F}/other-service.json"), "describes 's3'"
    ),
    "spec check: missing spec": Case(("spec", "check", "--spec", "{F}/absent.yaml"), "no such"),
    "spec build: output is a directory": Case(
        ("spec", "build", "--output", "{F}/a-directory"), "is a directory"
    ),
    "spec build: output under a file": Case(
        ("spec", "build", "--output", "{F}/a-file/spec.yaml"), "not a directory"
    ),
    "spec model-path: no such python": Case(
        ("spec", "model-path", "--python", "{F}/absent-python"), "cannot run"
    ),
    "spec model-path: not a program": Case(
        ("spec", "model-path", "--python", "{F}/a-file"), "cannot run"
    ),
    # server
    "server: endpoint not a URL": Case(("server", "--endpoint", "notaurl"), "not an http(s) URL"),
    "server: endpoint of another scheme": Case(("server", "--endpoint", "ftp://host"), "http(s)"),
    "server: endpoint with a bad port": Case(
        ("server", "--endpoint", "http://host:99999"), "not a URL"
    ),
    "server: S3 endpoint not a URL": Case(("server", "--s3-endpoint", "s3"), "not an http(s) URL"),
    "server: endpoint variable not a URL": Case(
        ("server",), "AWS_ENDPOINT_URL_MEDICAL_IMAGING", {"AWS_ENDPOINT_URL_MEDICAL_IMAGING": "x"}
    ),
    "server: zero workers": Case(("server", "--workers", "0"), "not a positive whole number"),
    "server: negative workers": Case(("server", "--workers", "-3"), "not a positive"),
    "server: workers not a number": Case(("server", "--workers", "two"), "not a whole number"),
    "server: negative seed": Case(("server", "--seed", "-1"), "negative"),
    "server: zero job quota": Case(("server", "--job-quota", "0"), "not a positive"),
    "server: zero timeout": Case(("server", "--request-timeout", "0"), "above 0"),
    "server: negative timeout": Case(("server", "--request-timeout", "-5"), "above 0"),
    "server: timeout not finite": Case(("server", "--request-timeout", "nan"), "above 0"),
    "server: zero examples": Case(("server", "--max-examples", "0"), "not a positive"),
    "server: a check nothing matches": Case(
        ("server", "--check", "NO-SUCH-CHECK"), "no check ID or family matches NO-SUCH-CHECK"
    ),
    "server: listing checks nothing matches": Case(
        ("server", "--list-checks", "--exclude-check", "NOPE-*"), "no check ID or family"
    ),
    "server: unknown profile": Case(("server", "--profile", "fast"), "invalid choice"),
    "server: unknown fault": Case(("server", "--fault", "no-such-fault"), "unknown fault"),
    "server: fault with an endpoint": Case(
        ("server", "--endpoint", "http://127.0.0.1:1", "--fault", "slow-responses"),
        "embedded emulator only",
        CREDENTIALS,
    ),
    "server: report dir is a file": Case(
        ("server", "--report-dir", "{F}/a-file"), "exists and is not a directory"
    ),
    "server: report dir under a file": Case(
        ("server", "--report-dir", "{F}/a-file/reports"), "is not a directory"
    ),
    "server: no credentials for an endpoint": Case(
        ("server", "--endpoint", "http://127.0.0.1:1"), "needs credentials", NO_AWS
    ),
    "server: AWS_PROFILE names no profile": Case(
        ("server", "--endpoint", "http://127.0.0.1:1"),
        "The config profile (absent) could not be found",
        {**NO_AWS, "AWS_PROFILE": "absent"},
    ),
    "server: unreachable endpoint": Case(
        ("server", "--endpoint", "http://127.0.0.1:1", "--report-dir", "reports"),
        "cannot connect",
        CREDENTIALS,
    ),
    # sdk
    "sdk: adapter program missing": Case(
        ("sdk", "--adapter", "no-such-sdk-adapter --flag"), "not found"
    ),
    "sdk: adapter path missing": Case(("sdk", "--adapter", "{F}/absent-adapter"), "not found"),
    "sdk: adapter not a command line": Case(("sdk", "--adapter", "node 'open"), "not a command"),
    "sdk: adapter empty": Case(("sdk", "--adapter", " "), "empty"),
    "sdk: unknown scenario": Case(
        ("sdk", "--scenario", "SDK-RETRY-50"), "no scenario ID or family matches SDK-RETRY-50"
    ),
    "sdk: known deviations missing": Case(
        ("sdk", "--known-deviations", "{F}/absent.json"), "no such file"
    ),
    "sdk: known deviations truncated": Case(
        ("sdk", "--known-deviations", "{F}/deviations-truncated.json"), "not JSON"
    ),
    "sdk: known deviations not a list": Case(
        ("sdk", "--known-deviations", "{F}/deviations-object.json"), "must be a JSON list"
    ),
    "sdk: known deviations entry incomplete": Case(
        ("sdk", "--known-deviations", "{F}/deviations-fields.json"), "entry 0"
    ),
    "sdk: report dir is a file": Case(("sdk", "--report-dir", "{F}/a-file"), "not a directory"),
    "sdk: adapter exits before greeting": Case(
        ("sdk", "--adapter", f"{sys.executable} -c \"raise SystemExit('no SDK here')\""),
        "before greeting: no SDK here",
    ),
    "sdk: format without a listing": Case(
        ("sdk", "--format", "json"), "only with --list-scenarios"
    ),
    # usage mistakes every command shares
    "server: mistyped option": Case(
        ("server", "--endpont", "http://x"), "did you mean --endpoint?"
    ),
    "server: format without a listing": Case(
        ("server", "--format", "json"), "--format applies only with --list-checks"
    ),
    "server: listing with a plan": Case(
        ("server", "--list-checks", "--plan"), "--list-checks does not combine with --plan"
    ),
    # selftest
    "selftest: zero workers": Case(("selftest", "--workers", "0"), "not a positive"),
    "selftest: negative seed": Case(("selftest", "--seed", "-2"), "negative"),
    "selftest: unknown fault": Case(("selftest", "--fault", "nope"), "unknown fault or bug"),
    "selftest: report dir is a file": Case(
        ("selftest", "--report-dir", "{F}/a-file"), "not a directory"
    ),
}


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad-inputs")
    _fixtures(folder)
    return folder


def _snapshot(folder: Path) -> dict[str, float]:
    return {str(path): path.stat().st_mtime for path in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_and_exit_2(name: str, fixtures: Path, tmp_path: Path) -> None:
    case = CASES[name]
    words = [word.replace("{F}", str(fixtures)) for word in case.words]
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("AWS_") and key != "AHI_CONTRACT_TRACEBACK"
    }
    environment.update(
        {key: value.replace("{F}", str(fixtures)) for key, value in case.env.items()}
    )
    environment["PYTHONPATH"] = str(REPO)
    before = _snapshot(fixtures)
    finished = subprocess.run(
        [sys.executable, "-m", "harness", *words],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    stderr = finished.stderr.strip()
    assert finished.returncode == 2, (finished.returncode, stderr, finished.stdout[-500:])
    assert "Traceback" not in finished.stderr + finished.stdout
    assert len(stderr.splitlines()) == 1, stderr
    assert case.says in stderr
    assert stderr.startswith("ahi-contract")
    written = sorted(path for path in tmp_path.rglob("*") if path.is_file())
    if written:  # a run refused after its options were read replaces the reports it would write
        folder = written[0].parent
        assert [path.name for path in written] == sorted(REPORT_FILES)
        assert folder.relative_to(tmp_path).parts[0] == "reports"
        results = json.loads((folder / "results.json").read_text())
        assert results["status"] == "refused" and case.says in results["refused"]
    assert _snapshot(fixtures) == before, "the fixtures changed"
