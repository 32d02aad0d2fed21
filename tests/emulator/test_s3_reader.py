"""The import's S3 object reader against moto's S3 server on a loopback port: its presigned
URLs are the SigV4 ones boto3 makes, and it reads objects into memory or a temporary file; the
embedded server sends S3 requests straight to moto's S3 app and leaves the rest to moto."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from typing import Any
from unittest import mock

import boto3
import botocore.auth
import pytest
from botocore.config import Config

from harness.emulator.storage.s3 import EmbeddedS3, ObjectReader, S3ReadError, S3Settings

KEYS = ("in/001/00001.dcm", "a b/ü+x=1&y~z.dcm", "in/%41/odd?name.dcm")


@pytest.fixture(scope="module")
def settings() -> Iterator[S3Settings]:
    server = EmbeddedS3("127.0.0.1")
    url = server.start()
    try:
        yield S3Settings(url)
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("endpoint", "token"),
    [
        ("http://127.0.0.1:9", None),
        ("http://127.0.0.1:9", "session/token+="),
        ("https://s3.example.test:443", None),
        ("http://[::1]:8080/", None),
        ("http://127.0.0.1:9/behind/a/proxy/", None),
        (None, None),
    ],
)
def test_presigned_urls_are_the_ones_boto3_makes(endpoint: str | None, token: str | None) -> None:
    settings = S3Settings(endpoint, session_token=token)
    now = datetime.datetime(2026, 1, 2, 3, 4, 5)
    client = boto3.client(
        "s3",
        endpoint_url=settings.endpoint_url,
        aws_access_key_id=settings.access_key,
        aws_secret_access_key=settings.secret_key,
        aws_session_token=token,
        region_name=settings.region,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=now):
        reader = ObjectReader(settings)
        for key in KEYS:
            expected = client.generate_presigned_url(
                "get_object", Params={"Bucket": "my-bucket", "Key": key}, ExpiresIn=900
            )
            assert reader.presigned_url("my-bucket", key) == expected


def _bucket(settings: S3Settings, name: str) -> Any:
    client = settings.client()
    client.create_bucket(Bucket=name)
    return client


def test_small_objects_are_read_into_memory_large_ones_into_a_file(settings: S3Settings) -> None:
    client = _bucket(settings, "reader")
    small, large = b"s" * 100, bytes(range(256)) * 64
    for key in KEYS:
        client.put_object(Bucket="reader", Key=key, Body=small)
    client.put_object(Bucket="reader", Key="large", Body=large)
    reader = ObjectReader(settings, memory_bytes=1024)
    for key in KEYS:
        with reader.open("reader", key) as source:
            assert isinstance(source, io.BytesIO) and source.read() == small
    with reader.open("reader", "large") as source:
        assert not isinstance(source, io.BytesIO)
        assert source.read() == large


def test_a_missing_object_is_a_read_error(settings: S3Settings) -> None:
    _bucket(settings, "reader-missing")
    with pytest.raises(S3ReadError, match="404"):
        ObjectReader(settings).open("reader-missing", "nothing-here")


def test_requests_not_signed_for_s3_are_routed_by_moto(settings: S3Settings) -> None:
    sts = boto3.client(
        "sts",
        endpoint_url=settings.endpoint_url,
        aws_access_key_id=settings.access_key,
        aws_secret_access_key=settings.secret_key,
        region_name=settings.region,
    )
    assert sts.get_caller_identity()["Account"] == "123456789012"
    assert settings.client().list_buckets()["ResponseMetadata"]["HTTPStatusCode"] == 200
