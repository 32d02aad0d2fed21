"""Every exchange of a run as an HTTP Archive (HAR 1.2), with credentials redacted.

HAR is what browsers' developer tools, proxies and schemathesis's own
`--report har` write, so any HAR viewer opens the file. Each entry carries three
custom fields (HAR allows fields that start with `_`): `_ahiId`, the exchange id
that failures cite as evidence; `_ahiStep`, the suite step that sent it; and
`_ahiChecks`, the checks whose failure it shows.

Redacted everywhere in the file: the access key id and signature of every
Authorization header, X-Amz-Security-Token, SigV4 query parameters, and any
occurrence of a secret the run was given (secret keys, session tokens) or of a
signature it sent, in URLs, headers and bodies alike.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harness import __version__
from harness.report.record import RecordedExchange, RunRecord

HAR_VERSION = "1.2"
REDACTED = "<redacted>"
_SIGNATURE = re.compile(r"(Signature=)([0-9a-fA-F]+)")
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_CREDENTIAL = re.compile(r"(Credential=)([^/,\s]+)")
_QUERY_SECRETS = re.compile(
    r"((?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)([^&\s\"']+)", re.IGNORECASE
)
MIN_SECRET_LENGTH = 8
"""Shorter "secrets" (the emulator's `test`) are not searched for: they would blank out words."""
_SECRET_HEADERS = ("x-amz-security-token", "cookie", "set-cookie")
_TEXT_TYPES = ("json", "text/", "xml", "x-www-form-urlencoded")


class Redactor:
    """Removes credentials and signatures from any text of the record."""

    def __init__(self, secrets: Iterable[str | None], exchanges: Iterable[RecordedExchange]):
        found = {secret for secret in secrets if secret and len(secret) >= MIN_SECRET_LENGTH}
        self._secrets = sorted(found, key=len, reverse=True)
        self._signatures: set[str] = set()
        for exchange in exchanges:
            authorization = _header(exchange.request_headers, "authorization") or ""
            self._signatures.update(m.group(2).lower() for m in _SIGNATURE.finditer(authorization))

    def _signature(self, match: re.Match[str]) -> str:
        return REDACTED if match.group(0).lower() in self._signatures else match.group(0)

    def text(self, value: str) -> str:
        value = _SIGNATURE.sub(rf"\1{REDACTED}", value)
        value = _CREDENTIAL.sub(rf"\1{REDACTED}", value)
        value = _QUERY_SECRETS.sub(rf"\1{REDACTED}", value)
        value = _HEX64.sub(self._signature, value)  # a signature echoed anywhere else
        for secret in self._secrets:
            value = value.replace(secret, REDACTED)
        return value

    def header(self, name: str, value: str) -> str:
        return REDACTED if name.lower() in _SECRET_HEADERS else self.text(value)


def _header(headers: dict[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def _iso(timestamp: float) -> str:
    return (
        datetime.fromtimestamp(timestamp, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _headers(headers: dict[str, str] | None, redact: Redactor) -> list[dict[str, str]]:
    return [
        {"name": name, "value": redact.header(name, str(value))}
        for name, value in (headers or {}).items()
    ]


def _is_text(mime_type: str, body: bytes) -> bool:
    if not any(kind in mime_type.lower() for kind in _TEXT_TYPES) and mime_type:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _content(body: bytes, mime_type: str, redact: Redactor) -> dict[str, Any]:
    content: dict[str, Any] = {"size": len(body), "mimeType": mime_type}
    if not body:
        content["text"] = ""
    elif _is_text(mime_type, body):
        content["text"] = redact.text(body.decode("utf-8"))
    else:
        content["text"] = base64.b64encode(body).decode()
        content["encoding"] = "base64"
    return content


def _request(exchange: RecordedExchange, redact: Redactor) -> dict[str, Any]:
    url = redact.text(exchange.url)
    body = exchange.request_body or b""
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _headers(exchange.request_headers, redact),
        "queryString": [
            {"name": name, "value": value}
            for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": len(body),
    }
    if body:
        mime_type = _header(exchange.request_headers, "content-type") or ""
        content = _content(body, mime_type, redact)
        request["postData"] = {"mimeType": mime_type, "text": content["text"]}
        if "encoding" in content:
            request["postData"]["_encoding"] = content["encoding"]
    return request


def _response(exchange: RecordedExchange, redact: Redactor) -> dict[str, Any]:
    if exchange.status is None:
        return {
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_error": redact.text(exchange.error or "no answer"),
        }
    try:
        reason = HTTPStatus(exchange.status).phrase
    except ValueError:
        reason = ""
    mime_type = _header(exchange.headers, "content-type") or ""
    return {
        "status": exchange.status,
        "statusText": reason,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _headers(exchange.headers, redact),
        "content": _content(exchange.body, mime_type, redact),
        "redirectURL": _header(exchange.headers, "location") or "",
        "headersSize": -1,
        "bodySize": len(exchange.body),
    }


def failures_by_exchange(record: RunRecord) -> dict[str, list[dict[str, str]]]:
    """The failed (or errored, or deviating) checks each exchange is evidence of."""
    cited: dict[str, list[dict[str, str]]] = {}
    for outcome in record.outcomes:
        if outcome.status == "passed":
            continue
        for evidence in outcome.evidence:
            if evidence.exchange:
                entry = {"check": outcome.check_id, "subject": outcome.subject}
                entry["status"] = outcome.status
                if entry not in cited.setdefault(evidence.exchange, []):
                    cited[evidence.exchange].append(entry)
    return cited


def har_document(record: RunRecord, secrets: Iterable[str | None] = ()) -> dict[str, Any]:
    """The run's exchanges (`record.exchanges`, in that order) as a HAR 1.2 document."""
    redact = Redactor(secrets, record.exchanges)
    cited = failures_by_exchange(record)
    entries = []
    for exchange in record.exchanges:
        milliseconds = round(exchange.elapsed * 1000, 3)
        entries.append(
            {
                "startedDateTime": _iso(exchange.started_at),
                "time": milliseconds,
                "request": _request(exchange, redact),
                "response": _response(exchange, redact),
                "cache": {},
                "timings": {"send": 0, "wait": milliseconds, "receive": 0},
                "_ahiId": exchange.id,
                "_ahiStep": exchange.step,
                "_ahiChecks": cited.get(exchange.id, []),
            }
        )
    return {
        "log": {
            "version": HAR_VERSION,
            "creator": {"name": "ahi-contract", "version": __version__},
            "comment": redact.text(
                f"{record.kind} run, seed {record.seed}, profile {record.profile}, "
                f"target {record.target.get('endpoint', record.target)}"
            ),
            "entries": entries,
        }
    }


def write_har(record: RunRecord, path: Path, secrets: Iterable[str | None] = ()) -> Path:
    """Write the HAR file of `record` to `path` (its folder made if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(har_document(record, secrets), indent=1) + "\n", encoding="utf-8")
    return path


class Recording:
    """A run being recorded: `journal` collects its exchanges, and leaving the block
    writes `record` with them to `path`, whether the run ended well or not.

    With no `path` nothing is kept (`journal` is None) and nothing is written.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.journal: list[Any] | None = [] if path is not None else None
        self.record: RunRecord | None = None
        self.secrets: list[str | None] = []

    def keep(self, exchanges: Iterable[Any] | None) -> None:
        """Add exchanges made elsewhere (a worker process's) to the journal."""
        if self.journal is not None and exchanges is not None:
            self.journal.extend(exchanges)

    def __enter__(self) -> Recording:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.path is None or self.record is None or self.journal is None:
            return
        self.record.exchanges = sorted(self.journal, key=lambda exchange: exchange.started_at)
        self.record.exchanges_file = str(self.path)
        write_har(self.record, self.path, self.secrets)
