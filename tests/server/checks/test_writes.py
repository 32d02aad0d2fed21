"""A write's first answer holds its documented transitional status; replays are not judged."""

from __future__ import annotations

import time

from harness.server.checks.writes import first_answer_status
from harness.server.probe import Exchange
from harness.server.run_model import RunModel
from tests.server.exchanges import JOB, STORE, HistoryContext, exchange


def started(status: str, token: str = "t-1") -> Exchange:
    body = {"jobId": JOB, "datastoreId": STORE, "jobStatus": status, "submittedAt": time.time()}
    return exchange("POST", f"/startDICOMImportJob/datastore/{STORE}", body, {"clientToken": token})


def deleted(status: str) -> Exchange:
    return exchange(
        "DELETE", f"/datastore/{STORE}", {"datastoreId": STORE, "datastoreStatus": status}
    )


def judged(*history: Exchange) -> dict[tuple[str, str], tuple[bool, str]]:
    context = HistoryContext(RunModel.of(history))
    first_answer_status(context)  # type: ignore[arg-type]
    return context.verdicts


def test_the_documented_first_status_passes_and_another_fails() -> None:
    verdicts = judged(started("SUBMITTED"), deleted("DELETING"))
    assert {key: ok for key, (ok, _) in verdicts.items()} == {
        ("WRITE-FIRST-STATUS", "StartDICOMImportJob"): True,
        ("WRITE-FIRST-STATUS", "DeleteDatastore"): True,
    }
    ok, message = judged(deleted("ACTIVE"))[("WRITE-FIRST-STATUS", "DeleteDatastore")]
    assert not ok and "datastoreStatus 'ACTIVE', documented DELETING" in message


def test_a_replay_of_a_client_token_is_not_judged() -> None:
    verdicts = judged(started("SUBMITTED"), started("COMPLETED"))
    assert verdicts[("WRITE-FIRST-STATUS", "StartDICOMImportJob")][0]
    verdicts = judged(started("SUBMITTED"), started("COMPLETED", token="t-2"))
    assert not verdicts[("WRITE-FIRST-STATUS", "StartDICOMImportJob")][0]
