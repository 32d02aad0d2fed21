from __future__ import annotations

from harness.model import encode_label as label
from harness.server.probe import Exchange, strip_signature


def test_curl_leaves_out_signing_and_transport_headers() -> None:
    exchange = Exchange(
        method="POST",
        url="http://127.0.0.1:1/datastore",
        request_headers={
            "Authorization": "AWS4-HMAC-SHA256 Credential=x",
            "X-Amz-Date": "20260101T000000Z",
            "User-Agent": "python-requests",
            "Content-Type": "application/json",
        },
        request_body=b'{"clientToken": "it\'s"}',
    )
    curl = exchange.curl()
    assert "Authorization" not in curl and "X-Amz-Date" not in curl and "User-Agent" not in curl
    assert "Content-Type: application/json" in curl
    assert "--data-binary" in curl and "it" in curl


def test_schemathesis_curl_signatures_are_stripped() -> None:
    curl = (
        "curl -X GET -H 'Authorization: AWS4-HMAC-SHA256 Credential=a, Signature=b' "
        "-H 'X-Amz-Date: 20260101T000000Z' -H 'Accept: */*' http://x/datastore"
    )
    assert strip_signature(curl) == "curl -X GET -H 'Accept: */*' http://x/datastore"


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
