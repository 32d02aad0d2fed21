"""Service-wide behaviour: no throttling under the documented rates, and timely answers."""

from __future__ import annotations

import statistics

from harness.checks import Check, Source
from harness.report.record import Evidence, Outcome, RunRecord
from harness.server.context import SuiteContext
from harness.server.registry import CATALOGUE, server_check

LATENCY = CATALOGUE.register(
    "RESPONSE-TIME",
    "service",
    "The median answer of the run came within 1 second",
    Source.HARNESS,
    "a contract harness must finish; the service documents no latency",
)
MEDIAN_LIMIT_SECONDS = 1.0


@server_check(
    "THROTTLE-WITHIN-LIMITS",
    "service",
    "Reads well under the documented rate limits are not throttled",
    Source.SERVICE_DOCS,
    "developer guide 'Throttling limits': GetDatastore 10/s, ListDICOMImportJobs 10/s",
    unit="protocol",
)
def throttling(context: SuiteContext, check: Check) -> None:
    env = context.env
    exchanges = [context.get_datastore(env.datastore_id) for _ in range(6)]
    exchanges += [context.list_jobs(env.datastore_id, maxResults=1) for _ in range(6)]
    throttled = [e for e in exchanges if e.status == 429]
    context.verdict(
        check.id,
        "GetDatastore, ListDICOMImportJobs",
        not throttled,
        f"{len(throttled)} of {len(exchanges)} sequential reads were throttled",
        *throttled[:2],
        note="6 GetDatastore and 6 ListDICOMImportJobs calls, one at a time",
    )


def latency_of(record: RunRecord, answer_times: list[float]) -> None:
    """RESPONSE-TIME over the answer times of every request the run sent (any worker's)."""
    if not answer_times:
        return
    median = statistics.median(answer_times)
    ok = median <= MEDIAN_LIMIT_SECONDS
    message = (
        f"median answer {median:.2f} s over {len(answer_times)} requests "
        f"(slowest {max(answer_times):.2f} s)"
    )
    evidence = [] if ok else [Evidence(note=f"replay with --seed {record.seed}")]
    record.add(
        Outcome(
            LATENCY.id,
            "all operations",
            "passed" if ok else "failed",
            "" if ok else message,
            evidence,
        )
    )
