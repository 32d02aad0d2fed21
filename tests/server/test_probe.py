from __future__ import annotations

import shlex
from datetime import UTC, datetime, timedelta

from harness.aws.sigv4 import AwsCredentials, SigV4RequestsAuth
from harness.model import encode_label as label
from harness.server.probe import Exchange, Probe

OWN = AwsCredentials("AKIDOWN", "own-secret-key", "own-session-token")
CLOSED = "http://127.0.0.1:9"  # the discard port: nothing answers, the request is still built


def _sent(auth: object = True, path: str = "/datastore", **query: str) -> Exchange:
    probe = Probe(CLOSED, OWN, "eu-west-1", timeout=2)
    return probe.send("GET", path, query=query, auth=auth)  # type: ignore[arg-type]


def test_a_signed_request_is_signed_again_by_curl_with_credentials_from_the_environment() -> None:
    curl = _sent(maxResults="2", datastoreStatus="ACTIVE").curl()
    words = shlex.split(curl)
    assert words[words.index("--aws-sigv4") + 1] == "aws:amz:eu-west-1:medical-imaging"
    assert '--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"' in curl
    assert '-H "x-amz-security-token: $AWS_SESSION_TOKEN"' in curl
    assert "Authorization" not in curl and "X-Amz-Date" not in curl
    assert "own-secret-key" not in curl and "own-session-token" not in curl
    # curl signs the query as written: it is written in SigV4's canonical order
    assert words[-1] == f"{CLOSED}/datastore?datastoreStatus=ACTIVE&maxResults=2"
    assert "# add SigV4 signing" not in curl


def test_an_unsigned_request_stays_unsigned() -> None:
    curl = _sent(auth=False).curl()
    assert "--aws-sigv4" not in curl and "--user" not in curl and "security-token" not in curl
    assert shlex.split(curl)[-1] == f"{CLOSED}/datastore"


def test_deliberately_wrong_credentials_are_replayed_without_the_real_secret() -> None:
    wrong = SigV4RequestsAuth(AwsCredentials(OWN.access_key, OWN.secret_key + "x"), "eu-west-1")
    curl = _sent(auth=wrong).curl()
    assert '--user "$AWS_ACCESS_KEY_ID:${AWS_SECRET_ACCESS_KEY}x"' in curl
    assert "own-secret-key" not in curl
    nobody = SigV4RequestsAuth(AwsCredentials("AKIDNOBODY", "not-a-secret"), "eu-west-1")
    assert '--user "AKIDNOBODY:not-a-secret"' in _sent(auth=nobody).curl()


def test_a_stale_signature_is_replayed_as_it_was_sent() -> None:
    stale = SigV4RequestsAuth(
        OWN, "eu-west-1", clock=lambda: datetime.now(UTC) - timedelta(minutes=20)
    )
    exchange = _sent(auth=stale)
    assert exchange.signing is not None and exchange.signing.verbatim
    curl = exchange.curl()
    assert "--aws-sigv4" not in curl
    assert "Authorization: AWS4-HMAC-SHA256" in curl and "X-Amz-Date: " in curl


def test_every_sent_exchange_is_journaled_with_an_id_a_time_and_its_step() -> None:
    probe = Probe(CLOSED, OWN, "us-east-1", timeout=2)
    probe.journal = []
    probe.step = "AUTH-UNSIGNED"
    first = probe.send("GET", "/datastore", auth=False)
    second = probe.call("ListDatastores")
    assert probe.journal == [first, second]
    assert first.id != second.id and first.step == "AUTH-UNSIGNED"
    assert first.started_at > 1_700_000_000 and first.error is not None
    evidence = second.evidence("a note")
    assert evidence.exchange == second.id and evidence.note and "a note" in evidence.note


def test_a_percent_encoded_path_says_curl_cannot_sign_it() -> None:
    path = "/tags/" + label("arn:aws:medical-imaging:us-east-1:1:datastore/a")
    note = _sent(path=path).evidence().note or ""
    assert "encoded twice" in note


def test_labels_are_encoded_as_smithy_requires() -> None:
    assert label("a b/c!'()*~._-") == "a%20b%2Fc%21%27%28%29%2A~._-"


def test_error_type_and_json_helpers() -> None:
    exchange = Exchange(
        "GET",
        "http://x",
        {},
        None,
        status=404,
        headers={"x-amzn-errortype": "NotFound:http://x"},
        body=b"{oops",
    )
    assert exchange.error_type == "NotFound:http://x"
    assert exchange.json() is None
