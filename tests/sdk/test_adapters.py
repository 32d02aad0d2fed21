"""Adapters through the protocol: the reference, faulty variants, real SDKs, broken programs."""

from __future__ import annotations

import importlib
import inspect
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from harness.model import IN_SCOPE_OPERATIONS, load_pinned_model, operations
from harness.report.record import RunRecord
from harness.sdk.bugs import caught_by
from harness.sdk.reference_bugs import BUGS
from harness.sdk.runner import ADAPTERS_DIR, certify, load_known
from harness.sdk.scenarios import BY_ID, ERROR_VARIANTS
from harness.sdk.scenarios.errors import error_ids

REFERENCE = f"{sys.executable} -m harness.sdk.reference_adapter"
MODEL = load_pinned_model()


BUG_CAUGHT_BY = caught_by()


def _failures(record: RunRecord) -> str:
    """Each failed outcome with its message, for an assertion's explanation."""
    return "\n".join(
        f"{o.check_id}: {o.message}" for o in record.outcomes if o.status in ("failed", "error")
    )


def test_every_bug_of_the_reference_adapter_has_its_catching_scenarios() -> None:
    assert set(BUG_CAUGHT_BY) == set(BUGS)
    assert all(caught <= set(BY_ID) for caught in BUG_CAUGHT_BY.values())


@pytest.mark.slow
def test_the_reference_adapter_program_passes_every_scenario() -> None:
    record = certify(REFERENCE)
    assert record.passed, _failures(record)
    assert {o.check_id for o in record.outcomes} >= set(BY_ID)


@pytest.mark.slow
@pytest.mark.parametrize("bug", sorted(BUG_CAUGHT_BY))
def test_a_faulty_adapter_fails_exactly_the_matching_scenarios_of_their_families(
    bug: str,
) -> None:
    """Under the standard retry behaviour (the self-test's), through the scenarios of the
    families its catching scenarios belong to; `ahi-contract selftest` runs each bug
    through the whole catalogue."""
    families = {BY_ID[scenario].family for scenario in BUG_CAUGHT_BY[bug]}
    scenarios = [scenario for scenario in BY_ID.values() if scenario.family in families]
    record = certify(f"{REFERENCE} --bug {bug}", scenarios)
    assert set(record.failed_checks()) == BUG_CAUGHT_BY[bug]


@pytest.mark.slow
@pytest.mark.parametrize("adapter", ["boto3", "aiobotocore", "js-v3", "js-v2"])
def test_real_sdks_match_their_known_deviations_exactly(adapter: str) -> None:
    record = certify(adapter)
    assert record.passed, _failures(record)
    deviating = {o.check_id for o in record.outcomes if o.status == "deviation"}
    assert deviating == set(load_known(adapter))
    assert record.target["sdk"]["hello"] == "ahi-sdk-adapter/1"


def test_boto3_deviates_where_the_protocol_notes_predict_and_on_clock_skew() -> None:
    known = load_known("boto3")
    empty_body = {f"SDK-ERR-5XX-EMPTY-BODY-{op}" for op in IN_SCOPE_OPERATIONS}
    clock_skew = {
        "SDK-CLOCK-SKEW-RequestTimeTooSkewed",
        "SDK-CLOCK-SKEW-InvalidSignatureException",
        "SDK-CLOCK-SKEW-PERSISTS",
    }
    custom_endpoint = {"SDK-ENDPOINT-CUSTOM-FIPS", "SDK-ENDPOINT-CUSTOM-DUALSTACK"}
    assert set(known) == empty_body | clock_skew | custom_endpoint | {"SDK-RETRY-ATTEMPT-MAX"}
    assert all("botocore/args.py" in known[name].where for name in custom_endpoint)
    assert all("botocore/parsers.py" in known[name].where for name in empty_body)
    assert all("endpoint.py" in known[name].where for name in clock_skew)
    assert "MaxAttemptsChecker" in known["SDK-RETRY-ATTEMPT-MAX"].where


def _function(dotted: str) -> Any:
    """The installed `package.module.Class.function`."""
    module, owner, function = dotted.rsplit(".", 2)
    return getattr(getattr(importlib.import_module(module), owner), function)


def _source(dotted: str) -> str:
    """`package.module.Class.function` as a deviation's `where` writes it."""
    module, owner, function = dotted.rsplit(".", 2)
    return f"{module.replace('.', '/')}.py {owner}.{function}"


def test_aiobotocore_deviates_where_boto3_does_through_the_botocore_it_runs_on() -> None:
    """aiobotocore brings its own HTTP stack (aiohttp), timeouts, proxies and retry sleep,
    and none of them deviates; every deviation is botocore's, reached through aiobotocore's
    async subclass, and its `where` names both, in the versions installed."""
    import aiobotocore
    import botocore

    assert (aiobotocore.__version__, botocore.__version__) == ("3.9.0", "1.43.11")
    known = load_known("aiobotocore")
    assert set(known) == set(load_known("boto3"))
    assert all("aiobotocore 3.9.0 on botocore 1.43.11" in entry.where for entry in known.values())
    empty_body = {f"SDK-ERR-5XX-EMPTY-BODY-{op}" for op in IN_SCOPE_OPERATIONS}
    clock_skew = {
        "SDK-CLOCK-SKEW-RequestTimeTooSkewed",
        "SDK-CLOCK-SKEW-InvalidSignatureException",
        "SDK-CLOCK-SKEW-PERSISTS",
    }
    custom_endpoint = {"SDK-ENDPOINT-CUSTOM-FIPS", "SDK-ENDPOINT-CUSTOM-DUALSTACK"}
    # scenario -> aiobotocore's function, and the botocore function it reaches
    sources = {
        **dict.fromkeys(
            empty_body,
            (
                "aiobotocore.parsers.AioResponseParser.parse",
                "botocore.parsers.ResponseParser._is_generic_error_response",
            ),
        ),
        **dict.fromkeys(
            clock_skew,
            (
                "aiobotocore.endpoint.AioEndpoint._send_request",
                "botocore.endpoint.Endpoint._update_retries_context",
            ),
        ),
        **dict.fromkeys(
            custom_endpoint,
            (
                "aiobotocore.args.AioClientArgsCreator._build_endpoint_resolver",
                "botocore.args.ClientArgsCreator.compute_endpoint_resolver_builtin_defaults",
            ),
        ),
        "SDK-RETRY-ATTEMPT-MAX": (
            "aiobotocore.retries.standard.AioStandardRetryConditions.is_retryable",
            "botocore.retries.standard.MaxAttemptsChecker.is_retryable",
        ),
    }
    assert set(sources) == set(known)
    for scenario, (ours, botocores) in sources.items():
        path, function = _source(ours).split(" ")
        assert f"{path}, {function}, calling {_source(botocores)}" in known[scenario].where
        # aiobotocore's function, as installed, calls botocore's
        assert callable(_function(botocores))
        assert f"{botocores.rsplit('.', 1)[1]}(" in inspect.getsource(_function(ours))


def test_js_v3_deviates_where_its_model_is_older_and_on_the_2026_retry_opt_in() -> None:
    known = load_known("js-v3")
    missing_errors = {
        f"SDK-ERR-{variant}-GetImageFrame-{error}"
        for variant in ERROR_VARIANTS
        for error in ("BadRequestException", "NotAcceptableException")
    }
    newer_members = {
        "SDK-QUERY-INCLUDE-STUDY",
        "SDK-SERIALIZE-IMPORT-CONFIGURATION",
        "SDK-DESERIALIZE-IMPORT-CONFIGURATION",
    }
    assert set(known) == missing_errors | newer_members | {"SDK-RETRY-BEHAVIOUR"}
    assert all("client-medical-imaging 3.958.0" in entry.where for entry in known.values())
    assert "Retry.v2026" in known["SDK-RETRY-BEHAVIOUR"].why


def test_js_v2_deviates_in_its_error_parser_its_legacy_retries_and_its_older_model() -> None:
    """aws-sdk 2.x: its own rest-json error parser, empty POST bodies, a bundled model older
    than botocore's, the legacy retry policy, clock skew left uncorrected, and no endpoint
    ruleset; each entry names aws-sdk 2.1693.0's source."""
    known = load_known("js-v2")
    error_parser = error_ids(
        "OWN-NAMESPACE", "OTHER-NAMESPACE", "HEADER-WINS", "BODY-NAMESPACE-URI"
    )
    no_body_post = {
        f"SDK-{kind}-{op}"
        for kind in ("SERIALIZE", "EMPTY-BODY")
        for op in ("DeleteImageSet", "GetImageSet", "GetImageSetMetadata", "ListImageSetVersions")
    }
    newer_members = {
        "SDK-QUERY-BOOLEANS",
        "SDK-QUERY-INCLUDE-STUDY",
        "SDK-SERIALIZE-IMPORT-CONFIGURATION",
        "SDK-DESERIALIZE-IMPORT-CONFIGURATION",
        "SDK-DESERIALIZE-GetDatastore",
        "SDK-DESERIALIZE-GetImageSet",
        "SDK-DESERIALIZE-ListImageSetVersions",
        "SDK-DESERIALIZE-SearchImageSets",
    }
    legacy_retries = {
        "SDK-RETRY-BEHAVIOUR",
        "SDK-RETRY-QUOTA-COST",
        "SDK-RETRY-QUOTA-TIMEOUT-COST",
        "SDK-RETRY-QUOTA-EXHAUSTS",
        "SDK-RETRY-ATTEMPT-HEADER",
        "SDK-RETRY-ATTEMPT-MAX",
    }
    clock_skew = {
        "SDK-CLOCK-SKEW-RequestTimeTooSkewed",
        "SDK-CLOCK-SKEW-InvalidSignatureException",
        "SDK-CLOCK-SKEW-PERSISTS",
    }
    custom_endpoint = {"SDK-ENDPOINT-CUSTOM-FIPS", "SDK-ENDPOINT-CUSTOM-DUALSTACK"}
    assert set(known) == (
        error_parser
        | {"SDK-ERROR-TYPES"}
        | no_body_post
        | newer_members
        | legacy_retries
        | clock_skew
        | custom_endpoint
    )
    assert all(entry.where.startswith("aws-sdk 2.1693.0 ") for entry in known.values())
    assert all("lib/protocol/json.js, extractError" in known[name].where for name in error_parser)
    assert all("rest_json.js" in known[name].where for name in no_body_post)
    assert all("medical-imaging-2023-07-19.min.json" in known[n].where for n in newer_members)
    assert all("correctClockSkew: false" in known[name].where for name in clock_skew)
    assert all("regionConfig.configureEndpoint" in known[n].where for n in custom_endpoint)
    assert "legacy" in known["SDK-RETRY-BEHAVIOUR"].observed


# What a first-edition adapter cannot do: reach a prefixed host without the proxy,
# keep a client (its quota and clock) between calls. (Its endpoint scenarios are left
# out: without the proxy it would try to reach the resolved hosts themselves.)
FIRST_EDITION_FAILS = {
    *(f"SDK-HOST-PREFIX-{op}" for op in IN_SCOPE_OPERATIONS if operations()[op].host_prefix),
    "SDK-RETRY-QUOTA-COST",
    "SDK-RETRY-QUOTA-TIMEOUT-COST",
    "SDK-RETRY-QUOTA-EXHAUSTS",
    "SDK-CLOCK-SKEW-PERSISTS",
}


@pytest.mark.slow
def test_an_adapter_written_for_the_first_edition_fails_only_what_1_1_adds(
    tmp_path: Path,
) -> None:
    program = tmp_path / "first_edition.py"
    program.write_text(
        "import json, sys\n"
        "from harness.sdk import reference_adapter\n"
        "def first_edition(lines):\n"
        "    for line in lines:\n"
        "        message = json.loads(line)\n"
        "        for key in ('proxy', 'clientId', 'shortBackoff'):\n"
        "            message['config'].pop(key, None)\n"
        "        yield json.dumps(message) + '\\n'\n"
        "sys.stdin = first_edition(sys.__stdin__)\n"
        "sys.argv = sys.argv[:1]\n"
        "raise SystemExit(reference_adapter.main())\n"
    )
    scenarios = [s for s in BY_ID.values() if s.family != "sdk-endpoints"]
    record = certify(f"{sys.executable} {program}", scenarios)
    assert set(record.failed_checks()) == FIRST_EDITION_FAILS


def _program(tmp_path: Path, body: str) -> str:
    path = tmp_path / "adapter.py"
    path.write_text("import json, sys, time\n" + body)
    return f"{sys.executable} {path}"


GREET = (
    'print(json.dumps({"hello": "ahi-sdk-adapter/1", "sdk": "toy", "version": "0"}), flush=True)\n'
)


@pytest.mark.parametrize(
    ("body", "reported"),
    [
        (GREET + "sys.stdin.readline()\nsys.exit(3)\n", "exited with status 3"),
        (GREET + "sys.stdin.readline()\nprint('Traceback: boom', flush=True)\n", "not JSON"),
        (GREET + "sys.stdin.readline()\nprint('[1]', flush=True)\n", "not an object"),
        (
            GREET + "line = sys.stdin.readline()\nprint(json.dumps({'id': 999}), flush=True)\n",
            "answered id 999",
        ),
        ("print('hello there', flush=True)\n", "not JSON"),
        ('print(json.dumps({"hello": "other/9"}), flush=True)\n', "not hello"),
    ],
)
def test_a_broken_adapter_is_reported_and_the_run_ends(
    tmp_path: Path, body: str, reported: str
) -> None:
    record = certify(_program(tmp_path, body))
    assert not record.passed
    assert record.aborted is not None and reported in record.aborted
    assert {o.status for o in record.outcomes if o.check_id in BY_ID} <= {"error"}


def test_a_hung_adapter_is_killed_after_the_call_timeout_plus_grace(tmp_path: Path) -> None:
    started = time.monotonic()
    record = certify(_program(tmp_path, GREET + "time.sleep(600)\n"), call_timeout=1)
    elapsed = time.monotonic() - started
    assert record.aborted is not None and "hung" in record.aborted
    assert 10 <= elapsed < 20


def test_reports_carry_known_deviations_as_skipped_in_junit(tmp_path: Path) -> None:
    from harness.report.writers import junit_xml, results_json

    empty_body = "SDK-ERR-5XX-EMPTY-BODY-GetDatastore"
    record = certify("boto3", [BY_ID[empty_body], BY_ID["SDK-RETRY-500"]])
    assert '<skipped message="known deviation' in junit_xml(record)
    statuses = {c["id"]: c["status"] for c in results_json(record)["checks"]}
    assert statuses[empty_body] == "deviation"
    assert json.dumps(statuses)


def test_bundled_adapters_exist_where_the_runner_looks() -> None:
    assert (ADAPTERS_DIR / "boto3" / "adapter.py").exists()
    assert (ADAPTERS_DIR / "aiobotocore" / "adapter.py").exists()
    assert (ADAPTERS_DIR / "js-v3" / "adapter.mjs").exists()
    assert (ADAPTERS_DIR / "js-v3" / "package-lock.json").exists()
    assert (ADAPTERS_DIR / "js-v2" / "adapter.mjs").exists()
    assert (ADAPTERS_DIR / "js-v2" / "package-lock.json").exists()
