"""Stock SDK settings reach the emulator: host prefix on (through the emulator as proxy) or off."""

from __future__ import annotations

import socket
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth
from harness.emulator import Emulator
from tests.emulator.conftest import active_datastore, imaging_client


def _client(emulator: Emulator, **config: Any) -> Any:
    return boto3.client(
        "medical-imaging",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=boto3.session.Config(retries={"max_attempts": 1}, **config),
    )


def _runtime_calls_work(imaging: Any, datastore_id: str) -> None:
    found = imaging.search_image_sets(datastoreId=datastore_id)
    assert found["imageSetsMetadataSummaries"] == []
    with pytest.raises(ClientError) as raised:
        imaging.get_image_set(datastoreId=datastore_id, imageSetId="0" * 32)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_the_prefixed_host_does_not_resolve_without_help(emulator: Emulator) -> None:
    with pytest.raises(OSError):
        socket.getaddrinfo("runtime-127.0.0.1", 80)


def test_default_boto3_through_the_emulator_as_http_proxy(emulator: Emulator, imaging: Any) -> None:
    datastore_id = active_datastore(imaging)
    proxied = _client(emulator, proxies={"http": emulator.url})
    _runtime_calls_work(proxied, datastore_id)
    arn = imaging.get_datastore(datastoreId=datastore_id)["datastoreProperties"]["datastoreArn"]
    proxied.tag_resource(resourceArn=arn, tags={"via": "proxy"})
    assert proxied.list_tags_for_resource(resourceArn=arn)["tags"] == {"via": "proxy"}


def test_boto3_with_host_prefix_injection_off(emulator: Emulator, imaging: Any) -> None:
    datastore_id = active_datastore(imaging)
    _runtime_calls_work(_client(emulator, inject_host_prefix=False), datastore_id)


def test_boto3_with_the_environment_switch(
    emulator: Emulator, imaging: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    datastore_id = active_datastore(imaging)
    monkeypatch.setenv("AWS_DISABLE_HOST_PREFIX_INJECTION", "true")
    _runtime_calls_work(
        boto3.Session().client(
            "medical-imaging",
            endpoint_url=emulator.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        ),
        datastore_id,
    )


def test_absolute_form_targets_are_signed_with_the_host_as_sent(emulator: Emulator) -> None:
    import requests

    host = emulator.url.removeprefix("http://")
    session = requests.Session()
    session.auth = SigV4RequestsAuth(AwsCredentials("test", "test"), "us-east-1")
    session.proxies = {"http": emulator.url}
    url = f"http://runtime-{host.replace(':', '.invalid:', 1)}/datastore/{'0' * 32}"
    answer = session.get(url, timeout=10)
    assert answer.status_code == 404, answer.text
    assert answer.headers["X-Amzn-Errortype"] == "ResourceNotFoundException"


def test_the_default_client_fixture_turns_the_prefix_off(emulator: Emulator) -> None:
    client = imaging_client(emulator)
    assert client.meta.config.inject_host_prefix is False
