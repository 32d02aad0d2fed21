"""Request rules as small matcher factories, in the manner of `responses.matchers`.

Each factory returns a `RequestRule`: called with the requests an SDK sent for
one scenario (in order, every attempt of every call), it answers
`(ok, reason)`, the reason explaining a failure. Most rules look at the first
request; the token and invocation-id rules look at all of them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from harness.sdk.stub import RecordedRequest

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", re.I)
_CREDENTIAL = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")

Check = Callable[[list[RecordedRequest]], tuple[bool, str]]


@dataclass(frozen=True)
class RequestRule:
    """One rule about the requests an SDK sent; `description` names it in listings."""

    description: str
    check: Check

    def __call__(self, requests: list[RecordedRequest]) -> tuple[bool, str]:
        if not requests:
            return False, "the SDK sent no request"
        return self.check(requests)


def _json(request: RecordedRequest) -> Any:
    try:
        return json.loads(request.body) if request.body else None
    except ValueError:
        return None


def _token(request: RecordedRequest) -> Any:
    body = _json(request)
    return body.get("clientToken") if isinstance(body, dict) else None


def _has_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_has_null(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_null(item) for item in value)
    return False


def same_value(expected: Any, actual: Any) -> bool:
    """JSON-like equality; numbers compare to the millisecond, bools only to bools."""
    if isinstance(expected, float | int) and not isinstance(expected, bool):
        return (
            isinstance(actual, float | int)
            and not isinstance(actual, bool)
            and math.isclose(expected, actual, rel_tol=0, abs_tol=1e-3)
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and expected.keys() == actual.keys()
            and all(same_value(value, actual[key]) for key, value in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(same_value(a, b) for a, b in zip(expected, actual, strict=True))
        )
    return type(expected) is type(actual) and bool(expected == actual)


def token_is_uuid4() -> RequestRule:
    """Every attempt carries a UUID v4 `clientToken`."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        tokens = [_token(request) for request in requests]
        bad = [t for t in tokens if not isinstance(t, str) or not UUID4.match(t)]
        return not bad, f"clientToken not a UUID v4: {bad[:2]}"

    return RequestRule("clientToken is a UUID v4", check)


def token_same_across_attempts() -> RequestRule:
    """All attempts carry one `clientToken`."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        tokens = [_token(request) for request in requests]
        return len(set(map(str, tokens))) == 1, f"clientToken changed across attempts: {tokens}"

    return RequestRule("clientToken is the same on every attempt", check)


def token_differs_per_call() -> RequestRule:
    """Two calls carry two different tokens."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        by_call = {request.call: _token(request) for request in requests}
        ok = len(by_call) == 2 and None not in by_call.values() and len(set(by_call.values())) == 2
        return ok, f"clientTokens of two calls: {list(by_call.values())}"

    return RequestRule("two calls get two clientTokens", check)


def token_equals(value: str) -> RequestRule:
    """Every attempt carries the caller's `clientToken` unchanged."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        tokens = [_token(request) for request in requests]
        return all(t == value for t in tokens), f"clientToken sent as {tokens}, set to {value!r}"

    return RequestRule(f"clientToken is {value}", check)


def invocation_id_constant() -> RequestRule:
    """`amz-sdk-invocation-id`, where sent, is one value across attempts."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        ids = [request.header("amz-sdk-invocation-id") for request in requests]
        sent = [i for i in ids if i is not None]
        return len(set(sent)) <= 1, f"amz-sdk-invocation-id changed across attempts: {ids}"

    return RequestRule("amz-sdk-invocation-id is constant", check)


def method(expected: str) -> RequestRule:
    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        return requests[0].method == expected, f"method {requests[0].method}, expected {expected}"

    return RequestRule(f"method {expected}", check)


def path(expected: str) -> RequestRule:
    """The raw path, percent-encoding as sent."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        return requests[0].path == expected, f"path {requests[0].path}, expected {expected}"

    return RequestRule(f"path {expected}", check)


def content_type(expected: str) -> RequestRule:
    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        value = requests[0].header("content-type") or ""
        return value.startswith(expected), f"Content-Type {value!r}, expected {expected}"

    return RequestRule(f"Content-Type {expected}", check)


def no_body() -> RequestRule:
    """No body bytes and no Content-Type (Smithy's no-modeled-body tests)."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        first = requests[0]
        sent = first.header("content-type")
        ok = not first.body and sent is None
        return ok, f"a request without a modeled body sent body {first.body[:100]!r}, " + (
            f"Content-Type {sent!r}" if sent is not None else "no Content-Type"
        )

    return RequestRule("no body and no Content-Type", check)


def no_nulls() -> RequestRule:
    """The JSON body sends no null for an absent member."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        body = requests[0].body
        try:
            document = json.loads(body) if body else {}
        except ValueError:
            return False, f"the body is not JSON: {body[:100]!r}"
        return not _has_null(document), f"the body sends null for an absent member: {document}"

    return RequestRule("no nulls in the body", check)


def json_body(expected: Any) -> RequestRule:
    """The body is this JSON document (member order aside)."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        body = requests[0].body
        try:
            document = json.loads(body) if body else None
        except ValueError:
            return False, f"the body is not JSON: {body[:100]!r}"
        return same_value(expected, document), (
            f"body {json.dumps(document)}, expected {json.dumps(expected)}"
        )

    return RequestRule(f"JSON body {json.dumps(expected)}", check)


def query_has(key: str, value: str) -> RequestRule:
    """The query carries `key=value` (after percent-decoding)."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        query = requests[0].query
        return (key, value) in query, f"query {list(query)}, expected {key}={value}"

    return RequestRule(f"query {key}={value}", check)


def query_values(key: str, values: list[str]) -> RequestRule:
    """`key` occurs once per value, in this order, and with no other value."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        query = requests[0].query
        found = [item for name, item in query if name == key]
        return found == values, f"query {list(query)}: {key} values {found}, expected {values}"

    return RequestRule(f"query {key} repeated as {values}", check)


def query_lacks(key: str) -> RequestRule:
    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        query = requests[0].query
        return all(name != key for name, _ in query), f"query {list(query)} carries {key}"

    return RequestRule(f"no query {key}", check)


def signed(scope: str) -> RequestRule:
    """SigV4 with this `region/service` credential scope."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        match = _CREDENTIAL.search(requests[0].header("authorization") or "")
        found = "/".join(match.groups()) if match else None
        return found == scope, f"Authorization scope {found}, expected region/service {scope}"

    return RequestRule(f"signed for {scope}", check)


def _attempts(requests: list[RecordedRequest]) -> list[list[RecordedRequest]]:
    """The requests grouped by call, in order.

    The stub marks each request with the call under way when it read it; a request that
    carries the `amz-sdk-invocation-id` of an earlier call's request belongs to that call
    (the stub read it late, on a loaded machine, after that call had returned).
    """
    calls: dict[int, list[RecordedRequest]] = {}
    first_call: dict[str, int] = {}
    for request in requests:
        call = request.call
        invocation = request.header("amz-sdk-invocation-id")
        if invocation:
            call = min(call, first_call.setdefault(invocation, call))
        calls.setdefault(call, []).append(request)
    return [calls[call] for call in sorted(calls)]


def _sdk_request(request: RecordedRequest) -> dict[str, str]:
    value = request.header("amz-sdk-request") or ""
    pairs = (item.strip().partition("=") for item in value.split(";") if item.strip())
    return {key.strip(): item.strip() for key, _, item in pairs}


def host(prefix: str) -> RequestRule:
    """Every request names `prefix` + the endpoint's authority as its Host (and proxy target)."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        for request in requests:
            wanted = prefix + request.endpoint
            sent = request.header("host")
            if sent != wanted or request.target not in (None, wanted):
                return False, (
                    f"Host {sent!r}, request-line authority {request.target!r}, expected {wanted!r}"
                )
        return True, ""

    return RequestRule(f"Host {prefix}<endpoint>", check)


def tunnel_to(authority: str) -> RequestRule:
    """Every request is a proxy `CONNECT` naming `authority` (the host the SDK resolved)."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        for request in requests:
            if request.method != "CONNECT" or request.target != authority:
                return False, (
                    f"{request.method} {request.target or request.path}, expected CONNECT "
                    f"{authority}"
                )
        return True, ""

    return RequestRule(f"CONNECT {authority}", check)


def signature_valid(secret: str, access_key: str = "AKIDEXAMPLE") -> RequestRule:
    """Every request's SigV4 signature verifies over what arrived, Host included."""
    from harness.emulator.exceptions import ServiceError
    from harness.emulator.http.auth import CredentialStore, SignedRequest

    store = CredentialStore.from_pairs([f"{access_key}:{secret}"])

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        for request in requests:
            signed = SignedRequest(
                request.method, request.path, request.raw_query, request.headers, request.body
            )
            try:
                store.authenticate(signed, None, check_date=False)
            except ServiceError as error:
                return False, f"the signature does not verify for the request as sent: {error}"
        return True, ""

    return RequestRule("SigV4 signature verifies over the Host sent", check)


def attempt_numbers() -> RequestRule:
    """`amz-sdk-request` carries `attempt=N` on the N-th attempt of each call."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        for attempts in _attempts(requests):
            found = [_sdk_request(request).get("attempt") for request in attempts]
            wanted = [str(n) for n in range(1, len(attempts) + 1)]
            if found != wanted:
                return False, f"amz-sdk-request attempt values {found}, expected {wanted}"
        return True, ""

    return RequestRule("amz-sdk-request attempt=N on every attempt", check)


def attempt_max(maximum: int) -> RequestRule:
    """`amz-sdk-request` carries `max=<maxAttempts>` on every attempt, the first included."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        found = [request.header("amz-sdk-request") for request in requests]
        ok = all(_sdk_request(request).get("max") == str(maximum) for request in requests)
        return ok, f"amz-sdk-request values {found}, each expected to carry max={maximum}"

    return RequestRule(f"amz-sdk-request max={maximum} on every attempt", check)


def attempts_per_call(counts: list[int]) -> RequestRule:
    """Call k made exactly `counts[k]` requests."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        found = [len(attempts) for attempts in _attempts(requests)]
        return found == counts, f"requests per call {_runs(found)}, expected {_runs(counts)}"

    return RequestRule(f"requests per call {_runs(counts)}", check)


def last_calls_single_attempt(calls: int, total: int) -> RequestRule:
    """The last `calls` of `total` calls each made one request: no retry was left."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        found = [len(attempts) for attempts in _attempts(requests)]
        ok = len(found) == total and all(count == 1 for count in found[-calls:])
        return ok, f"requests per call {_runs(found)}: the last {calls} should make one each"

    return RequestRule(f"the last {calls} of {total} calls are not retried", check)


def _runs(counts: list[int]) -> str:
    """`[3, 3, 1]` as `3x2, 1x1`, so that long lists stay readable."""
    runs: list[list[int]] = []
    for count in counts:
        if runs and runs[-1][0] == count:
            runs[-1][1] += 1
        else:
            runs.append([count, 1])
    return ", ".join(f"{count}x{times}" for count, times in runs) or "none"


def backoff_within(bounds: list[float], tolerance: float) -> RequestRule:
    """The gap before retry k, measured at the stub, is at most `bounds[k-1] + tolerance` s."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        for attempts in _attempts(requests):
            gaps = [b.received_at - a.received_at for a, b in pairwise(attempts)]
            late = [
                f"gap {index + 1} {gap:.3f} s > {bound} s + {tolerance} s"
                for index, (gap, bound) in enumerate(zip(gaps, bounds, strict=False))
                if gap > bound + tolerance
            ]
            if late:
                return False, "backoff beyond the documented bound: " + "; ".join(late)
        return True, ""

    return RequestRule(f"backoff gaps within {bounds} s (+{tolerance} s)", check)


def first_wait_at_least(seconds: float) -> RequestRule:
    """The gap before the first retry, measured at the stub, is at least `seconds`."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        if len(requests) < 2:
            return False, f"{len(requests)} request(s): no retry to measure"
        gap = requests[1].received_at - requests[0].received_at
        return gap >= seconds, f"the first retry came {gap:.3f} s after, expected >= {seconds} s"

    return RequestRule(f"first retry waits at least {seconds} s", check)


def _signed_at(request: RecordedRequest) -> float | None:
    value = request.header("x-amz-date") or ""
    try:
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def signed_at_server_time(indexes: list[int], skew: float, tolerance: float) -> RequestRule:
    """The requests at `indexes` are signed at the server's clock (`skew` s ahead), ± tolerance."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        for index in indexes:
            if index >= len(requests):
                return False, f"request {index + 1} was never sent"
            signed = _signed_at(requests[index])
            server = requests[index].wall_time + skew
            if signed is None or abs(signed - server) > tolerance:
                seen = "no X-Amz-Date" if signed is None else f"{signed - server:+.0f} s"
                return False, (
                    f"request {index + 1} is signed {seen} from the server's clock "
                    f"(the server's Date was {skew:+.0f} s from the local clock)"
                )
        return True, ""

    return RequestRule(f"requests {[i + 1 for i in indexes]} signed at the server's time", check)


def no_framing() -> RequestRule:
    """No body, Content-Type or Transfer-Encoding; Content-Length absent or 0 (absent on GET)."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        for request in requests:
            length = request.header("content-length")
            problems = [
                f"body {request.body[:60]!r}" if request.body else "",
                f"Content-Type {request.header('content-type')!r}"
                if request.header("content-type") is not None
                else "",
                f"Transfer-Encoding {request.header('transfer-encoding')!r}"
                if request.header("transfer-encoding") is not None
                else "",
                f"Content-Length {length}"
                if length is not None and (length != "0" or request.method == "GET")
                else "",
            ]
            sent = [problem for problem in problems if problem]
            if sent:
                return False, f"{request.method} without a modeled body sent " + ", ".join(sent)
        return True, ""

    return RequestRule("no body, Content-Type, Transfer-Encoding, GET Content-Length", check)


def query_empty() -> RequestRule:
    """No query string at all."""

    def check(requests: list[RecordedRequest]) -> tuple[bool, str]:
        return not requests[0].raw_query, f"query {requests[0].raw_query!r}, expected none"

    return RequestRule("no query string", check)
