"""The proxy's WSGI application: judge each request, pass it on, judge the answer, relay it.

Two ways in, one application:

- reverse: the application's endpoint URL is the proxy; requests arrive in origin form
  (`GET /datastore`) and go to the upstream;
- forward: the application's SDK uses the proxy as its HTTP proxy, so requests arrive in
  absolute form (`GET http://runtime-127.0.0.1:8080/...`) and the `runtime-` host prefix
  needs no SDK setting. Requests for the upstream's host (prefixed or not) are judged;
  any other (the application's S3 traffic, say) passes through unjudged.

A `CONNECT` (an `https://` endpoint through the proxy) is refused: what travels inside
TLS cannot be judged. The answer is relayed as the upstream sent it, body bytes and
Content-Encoding unchanged; an upstream that does not answer becomes a 502 with a JSON
message, and the exchange is judged as a target that broke off.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
import urllib3

from harness.proxy.judge import LiveJudge
from harness.proxy.rules import Sent, routes
from harness.proxy.upstream import Upstream
from harness.report.curl import Signing, signing_of
from harness.sdk.stub import RecordedRequest
from harness.server.probe import Exchange, content_decoded

StartResponse = Callable[[str, list[tuple[str, str]]], Any]

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
"""Headers of one connection (RFC 9110 section 7.6.1), not passed on. A request's
Content-Length is (it may be signed, `Content-Length: 0` on a DELETE included); an
answer's is written again for the body as it is relayed."""
POOL_SIZE = 32
"""Connections kept open to each upstream host: one per HTTP worker thread."""
_SIGNING = frozenset({"authorization", "x-amz-date", "x-amz-security-token", "host"})


def _headers(environ: dict[str, Any]) -> list[tuple[str, str]]:
    """The request's headers as WSGI hands them (names in Title-Case)."""
    found = [
        (key[5:].replace("_", "-").title(), str(value))
        for key, value in environ.items()
        if key.startswith("HTTP_")
    ]
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            found.append((name, str(environ[key])))
    return found


class Relay:
    """The WSGI application of one proxy session."""

    def __init__(
        self,
        upstream: Upstream,
        judge: LiveJudge,
        timeout: float = 60.0,
        on_judged: Callable[[], None] = lambda: None,
    ) -> None:
        self.upstream = upstream
        self.judge = judge
        self.timeout = timeout
        self.on_judged = on_judged
        self._pool = urllib3.PoolManager(maxsize=POOL_SIZE)
        self._ids = itertools.count(1)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        if method == "CONNECT":
            return _refuse(
                start_response,
                HTTPStatus.METHOD_NOT_ALLOWED,
                "the contract proxy cannot judge what travels inside TLS: give the SDK an "
                "http:// endpoint, or use the proxy's URL as its endpoint",
            )
        target = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "/")
        authority: str | None = None
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            authority = parts.netloc
            target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = _headers(environ)
        body = environ["wsgi.input"].read() if "wsgi.input" in environ else b""
        if authority is not None and not self.upstream.names(authority):
            self.judge.pass_through()
            exchange = self._send(method, f"http://{authority}{target}", headers, body, None)
            return _relay(start_response, exchange)
        return self._judged(method, target, authority, headers, body, start_response)

    def _judged(
        self,
        method: str,
        target: str,
        authority: str | None,
        headers: list[tuple[str, str]],
        body: bytes,
        start_response: StartResponse,
    ) -> Iterable[bytes]:
        path, _, raw_query = target.partition("?")
        lowered = {name.lower(): value for name, value in headers}
        request = RecordedRequest(
            call=0,
            method=method,
            path=path,
            query=tuple(parse_qsl(raw_query, keep_blank_values=True)),
            headers=lowered,
            body=body,
            target=authority,
            raw_query=raw_query,
            endpoint=self.upstream.authority,
            received_at=time.monotonic(),
            wall_time=time.time(),
        )
        sent = Sent(
            request,
            routes().match(method, path),
            region=self.upstream.region,
            host=self.upstream.authority,
        )
        exchange = self._send(
            method,
            self.upstream.url_for(sent.operation, target),
            headers,
            body,
            signing_of(lowered),
        )
        self.judge.submit(sent, exchange)
        self.on_judged()
        return _relay(start_response, exchange)

    def _send(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes,
        signing: Signing | None,
    ) -> Exchange:
        """One request to `url`: the application's headers (its Host and signature kept,
        unless the upstream signs again), its body; the answer read whole. urllib3 sends
        it: `requests` would cost a millisecond of CPU more per request."""
        signer = self.upstream.signer
        dropped = HOP_BY_HOP | (_SIGNING if signer is not None else frozenset())
        outgoing = {name: value for name, value in headers if name.lower() not in dropped}
        if signer is not None:
            prepared = signer(requests.Request(method, url, headers=outgoing, data=body).prepare())
            outgoing = {name: str(value) for name, value in prepared.headers.items()}
        exchange = Exchange(
            method=method,
            url=url,
            request_headers=outgoing,
            request_body=body or None,
            id=f"proxy-{next(self._ids)}",
            started_at=time.time(),
            signing=signing,
            step="proxy",
        )
        started = time.monotonic()
        try:
            response = self._pool.request(
                method,
                url,
                body=body or None,
                headers=outgoing,
                preload_content=False,
                decode_content=False,
                redirect=False,
                retries=False,
                timeout=self.timeout,
            )
            try:
                exchange.wire_body = response.read(decode_content=False)
            finally:
                response.release_conn()
            exchange.status = response.status
            exchange.headers = dict(response.headers)
            exchange.body = content_decoded(exchange.wire_body, exchange.header("Content-Encoding"))
        except (urllib3.exceptions.HTTPError, OSError) as error:
            exchange.error = f"{type(error).__name__}: {error}"
        exchange.elapsed = time.monotonic() - started
        return exchange


def _relay(start_response: StartResponse, exchange: Exchange) -> Iterable[bytes]:
    """The upstream's answer as it came, or a 502 when none came."""
    if exchange.status is None:
        return _refuse(
            start_response, HTTPStatus.BAD_GATEWAY, f"the upstream did not answer: {exchange.error}"
        )
    try:
        reason = HTTPStatus(exchange.status).phrase
    except ValueError:
        reason = "Unknown"
    headers = [
        (name, value)
        for name, value in (exchange.headers or {}).items()
        if name.lower() not in HOP_BY_HOP | {"content-length"}
    ]
    headers.append(("Content-Length", str(len(exchange.wire_body))))
    start_response(f"{exchange.status} {reason}", headers)
    return [exchange.wire_body]


def _refuse(start_response: StartResponse, status: HTTPStatus, message: str) -> Iterable[bytes]:
    body = json.dumps({"message": message}).encode()
    start_response(
        f"{status.value} {status.phrase}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]
