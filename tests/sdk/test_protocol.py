"""The protocol's wire form: blobs as {"$base64": ...}, hostPrefix false, read by the model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from harness.client import ClientSideError
from harness.sdk.protocol import (
    AdapterNotStarted,
    call_config,
    declared_errors,
    declared_retries,
    stderr_tail,
)
from harness.sdk.reference_adapter import ClientPool, client_for
from harness.sdk.runner import certify, scenario_config
from harness.sdk.scenarios import BY_ID, METADATA_GZIP, REMOVABLE, UPDATABLE
from harness.sdk.stub import StubServer
from harness.sdk.wire import blob, decode_answer, decode_input, dumps, encode


def test_bytes_travel_as_standard_base64_objects() -> None:
    assert blob(b"\xff\x00") == {"$base64": "/wA="}
    assert encode({"a": [b"x"], "b": "x"}) == {"a": [{"$base64": "eA=="}], "b": "x"}
    assert json.loads(dumps({"blob": METADATA_GZIP}))["blob"] == blob(METADATA_GZIP)


def test_answers_are_decoded_only_where_the_model_has_a_blob() -> None:
    answer = {
        "id": 1,
        "output": {"imageSetMetadataBlob": blob(METADATA_GZIP), "contentEncoding": "gzip"},
    }
    assert decode_answer("GetImageSetMetadata", answer)["output"] == {
        "imageSetMetadataBlob": METADATA_GZIP,
        "contentEncoding": "gzip",
    }
    tags = {"id": 2, "output": {"tags": {"$base64": "eA=="}}}
    assert decode_answer("ListTagsForResource", tags) == tags
    not_base64 = {"id": 3, "output": {"imageFrameBlob": {"$base64": "%%%"}}}
    assert decode_answer("GetImageFrame", not_base64) == not_base64
    plain_string = {"id": 4, "output": {"imageFrameBlob": "eA=="}}
    assert decode_answer("GetImageFrame", plain_string) == plain_string
    error = {"id": 5, "error": {"kind": "client", "code": None, "message": "m"}}
    assert decode_answer("GetImageFrame", error) == error


def test_inputs_are_decoded_by_shape() -> None:
    sent = {
        "datastoreId": "d",
        "updateImageSetMetadataUpdates": {"DICOMUpdates": {"updatableAttributes": blob(b"u")}},
    }
    assert decode_input("UpdateImageSetMetadata", sent)["updateImageSetMetadataUpdates"] == {
        "DICOMUpdates": {"updatableAttributes": b"u"}
    }


def test_calls_carry_host_prefix_false() -> None:
    assert call_config("http://127.0.0.1:1", 3)["hostPrefix"] is False


def test_the_harness_sends_blob_inputs_and_config_as_the_protocol_says(tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    program = tmp_path / "adapter.py"
    program.write_text(
        "import json, sys\n"
        'print(json.dumps({"hello": "ahi-sdk-adapter/1", "sdk": "toy", "version": "0"}), '
        "flush=True)\n"
        "for line in sys.stdin:\n"
        f"    open({str(log)!r}, 'a').write(line)\n"
        "    message = json.loads(line)\n"
        "    print(json.dumps({'id': message['id'], 'output': {}}), flush=True)\n"
    )
    certify(f"{sys.executable} {program}", [BY_ID["SDK-BLOB-UPDATE-BASE64"]])
    (message,) = [json.loads(line) for line in log.read_text().splitlines()]
    updates = message["input"]["updateImageSetMetadataUpdates"]["DICOMUpdates"]
    assert updates == {
        "updatableAttributes": blob(UPDATABLE),
        "removableAttributes": blob(REMOVABLE),
    }
    assert message["config"]["hostPrefix"] is False
    assert message["operation"] == "UpdateImageSetMetadata"


def test_first_edition_calls_carry_no_new_members() -> None:
    config = call_config("http://127.0.0.1:1", 3)
    assert not {"proxy", "clientId", "shortBackoff", "useFipsEndpoint"} & set(config)
    assert not {"useDualstackEndpoint"} & set(config)


def test_endpoint_scenarios_send_no_endpoint_but_region_flags_and_proxy() -> None:
    stub = StubServer().start()
    fips = scenario_config(BY_ID["SDK-ENDPOINT-cn-north-1-FIPS-DUALSTACK"], stub, 10.0)
    custom = scenario_config(BY_ID["SDK-ENDPOINT-CUSTOM-NO-REGION"], stub, 10.0)
    stub.stop()
    assert fips["endpoint"] is None and fips["region"] == "cn-north-1"
    assert fips["useFipsEndpoint"] is True and fips["useDualstackEndpoint"] is True
    assert fips["proxy"] == stub.url and fips["maxAttempts"] == 1
    assert custom["endpoint"] == "https://example.com" and custom["region"] is None


def test_the_reference_client_refuses_what_the_ruleset_refuses_before_any_request() -> None:
    config = call_config("https://example.com", 1, use_fips=True)
    with pytest.raises(ClientSideError, match="FIPS and custom endpoint"):
        client_for(config).call("GetDatastore", {"datastoreId": "a" * 32})


def test_scenarios_ask_for_proxy_shared_client_and_real_backoff_as_they_need(
    tmp_path: Path,
) -> None:
    log = tmp_path / "calls.jsonl"
    program = tmp_path / "adapter.py"
    program.write_text(
        "import json, sys\n"
        'print(json.dumps({"hello": "ahi-sdk-adapter/1", "sdk": "toy", "version": "0"}), '
        "flush=True)\n"
        "for line in sys.stdin:\n"
        f"    open({str(log)!r}, 'a').write(line)\n"
        "    message = json.loads(line)\n"
        "    print(json.dumps({'id': message['id'], 'output': {}}), flush=True)\n"
    )
    chosen = ["SDK-HOST-PREFIX-GetImageSet", "SDK-HOST-PREFIX-DISABLED-GetImageSet"]
    chosen += ["SDK-CLOCK-SKEW-PERSISTS", "SDK-RETRY-BACKOFF-BOUNDS", "SDK-RETRY-TIMEOUT"]
    certify(f"{sys.executable} {program}", [BY_ID[name] for name in chosen])
    configs = [json.loads(line)["config"] for line in log.read_text().splitlines()]
    prefixed, disabled, skew_1, skew_2, backoff, timeout = configs
    assert prefixed["hostPrefix"] is True and prefixed["proxy"] == prefixed["endpoint"]
    assert disabled["hostPrefix"] is False and disabled["proxy"] == disabled["endpoint"]
    assert skew_1["clientId"] == skew_2["clientId"] == "SDK-CLOCK-SKEW-PERSISTS"
    assert backoff["shortBackoff"] is False and "proxy" not in backoff
    assert timeout["timeoutSeconds"] == 1.0


def test_calls_with_one_client_id_share_one_reference_client() -> None:
    pool = ClientPool()
    shared = call_config("http://127.0.0.1:1", 3, client_id="a")
    assert pool.client(shared) is pool.client(dict(shared))
    assert pool.client(shared) is not pool.client(
        call_config("http://127.0.0.1:1", 3, client_id="b")
    )
    fresh = call_config("http://127.0.0.1:1", 3)
    assert pool.client(fresh) is not pool.client(fresh)


def test_the_reference_client_takes_the_proxy_and_backoff_from_the_config() -> None:
    proxied = client_for(call_config("http://127.0.0.1:1", 3, proxy="http://127.0.0.1:2"))
    assert proxied.session.proxies["http"] == "http://127.0.0.1:2"
    assert proxied.session.trust_env is False
    real = client_for(call_config("http://127.0.0.1:1", 3, short_backoff=False)).config
    assert (real.base_backoff, real.max_backoff) == (1.0, 20.0)
    short = client_for(call_config("http://127.0.0.1:1", 3)).config
    assert short.max_backoff < 0.1


def test_the_run_asks_for_the_2026_behaviour_and_follows_what_the_adapter_declares() -> None:
    quota = BY_ID["SDK-RETRY-QUOTA-COST"]
    standard = certify("reference", [quota])
    asked = certify("reference", [quota], retries_2026=True)
    assert standard.passed and asked.passed
    assert standard.target["retries"] == {"asked": "standard", "declared": "standard"}
    assert asked.target["retries"] == {"asked": "2026", "declared": "2026"}
    assert "SDK-RETRY-BEHAVIOUR" in {o.check_id for o in standard.outcomes}
    assert "SDK-RETRY-BEHAVIOUR" not in {o.check_id for o in asked.outcomes}
    assert quota.for_retries("2026").calls == 19 and quota.for_retries("standard") is quota


def test_an_adapter_declaring_2026_without_the_opt_in_fails_the_behaviour_check(
    tmp_path: Path,
) -> None:
    program = tmp_path / "declares_2026.py"
    program.write_text(
        "import json, sys\n"
        'print(json.dumps({"hello": "ahi-sdk-adapter/1", "sdk": "toy", "retries": "2026"}),'
        " flush=True)\n"
        "sys.stdin.read()\n"
    )
    record = certify(f"{sys.executable} {program}", [])
    assert record.failed_checks() == ["SDK-RETRY-BEHAVIOUR"]


def test_the_greeting_declares_legacy_retries_and_code_only_errors() -> None:
    assert declared_retries({"retries": "legacy"}) == "legacy"
    assert declared_retries({"retries": "adaptive"}) == declared_retries({}) == "standard"
    assert declared_errors({"errors": "code"}) == "code"
    assert declared_errors({"errors": "other"}) == declared_errors({}) == "typed"
    modeled = BY_ID["SDK-ERR-HEADER-GetDatastore-ResourceNotFoundException"]
    assert modeled.for_errors("typed") is modeled
    assert modeled.for_errors("code").expect.modeled is None
    assert modeled.for_errors("code").expect.code == "ResourceNotFoundException"
    output = BY_ID["SDK-RETRY-500"]
    assert output.for_errors("code") is output


def test_an_adapter_with_code_only_errors_is_judged_on_codes_and_fails_the_types_check(
    tmp_path: Path,
) -> None:
    """A v2-like SDK: a legacy retry policy and one error type; its error answers carry
    `modeled: false` and pass on code, message and status."""
    program = tmp_path / "code_only.py"
    program.write_text(
        "import json, sys\n"
        'print(json.dumps({"hello": "ahi-sdk-adapter/1", "sdk": "toy", "retries": "legacy",'
        ' "errors": "code"}), flush=True)\n'
        "for line in sys.stdin:\n"
        "    call = json.loads(line)\n"
        '    error = {"kind": "service", "code": "ResourceNotFoundException", "message": "m",'
        ' "httpStatus": 404, "modeled": False}\n'
        '    print(json.dumps({"id": call["id"], "error": error}), flush=True)\n'
    )
    scenario = BY_ID["SDK-ERR-HEADER-GetDatastore-ResourceNotFoundException"]
    record = certify(f"{sys.executable} {program}", [scenario])
    assert record.failed_checks() == ["SDK-ERROR-TYPES", "SDK-RETRY-BEHAVIOUR"]
    assert record.target["retries"]["declared"] == "legacy" and record.target["errors"] == "code"
    assert {o.check_id: o.status for o in record.outcomes}[scenario.id] == "passed"


def test_stderr_tail_keeps_the_error_and_drops_blank_lines_and_stack_frames() -> None:
    node = [
        "node:internal/modules/cjs/loader:1210",
        "  throw err;",
        "  ^",
        "",
        "Error: Cannot find module '/x/missing.mjs'",
        "    at Module._resolveFilename (node:internal/modules/cjs/loader:1207:15)",
        "    at node:internal/main/run_main_module:28:49 {",
        "  code: 'MODULE_NOT_FOUND',",
        "  requireStack: []",
        "}",
        "",
        "Node.js v20.20.2",
    ]
    assert stderr_tail(node) == (
        "Error: Cannot find module '/x/missing.mjs' | code: 'MODULE_NOT_FOUND', | requireStack: []"
    )
    python = [
        "Traceback (most recent call last):",
        '  File "adapter.py", line 1, in <module>',
        "    import no_such_sdk",
        "ModuleNotFoundError: No module named 'no_such_sdk'",
    ]
    assert stderr_tail(python) == "ModuleNotFoundError: No module named 'no_such_sdk'"
    assert stderr_tail(["one", "", "two", "three", "four"]) == "two | three | four"
    assert stderr_tail([]) == ""


def test_an_adapter_that_exits_before_greeting_does_not_start_a_run() -> None:
    command = f"{sys.executable} -c \"import sys; sys.stderr.write('boom\\n'); sys.exit(3)\""
    with pytest.raises(AdapterNotStarted, match=r"exited with status 3 before greeting: boom$"):
        certify(command, [BY_ID["SDK-RETRY-500"]])
