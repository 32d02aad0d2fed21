"""Every answer's headers, and request ids unique over a whole run."""

from __future__ import annotations

import time

from harness.report.record import RunRecord
from harness.server.checks.headers import request_ids_unique, response_headers
from harness.server.probe import Exchange
from harness.server.registry import Answered, RunTotals
from harness.server.run_model import RunModel
from tests.server.exchanges import HistoryContext, get_job


def answered(request_id: str | None = "r-1", **headers: str) -> Exchange:
    exchange = get_job(time.time(), jobStatus="COMPLETED")
    assert exchange.headers is not None
    exchange.headers["Content-Type"] = "application/json"
    if request_id is not None:
        exchange.headers["x-amzn-RequestId"] = request_id
    exchange.headers.update(headers)
    return exchange


def judged(*history: Exchange) -> tuple[bool, str]:
    context = HistoryContext(RunModel.of(history))
    response_headers(context)  # type: ignore[arg-type]
    return context.verdicts[("RESPONSE-HEADERS", "GetDICOMImportJob")]


def test_answers_with_a_request_id_a_date_and_a_json_content_type_pass() -> None:
    assert judged(answered("r-1"), answered("r-2", **{"Content-Type": "application/json; x=1"}))[0]


def test_a_missing_request_id_date_or_json_content_type_fails_naming_it() -> None:
    ok, message = judged(answered(None))
    assert not ok and "x-amzn-RequestId" in message
    ok, message = judged(answered(Date="yesterday"))
    assert not ok and "Date 'yesterday'" in message
    ok, message = judged(answered(**{"Content-Type": "text/plain"}))
    assert not ok and "text/plain" in message


def test_a_request_id_answered_twice_in_a_run_fails() -> None:
    def outcome(*ids: str) -> tuple[str, str]:
        record = RunRecord(kind="server", target={}, tool={}, seed=1, profile="quick")
        totals = RunTotals(record, [Answered("GetDatastore", 0.1, found) for found in ids])
        request_ids_unique(totals)
        return record.outcomes[0].status, record.outcomes[0].message

    assert outcome("a", "b", "c")[0] == "passed"
    status, message = outcome("a", "b", "a")
    assert status == "failed" and "a (GetDatastore, 2 answers)" in message
