from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import harness
from harness.cli import main
from harness.sdk import bundled
from harness.sdk.scenarios import CATALOGUE


@pytest.mark.slow
def test_reference_passes_and_writes_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sdk", "--report-dir", str(tmp_path)]) == 0
    # Every scenario, the adapter check, the retry-behaviour and the error-types checks.
    assert f"{len(CATALOGUE) + 3} passed, 0 failed" in capsys.readouterr().out
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["kind"] == "sdk" and results["passed"] is True


def test_a_faulty_adapter_exits_1_and_names_the_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = f"{sys.executable} -m harness.sdk.reference_adapter --bug retries-conflicts"
    status = main(
        [
            "sdk",
            "--adapter",
            adapter,
            "--report-dir",
            str(tmp_path),
            "--scenario",
            "SDK-NO-RETRY-409",
            "--scenario",
            "SDK-RETRY-500",
        ]
    )
    assert status == 1
    output = capsys.readouterr().out
    assert "FAIL SDK-NO-RETRY-409" in output
    assert "2 requests sent, expected 1" in output


def test_list_and_unknown_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sdk", "--list-scenarios"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == len(CATALOGUE)
    assert main(["sdk", "--scenario", "NOPE"]) == 2


def _deviations(path: Path, *scenarios: str) -> Path:
    entries = [
        {"scenario": name, "observed": "retried", "why": "a test", "where": "nowhere"}
        for name in scenarios
    ]
    path.write_text(json.dumps(entries))
    return path


def test_any_adapter_may_bring_its_known_deviations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = f"{sys.executable} -m harness.sdk.reference_adapter --bug retries-conflicts"
    words = ["sdk", "--adapter", adapter, "--report-dir", str(tmp_path), "--quiet"]
    words += ["--scenario", "SDK-NO-RETRY-409", "--scenario", "SDK-RETRY-500"]
    listed = _deviations(tmp_path / "known.json", "SDK-NO-RETRY-409")
    assert main([*words, "--known-deviations", str(listed)]) == 0
    output = capsys.readouterr().out
    assert "KNOWN SDK-NO-RETRY-409" in output
    assert "1 known deviations" in output
    stale = _deviations(tmp_path / "stale.json", "SDK-NO-RETRY-409", "SDK-RETRY-500")
    assert main([*words, "--known-deviations", str(stale)]) == 1
    assert "FAIL SDK-KNOWN-DEVIATIONS" in capsys.readouterr().out


def test_the_protocol_document_ships_with_the_package(
    repo_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sdk", "--protocol-doc"]) == 0
    shipped = Path(capsys.readouterr().out.strip())
    assert shipped.is_relative_to(Path(harness.__file__).parent)
    assert not shipped.is_symlink()


def test_the_docs_protocol_document_is_a_relative_link_to_the_shipped_one(repo_root: Path) -> None:
    docs = repo_root / "docs" / "sdk-adapter-protocol.md"
    assert docs.is_symlink() and not Path(docs.readlink()).is_absolute()
    assert docs.resolve() == (repo_root / "harness/sdk/adapters/sdk-adapter-protocol.md").resolve()


def test_a_bundled_adapter_without_its_npm_packages_says_how_to_install_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "js-v3"
    folder.mkdir()
    for name in ("adapter.mjs", "package.json"):
        (folder / name).write_text("{}")
    monkeypatch.setattr(bundled, "ADAPTERS_DIR", tmp_path)
    monkeypatch.setattr(bundled.shutil, "which", lambda program: f"/bin/{program}")
    reason = bundled.unusable_reason("js-v3")
    assert reason is not None and f"npm ci --prefix {folder}" in reason
    (folder / "node_modules").mkdir()
    assert bundled.unusable_reason("js-v3") is None


def test_the_aiobotocore_adapter_without_aiobotocore_says_which_pin_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert bundled.unusable_reason("aiobotocore") is None
    monkeypatch.setattr(bundled.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(
        bundled.importlib.metadata,
        "requires",
        lambda name: ['aiobotocore==3.9.0; extra == "dev"', "botocore==1.43.11"],
    )
    reason = bundled.unusable_reason("aiobotocore")
    assert reason is not None and reason.endswith("-m pip install aiobotocore==3.9.0")
    assert bundled.unusable_reason("boto3") is None


def test_retries_2026_starts_the_adapter_with_the_opt_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = f"{sys.executable} -m harness.sdk.reference_adapter"
    words = ["sdk", "--adapter", adapter, "--report-dir", str(tmp_path), "--quiet"]
    assert main([*words, "--scenario", "SDK-RETRY-QUOTA-COST", "--retries-2026"]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["target"]["retries"] == {"asked": "2026", "declared": "2026"}
    assert results["target"]["sdk"]["retries"] == "2026"
