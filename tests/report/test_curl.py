"""curl commands: signed by curl from the environment's credentials, or plainly unsigned."""

from __future__ import annotations

import shlex

from harness.report.curl import Signing, curl_command, strip_signature


def test_schemathesis_curls_are_signed_by_curl_or_left_unsigned() -> None:
    signed = (
        "curl -X POST -H 'Authorization: AWS4-HMAC-SHA256 Credential=AKID/20260101/"
        "us-west-2/medical-imaging/aws4_request, SignedHeaders=host, Signature=abc123' "
        "-H 'X-Amz-Date: 20260101T000000Z' -H 'Accept: */*' "
        "-H 'Content-Type: application/json' -d '{\"a\": \"it'\"'\"'s\"}' http://x/datastore"
    )
    curl = strip_signature(signed)
    words = shlex.split(curl)
    assert words[words.index("--aws-sigv4") + 1] == "aws:amz:us-west-2:medical-imaging"
    assert "abc123" not in curl and "X-Amz-Date" not in curl and "Accept" not in curl
    assert words[words.index("--data-binary") + 1] == '{"a": "it\'s"}'
    assert words[-1] == "http://x/datastore" and words[words.index("-X") + 1] == "POST"
    unsigned = strip_signature("curl -X GET -H 'Accept: */*' http://x/datastore")
    assert unsigned == "curl -sS -i -X GET http://x/datastore"


def test_a_body_without_a_content_type_keeps_curl_from_adding_one() -> None:
    curl = curl_command("POST", "http://x/datastore", {}, b"{}", Signing("us-east-1"))
    assert "-H Content-Type: --data-binary '{}'" in curl
