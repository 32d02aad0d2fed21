"""Where the proxy sends a request, and which absolute targets it judges."""

from __future__ import annotations

import pytest

from harness.aws.sigv4 import AwsCredentials
from harness.model import operations
from harness.proxy.upstream import Upstream

KEYS = AwsCredentials("AKIDPROXY", "secret")


def test_toward_aws_image_set_operations_go_to_the_runtime_host_and_are_signed_again() -> None:
    upstream = Upstream.named("aws", "eu-west-1", KEYS)
    assert upstream.signer is not None and upstream.signer.region == "eu-west-1"
    assert upstream.url_for(operations()["GetImageSet"], "/datastore/d/imageSet/i/getImageSet") == (
        "https://runtime-medical-imaging.eu-west-1.amazonaws.com/datastore/d/imageSet/i/getImageSet"
    )
    assert upstream.url_for(operations()["ListDatastores"], "/datastore?maxResults=5") == (
        "https://medical-imaging.eu-west-1.amazonaws.com/datastore?maxResults=5"
    )


def test_toward_aws_without_credentials_is_refused() -> None:
    with pytest.raises(ValueError, match="credentials"):
        Upstream.named("aws", "us-east-1")


def test_toward_a_url_requests_keep_their_own_signature_unless_asked() -> None:
    assert Upstream.named("http://127.0.0.1:8080/", "us-east-1").signer is None
    assert Upstream.named("http://127.0.0.1:8080", "us-east-1", KEYS).signer is not None
    upstream = Upstream.named("http://127.0.0.1:8080/", "us-east-1")
    assert upstream.url_for(operations()["GetImageSet"], "/x?y=1") == "http://127.0.0.1:8080/x?y=1"


def test_the_upstreams_host_is_judged_prefixed_or_not_and_any_other_passes_through() -> None:
    upstream = Upstream.named("http://127.0.0.1:8080", "us-east-1")
    assert upstream.names("127.0.0.1:8080") and upstream.names("runtime-127.0.0.1:8080")
    assert not upstream.names("127.0.0.1:9000")  # the application's S3, say
    assert not upstream.names("other-127.0.0.1:8080")
