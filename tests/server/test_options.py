"""One option set for every front end; credentials through botocore's own resolution."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from harness.server.options import (
    CredentialsMissing,
    add_options,
    option_values,
    server_options,
)


def _parse(*words: str, prefix: str = "") -> dict[str, object]:
    parser = argparse.ArgumentParser()
    add_options(parser.add_argument, prefix)
    return option_values(parser.parse_args(list(words)), prefix)


@pytest.fixture()
def aws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No credentials anywhere but in files this test writes."""
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL_MEDICAL_IMAGING",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    (tmp_path / "config").write_text("")
    (tmp_path / "credentials").write_text("")
    return tmp_path


def test_both_prefixes_give_the_same_options(aws_home: Path) -> None:
    words = ("--profile", "full", "--seed", "4", "--fault", "a", "--fault", "b", "--workers", "3")
    plain = server_options(_parse(*words))
    prefixed = server_options(_parse(*[w.replace("--", "--ahi-") for w in words], prefix="ahi-"))
    assert plain == prefixed
    assert (plain.profile, plain.seed, plain.faults, plain.workers) == ("full", 4, ("a", "b"), 3)


def test_a_profile_in_the_config_file_supplies_credentials_and_region(
    aws_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (aws_home / "config").write_text(
        "[profile imaging]\nregion = eu-west-1\n"
        "aws_access_key_id = AKIDPROFILE\naws_secret_access_key = s3cret\n"
    )
    monkeypatch.setenv("AWS_PROFILE", "imaging")
    options = server_options(_parse("--endpoint", "https://example.test"))
    assert options.credentials.access_key == "AKIDPROFILE"
    assert options.credentials.secret_key == "s3cret"
    assert options.region == "eu-west-1"


def test_the_service_endpoint_variable_names_the_target(
    aws_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_MEDICAL_IMAGING", "https://imaging.test")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    options = server_options(_parse("--region", "us-west-2"))
    assert options.endpoint == "https://imaging.test"
    assert options.credentials.access_key == "AKIDENV"
    assert options.region == "us-west-2"


def test_flags_override_the_credential_chain(
    aws_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    options = server_options(
        _parse("--endpoint", "https://x.test", "--access-key", "K", "--secret-key", "S")
    )
    assert (options.credentials.access_key, options.credentials.secret_key) == ("K", "S")


def test_a_remote_target_without_credentials_is_refused_in_one_line(aws_home: Path) -> None:
    with pytest.raises(CredentialsMissing, match="needs credentials"):
        server_options(_parse("--endpoint", "https://x.test"))


def test_the_embedded_emulator_needs_no_credentials(aws_home: Path) -> None:
    options = server_options(_parse())
    assert options.endpoint is None
    assert options.credentials.access_key == "test"


def test_workers_must_be_positive() -> None:
    with pytest.raises(SystemExit):
        _parse("--workers", "0")
