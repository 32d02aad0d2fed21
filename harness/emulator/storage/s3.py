"""S3 access for the emulator: every call is made or signed by boto3, so any S3 endpoint works.

By default the emulator starts moto's S3-protocol server in-process on a
loopback port (`EmbeddedS3`); `--s3-endpoint` points it at any other.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import IO, Any

import boto3
import urllib3
from botocore.config import Config
from werkzeug.serving import BaseWSGIServer, make_server

from harness.emulator.http.server import HttpServer

_CHUNK_BYTES = 1024 * 1024
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
    """moto's S3-protocol server on a loopback port, in this process (or, with
    `serve_forever`, as a process of its own)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, server: str = "werkzeug") -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        for name in ("werkzeug", "moto"):
            logging.getLogger(name).setLevel(logging.ERROR)
        app = DomainDispatcherApplication(create_backend_app)
        self._cheroot: HttpServer | None = None
        self._server: BaseWSGIServer | None = None
        if server == "cheroot":
            self._cheroot = HttpServer(host, port, app)
            self.url = self._cheroot.bind()
        else:
            self._server = make_server(
                host, port, app, threaded=True, request_handler=MotoRequestHandler
            )
            self.url = f"http://{self._server.host}:{self._server.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> str:
        if self._cheroot is not None:
            return self._cheroot.start()
        assert self._server is not None
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="embedded-s3", daemon=True
        )
        self._thread.start()
        return self.url

    def serve_forever(self) -> None:
        """Serve in the calling thread (a separate S3 process, as the benchmark runs it)."""
        self.start()
        while (self._thread is not None and self._thread.is_alive()) or (
            self._cheroot is not None and self._cheroot.alive()
        ):
            time.sleep(0.5)

    def stop(self) -> None:
        if self._cheroot is not None:
            self._cheroot.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)


class S3ReadError(Exception):
    """An object could not be read."""


class ObjectReader:
    """Reads objects through presigned GET URLs on a pooled connection.

    The URL is signed by boto3 (so any S3-compatible endpoint works, session tokens
    included); the GET itself skips botocore's per-call machinery, which costs more
    CPU than the rest of an import's work on a small object.
    """

    def __init__(self, client: Any, connections: int = 16) -> None:
        self._client = client
        self._http = urllib3.PoolManager(
            maxsize=connections,
            retries=urllib3.Retry(total=3, backoff_factor=0.1),
            timeout=urllib3.Timeout(connect=5, read=30),
        )

    def download(self, bucket: str, key: str, target: IO[bytes]) -> None:
        """Write the object's bytes to `target`; S3ReadError when it cannot be read."""
        url = self._client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=900
        )
        try:
            response = self._http.request("GET", url, preload_content=False)
        except urllib3.exceptions.HTTPError as error:
            raise S3ReadError(str(error)) from error
        try:
            if response.status != 200:
                raise S3ReadError(f"HTTP {response.status} {response.reason} for {key}")
            for chunk in response.stream(_CHUNK_BYTES):
                target.write(chunk)
        except urllib3.exceptions.HTTPError as error:
            raise S3ReadError(str(error)) from error
        finally:
            response.release_conn()
