"""S3 access for the emulator: every call goes through boto3, so any S3 endpoint works.

By default the emulator starts moto's S3-protocol server in-process on a
loopback port (`EmbeddedS3`); `--s3-endpoint` points it at any other.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

_S3_URI = re.compile(r"^s3://(?P<bucket>[^/]+)(?:/(?P<key>.*))?$")


@dataclass(frozen=True)
class S3Settings:
    """How to reach the S3 endpoint the import jobs read and write."""

    endpoint_url: str | None
    access_key: str = "test"
    secret_key: str = "test"
    region: str = "us-east-1"
    session_token: str | None = None

    def client(self) -> Any:
        """A boto3 S3 client with short timeouts and path-style addressing."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            aws_session_token=self.session_token,
            region_name=self.region,
            config=Config(
                s3={"addressing_style": "path"},
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` → (`bucket`, `some/prefix`)."""
    match = _S3_URI.match(uri)
    if not match:
        raise ValueError(f"not an S3 URI: {uri}")
    return match["bucket"], match["key"] or ""


class EmbeddedS3:
    """moto's S3-protocol server on a loopback port, in this process."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        from moto.server import ThreadedMotoServer

        for name in ("werkzeug", "moto"):
            logging.getLogger(name).setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self.url = ""

    def start(self) -> str:
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        self._server.stop()
