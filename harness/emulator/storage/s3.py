"""S3 access for the emulator: every call is made or signed by boto3, so any S3 endpoint works.

By default the emulator starts moto's S3-protocol server in-process on a
loopback port (`EmbeddedS3`); `--s3-endpoint` points it at any other.
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import IO, Any

import boto3
import urllib3
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.utils import percent_encode
from werkzeug.serving import BaseWSGIServer, make_server

from harness.emulator.http.server import HttpServer

_CHUNK_BYTES = 1024 * 1024
MEMORY_BYTES = 8 * 1024 * 1024
"""Objects up to this size are read into memory; larger ones go to a temporary file."""
PRESIGNED_SECONDS = 900
_S3_URI = re.compile(r"^s3://(?P<bucket>[^/]+)(?:/(?P<key>.*))?$")
_S3_SCOPE = re.compile(r"(?:^|&)X-Amz-Credential=[^&]*%2Fs3%2Faws4_request(?:&|$)")


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
                signature_version="s3v4",
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


def _s3_dispatcher() -> Any:
    """moto's dispatcher, with requests signed for S3 sent straight to its S3 app.

    moto finds the backend of every request anew (about 0.8 ms of CPU: it lists its
    modules on disk and matches URL patterns); a request whose SigV4 credential scope
    names `s3` (header or presigned query) ends at its S3 app that way, so it goes there
    at once. Everything else (moto's own API, S3 Control, other services) is routed by moto.
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    class S3Dispatcher(DomainDispatcherApplication):
        def get_application(self, environ: dict[str, Any]) -> Any:
            if not _signed_for_s3(environ):
                return super().get_application(environ)
            with self.lock:
                app = self.app_instances.get("s3")
                if app is None:
                    app = self.app_instances["s3"] = self.create_app("s3")
                return app

    return S3Dispatcher


def _signed_for_s3(environ: dict[str, Any]) -> bool:
    path = str(environ.get("PATH_INFO", ""))
    if path.startswith(("/moto-api", "/latest/", "/v20180820/")) or path == "/favicon.ico":
        return False
    if "s3-control" in str(environ.get("HTTP_HOST", "")) or environ.get("HTTP_X_AMZ_TARGET"):
        return False
    authorization = str(environ.get("HTTP_AUTHORIZATION", ""))
    if authorization:
        fields = authorization.split(",")[0].split()
        scope = fields[1].split("/") if len(fields) > 1 else []
        return len(scope) == 5 and scope[3].lower() == "s3"
    return _S3_SCOPE.search(str(environ.get("QUERY_STRING", ""))) is not None


class EmbeddedS3:
    """moto's S3-protocol server on a loopback port, in this process (or, with
    `serve_forever`, as a process of its own)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, server: str = "werkzeug") -> None:
        from moto.moto_server.werkzeug_app import MotoRequestHandler, create_backend_app

        for name in ("werkzeug", "moto"):
            logging.getLogger(name).setLevel(logging.ERROR)
        app = _s3_dispatcher()(create_backend_app)
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


def _spooled(memory_bytes: int) -> IO[bytes]:
    """A file in memory up to `memory_bytes`, on disk beyond; closed by its owner."""
    return tempfile.SpooledTemporaryFile(memory_bytes)


class S3ReadError(Exception):
    """An object could not be read."""


class ObjectReader:
    """Reads objects through presigned GET URLs on pooled connections.

    Each URL is presigned by botocore's S3 SigV4 query signer (path style, session tokens
    included), the URL `generate_presigned_url` makes with `signature_version="s3v4"`,
    so any S3-compatible endpoint takes it; neither the signing nor the GET goes through
    botocore's per-call machinery (endpoint rules, hooks, validation), which costs more
    CPU than the rest of an import's work on a small object.
    """

    def __init__(
        self, settings: S3Settings, connections: int = 16, memory_bytes: int = MEMORY_BYTES
    ) -> None:
        self._endpoint = str(settings.client().meta.endpoint_url).rstrip("/")
        credentials = Credentials(settings.access_key, settings.secret_key, settings.session_token)
        self._signer = S3SigV4QueryAuth(
            credentials, "s3", settings.region, expires=PRESIGNED_SECONDS
        )
        self._memory_bytes = memory_bytes
        self._http = urllib3.PoolManager(
            maxsize=connections,
            retries=urllib3.Retry(total=3, backoff_factor=0.1),
            timeout=urllib3.Timeout(connect=5, read=30),
        )

    def presigned_url(self, bucket: str, key: str) -> str:
        """A GET URL for `s3://bucket/key`, valid for PRESIGNED_SECONDS."""
        path = f"/{percent_encode(bucket)}/{percent_encode(key, safe='/~')}"
        request = AWSRequest(method="GET", url=f"{self._endpoint}{path}")
        self._signer.add_auth(request)
        url: str = request.url
        return url

    def open(self, bucket: str, key: str) -> IO[bytes]:
        """The object's bytes, positioned at the start: in memory up to `memory_bytes`, in a
        temporary file beyond; the caller closes it. S3ReadError when it cannot be read."""
        try:
            response = self._http.request(
                "GET", self.presigned_url(bucket, key), preload_content=False
            )
        except urllib3.exceptions.HTTPError as error:
            raise S3ReadError(str(error)) from error
        try:
            if response.status != 200:
                raise S3ReadError(f"HTTP {response.status} {response.reason} for {key}")
            length = response.headers.get("Content-Length")
            if length is not None and int(length) <= self._memory_bytes:
                return io.BytesIO(response.read())
            target = _spooled(self._memory_bytes)
            try:
                for chunk in response.stream(_CHUNK_BYTES):
                    target.write(chunk)
            except BaseException:
                target.close()
                raise
            target.seek(0)
            return target
        except urllib3.exceptions.HTTPError as error:
            raise S3ReadError(str(error)) from error
        finally:
            response.release_conn()
