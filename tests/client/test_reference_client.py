"""The reference client, in-process with `responses`, judged on the whole catalogue."""

from __future__ import annotations

import re
from typing import Any

import pytest
import responses

from harness.client import ClientConfig, ImagingClient
from harness.sdk.judge import judge
from harness.sdk.reference_adapter import answer_from_client
from harness.sdk.scenarios import CATALOGUE, METADATA_GZIP, SAMPLE_INPUT, Scenario

ENDPOINT = "http://medical-imaging.test"


# Proxies, resets, timeouts, skewed clocks and client state need the loopback stub
# (tests/sdk/test_adapters.py runs those through the reference adapter).
IN_PROCESS = [scenario for scenario in CATALOGUE if scenario.in_process]


@pytest.mark.parametrize("scenario", IN_PROCESS, ids=lambda scenario: scenario.id)
def test_the_reference_client_meets_every_scenario(scenario: Scenario, ahi_scripted: Any) -> None:
    client = ImagingClient(
        ClientConfig(ENDPOINT, max_attempts=scenario.max_attempts), sleep=lambda seconds: None
    )
    answers = []
    with ahi_scripted(scenario, ENDPOINT) as service:
        for call in range(scenario.calls):
            service.call = call
            answers.append(
                answer_from_client(call, client, scenario.operation, dict(scenario.params))
            )
    outcome = judge(scenario, "reference", answers, service.requests)
    assert outcome.status == "passed", outcome.message


def test_backoff_grows_and_is_capped() -> None:
    waits: list[float] = []
    client = ImagingClient(
        ClientConfig(ENDPOINT, base_backoff=1.0, max_backoff=3.0), sleep=waits.append
    )
    for attempt in (1, 2, 3, 4, 5):
        client._backoff(attempt)
    assert all(0 <= wait <= cap for wait, cap in zip(waits, (1, 2, 3, 3, 3), strict=True))


def test_missing_required_input_is_a_client_error_without_a_request(ahi_scripted: Any) -> None:
    scenario = next(s for s in CATALOGUE if s.operation == "GetDatastore")
    with ahi_scripted(scenario, ENDPOINT) as service:
        answer = answer_from_client(1, ImagingClient(ClientConfig(ENDPOINT)), "GetDatastore", {})
    assert answer["error"]["kind"] == "client"
    assert "datastoreId" in answer["error"]["message"]
    assert service.requests == []


def test_the_host_prefix_is_applied_only_when_asked_and_only_where_modelled() -> None:
    output = {"datastoreId": "d", "imageSetId": "i", "versionId": "1", "imageSetState": "ACTIVE"}
    with responses.RequestsMock() as mock:
        prefixed = mock.add(
            "POST", re.compile(r"http://runtime-medical-imaging\.test/datastore/.*"), json=output
        )
        tagging = mock.add(
            "GET", re.compile(r"http://medical-imaging\.test/tags/.*"), json={"tags": {}}
        )
        client = ImagingClient(ClientConfig(ENDPOINT, inject_host_prefix=True))
        assert client.call("GetImageSet", SAMPLE_INPUT["GetImageSet"]) == output
        assert client.call("ListTagsForResource", SAMPLE_INPUT["ListTagsForResource"]) == {
            "tags": {}
        }
    assert prefixed.call_count == 1 and tagging.call_count == 1


def test_blob_answers_are_the_bytes_sent_even_when_gzipped() -> None:
    with responses.RequestsMock() as mock:
        mock.add(
            "POST",
            re.compile(r"http://medical-imaging\.test/.*/getImageSetMetadata"),
            body=METADATA_GZIP,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
        output = ImagingClient(ClientConfig(ENDPOINT)).call(
            "GetImageSetMetadata", SAMPLE_INPUT["GetImageSetMetadata"]
        )
    assert output["imageSetMetadataBlob"] == METADATA_GZIP
    assert output["contentEncoding"] == "gzip"
