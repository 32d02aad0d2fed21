"""The reference client as an adapter program, with one optional bug.

    python -m harness.sdk.reference_adapter [--bug NAME]

Without `--bug` it is the reference client over the adapter protocol. Each bug
is one realistic SDK mistake; the tests (and the self-test) use them to prove
that the scenario catalogue catches it.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import uuid
from typing import Any
from urllib.parse import quote

import requests

from harness import __version__
from harness.client import ImagingClient, ServiceError
from harness.model import Operation
from harness.restjson import header_value
from harness.sdk.protocol import HELLO, answer_from_client, client_for
from harness.sdk.wire import decode_input, dumps


class NoToken(ImagingClient):
    """Never fills clientToken."""

    def _fill_tokens(self, shape: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        return params


class TokenPerAttempt(ImagingClient):
    """Draws a new clientToken on every attempt."""

    def _for_attempt(self, request: requests.Request, attempt: int) -> requests.Request:
        if attempt > 1 and request.data:
            body = json.loads(request.data)
            if "clientToken" in body:
                body["clientToken"] = str(uuid.uuid4())
                request.data = json.dumps(body).encode()
        return request


class HeaderIgnored(ImagingClient):
    """Reads the error type from the body only."""

    def _error_code(self, headers: dict[str, str], body: Any) -> str | None:
        return super()._error_code({}, body)


class NamespaceKept(ImagingClient):
    """Keeps `namespace#` (and `:URI`) in error codes."""

    def _error_code(self, headers: dict[str, str], body: Any) -> str | None:
        value = header_value(headers, "X-Amzn-Errortype")
        if value:
            return value
        return super()._error_code(headers, body)


class BodyCodeFirst(ImagingClient):
    """Prefers the body's type over the header."""

    def _error_code(self, headers: dict[str, str], body: Any) -> str | None:
        return super()._error_code({}, body) or super()._error_code(headers, body)


class NoThrottleRetry(ImagingClient):
    """Does not retry throttling."""

    def _retryable(self, error: ServiceError) -> bool:
        return error.http_status in (500, 502, 503, 504)


class RetriesConflicts(ImagingClient):
    """Retries 409 ConflictException as if it were transient."""

    def _retryable(self, error: ServiceError) -> bool:
        return error.http_status == 409 or super()._retryable(error)


class FractionsDropped(ImagingClient):
    """Reads epoch timestamps as whole seconds (as Dart's aws_client does)."""

    def _known(self, shape_name: str, value: Any) -> Any:
        if self.source.shape(shape_name)["type"] == "timestamp" and isinstance(value, float):
            return float(int(value))
        return super()._known(shape_name, value)


class NullsSent(ImagingClient):
    """Sends JSON null for the optional body members the caller left out."""

    def _request(self, operation: Operation, params: dict[str, Any]) -> requests.Request:
        request = super()._request(operation, params)
        absent = [m.name for m in operation.body_members if m.name not in params]
        if absent and request.data:
            body = json.loads(request.data)
            body.update(dict.fromkeys(absent))
            request.data = json.dumps(body).encode()
        return request


class LabelsHalfEncoded(ImagingClient):
    """Leaves !'()* unencoded in labels (as Dart's Uri.encodeComponent does)."""

    def _encode_label(self, value: str) -> str:
        return quote(value, safe="-._~!'()*")


class Unsigned(ImagingClient):
    """Sends requests without SigV4."""

    def __init__(self, *arguments: Any, **keywords: Any) -> None:
        super().__init__(*arguments, **keywords)
        self.auth = lambda request: request  # type: ignore[assignment]


class MetadataGunzipped(ImagingClient):
    """Hands back blob answers content-decoded, as `requests` does by default (gzip undone)."""

    def _blob_body(self, response: requests.Response) -> bytes:
        return response.content


class BodyOnGet(ImagingClient):
    """Sends `{}` with a JSON Content-Type on operations without a modeled body."""

    def _for_attempt(self, request: requests.Request, attempt: int) -> requests.Request:
        if not request.data:
            request.data = b"{}"
            request.headers["Content-Type"] = "application/json"
        return request


class TagKeysCommaJoined(ImagingClient):
    """Joins a repeated query member into one comma-separated value (`tagKeys=a,b`)."""

    def _for_attempt(self, request: requests.Request, attempt: int) -> requests.Request:
        joined: dict[str, list[str]] = {}
        for key, value in request.params:
            joined.setdefault(key, []).append(value)
        request.params = [(key, ",".join(values)) for key, values in joined.items()]
        return request


class ArnLabelUnencoded(ImagingClient):
    """Leaves `:` and `/` unencoded in labels, so an ARN spans several path segments."""

    def _encode_label(self, value: str) -> str:
        return quote(value, safe="-._~:/")


class BooleansCapitalised(ImagingClient):
    """Writes query booleans as Python's `str(bool)` does: `True`, `False`."""

    def _for_attempt(self, request: requests.Request, attempt: int) -> requests.Request:
        spelled = {"true": "True", "false": "False"}
        request.params = [(key, spelled.get(value, value)) for key, value in request.params]
        return request


class BlobsAsText(ImagingClient):
    """Sends the DICOMUpdates blobs as their text instead of base64."""

    def _for_attempt(self, request: requests.Request, attempt: int) -> requests.Request:
        if request.data:
            body = json.loads(request.data)
            updates = body.get("DICOMUpdates") if isinstance(body, dict) else None
            if isinstance(updates, dict):
                for name, value in updates.items():
                    updates[name] = base64.b64decode(value).decode("utf-8")
                request.data = json.dumps(body).encode()
        return request


BUGS: dict[str, type[ImagingClient]] = {
    "no-token": NoToken,
    "token-per-attempt": TokenPerAttempt,
    "header-ignored": HeaderIgnored,
    "namespace-kept": NamespaceKept,
    "body-code-first": BodyCodeFirst,
    "no-throttle-retry": NoThrottleRetry,
    "retries-conflicts": RetriesConflicts,
    "fractions-dropped": FractionsDropped,
    "nulls-sent": NullsSent,
    "labels-half-encoded": LabelsHalfEncoded,
    "unsigned": Unsigned,
    "metadata-gunzipped": MetadataGunzipped,
    "body-on-get": BodyOnGet,
    "tagkeys-comma-joined": TagKeysCommaJoined,
    "arn-label-unencoded": ArnLabelUnencoded,
    "booleans-capitalised": BooleansCapitalised,
    "blobs-as-text": BlobsAsText,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bug", choices=sorted(BUGS))
    arguments = parser.parse_args()
    client_class = BUGS[arguments.bug] if arguments.bug else ImagingClient
    name = f"ahi-contract-reference{'+' + arguments.bug if arguments.bug else ''}"
    greeting = {"hello": HELLO, "sdk": name, "version": __version__, "language": "python"}
    print(json.dumps(greeting), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        client = client_for(message["config"], client_class)
        operation = message["operation"]
        params = decode_input(operation, message["input"])
        answer = answer_from_client(message["id"], client, operation, params)
        print(dumps(answer), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
