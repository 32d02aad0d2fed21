"""Requests as curl commands that send them again, signed as they were signed.

A request the harness signed is signed again by curl itself (`--aws-sigv4`
with the region and service of its signature, `--user` from the environment's
`AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, the session token from
`AWS_SESSION_TOKEN`), so a pasted command carries no secret and no signature
that expires; a request sent unsigned on purpose stays unsigned. curl signs the
query as written, so it is written in SigV4's canonical order and encoding.
"""

from __future__ import annotations

import re
import shlex
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import requests

from harness.aws.restjson import header_value
from harness.aws.sigv4 import SIGNING_NAME, AwsCredentials

_SIGNING_HEADERS = ("authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256")
_TRANSPORT_HEADERS = (
    "content-length",
    "host",
    "user-agent",
    "accept",
    "accept-encoding",
    "connection",
    "x-schemathesis-testcaseid",
)
_SCOPE = re.compile(r"Credential=[^/,\s]*/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request")
STALE_AFTER_SECONDS = 300.0
"""A signature dated further than this from its sending is replayed as it was sent."""
PATH_ENCODING_NOTE = (
    "curl's --aws-sigv4 signs a percent-encoded path as it is; services other than S3 sign it "
    "encoded twice (SigV4 canonical URI), so this curl's signature will not verify there"
)


@dataclass(frozen=True)
class Signing:
    """How a request was signed, as curl can sign it again.

    `user` is the shell text of curl's `--user` value: the run's own credentials are
    named by their environment variables, never written out. `verbatim` replays the
    signing headers as sent (a signature dated off the clock, which cannot be redone).
    """

    region: str
    service: str = SIGNING_NAME
    user: str = '"$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"'
    session_token: bool = False
    verbatim: bool = False


def _double_quoted(text: str) -> str:
    """`text` for inside shell double quotes."""
    return re.sub(r'(["\\$`])', r"\\\1", text)


def signing_for(
    auth: requests.auth.AuthBase, own: AwsCredentials, region: str, headers: dict[str, str]
) -> Signing:
    """How `auth` signed a request, with `own` (the run's credentials) named by variable."""
    credentials = getattr(auth, "credentials", own)
    signed_region = str(getattr(auth, "region", region))
    service = str(getattr(auth, "signing_name", SIGNING_NAME))
    if credentials.access_key == own.access_key:
        key = "$AWS_ACCESS_KEY_ID"
    else:
        key = _double_quoted(credentials.access_key)
    secret = _double_quoted(credentials.secret_key)
    if credentials.secret_key == own.secret_key:
        secret = "$AWS_SECRET_ACCESS_KEY"
    elif own.secret_key:
        secret = secret.replace(_double_quoted(own.secret_key), "${AWS_SECRET_ACCESS_KEY}")
    token = bool(credentials.session_token) and credentials.session_token == own.session_token
    date = header_value(headers, "X-Amz-Date")
    verbatim = False
    if date:
        try:
            sent = datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
            verbatim = abs(sent - time.time()) > STALE_AFTER_SECONDS
        except ValueError:
            verbatim = True
    return Signing(signed_region, service, f'"{key}:{secret}"', token, verbatim)


def _canonical_url(url: str) -> str:
    """`url` with its query sorted and encoded as SigV4's canonical query string.

    curl's --aws-sigv4 signs the query as it is written, so it is written canonically.
    """
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = sorted(
        (quote(name, safe="-_.~"), quote(value, safe="-_.~"))
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    return urlunsplit(parts._replace(query="&".join(f"{n}={v}" for n, v in pairs)))


def curl_command(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes | None,
    signing: Signing | None,
) -> str:
    """A curl command line that sends the request again: signed by curl as it was signed
    (credentials from the environment), or plainly unsigned when it was sent unsigned."""
    parts = ["curl", "-sS", "-i", "-X", shlex.quote(method)]
    if signing is not None and not signing.verbatim:
        parts += ["--aws-sigv4", shlex.quote(f"aws:amz:{signing.region}:{signing.service}")]
        parts += ["--user", signing.user]
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in _TRANSPORT_HEADERS:
            continue
        if lowered in _SIGNING_HEADERS and not (signing is not None and signing.verbatim):
            continue
        if lowered == "x-amz-security-token":
            continue
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if signing is not None and signing.session_token:
        parts += ["-H", '"x-amz-security-token: $AWS_SESSION_TOKEN"']
    if body:
        if header_value(headers, "Content-Type") is None:
            parts += ["-H", shlex.quote("Content-Type:")]  # curl would add a form type
        parts += ["--data-binary", shlex.quote(body.decode("utf-8", "replace"))]
    signed = signing is not None and not signing.verbatim
    parts.append(shlex.quote(_canonical_url(url) if signed else url))
    return " ".join(parts)


def _parsed_curl(command: str) -> tuple[str, str, dict[str, str], bytes | None] | None:
    """(method, url, headers, body) of a curl command schemathesis wrote; None if unreadable."""
    try:
        words = shlex.split(command.split("\n\n", 1)[0])
    except ValueError:
        return None
    if not words or words[0] != "curl":
        return None
    method, url, headers, body = "GET", "", {}, None
    index = 1
    while index < len(words):
        word = words[index]
        if word in ("-X", "--request") and index + 1 < len(words):
            method, index = words[index + 1], index + 2
        elif word in ("-H", "--header") and index + 1 < len(words):
            name, _, value = words[index + 1].partition(":")
            headers[name.strip()] = value.strip()
            index += 2
        elif word in ("-d", "--data", "--data-binary", "--data-raw") and index + 1 < len(words):
            body, index = words[index + 1].encode(), index + 2
        elif word.startswith("-"):
            index += 1
        else:
            url, index = word, index + 1
    return (method, url, headers, body) if url else None


def strip_signature(curl: str) -> str:
    """A curl command of schemathesis's with its SigV4 headers replaced by curl's own signing.

    A request schemathesis signed is signed again by curl (`--aws-sigv4`, the region of
    its credential scope, credentials from the environment); one it sent unsigned stays
    unsigned.
    """
    parsed = _parsed_curl(curl)
    if parsed is None:
        return curl
    method, url, headers, body = parsed
    return curl_command(method, url, headers, body, signing_of(headers))


def signing_of(headers: dict[str, str]) -> Signing | None:
    """How curl can sign a request again that arrived signed with these headers: the region
    and service of its credential scope, credentials from the environment; None when it
    arrived unsigned."""
    scope = _SCOPE.search(header_value(headers, "Authorization") or "")
    if scope is None:
        return None
    return Signing(
        scope["region"],
        scope["service"],
        session_token=header_value(headers, "X-Amz-Security-Token") is not None,
    )
