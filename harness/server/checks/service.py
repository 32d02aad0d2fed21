"""Service-wide behaviour: no throttling under the documented rates, and timely answers."""

from __future__ import annotations

import statistics
from collections import defaultdict

from harness.checks import Check, Source
from harness.report.record import Evidence, Outcome
from harness.server.context import SuiteContext
from harness.server.derived import every_operation
from harness.server.registry import RunTotals, Trigger, Unit, server_check

MEDIAN_LIMIT_SECONDS = 1.0
SLOWEST_LIMIT_SECONDS = 10.0


@server_check(
    "THROTTLE-WITHIN-LIMITS",
    "service",
    "Reads well under the documented rate limits are not throttled",
    Source.SERVICE_DOCS,
    "developer guide 'Throttling limits': GetDatastore 10/s, ListDICOMImportJobs 10/s",
    unit=Unit.PROTOCOL,
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


@server_check(
    "RESPONSE-TIME",
    "service",
    f"Per operation, the median answer comes within {MEDIAN_LIMIT_SECONDS:.0f} s and the "
    f"slowest within {SLOWEST_LIMIT_SECONDS:.0f} s",
    Source.HARNESS,
    "decision RESPONSE-TIME: the service documents no latency; a contract harness must finish, "
    "and a slow endpoint should fail on a rule, not on a step running out of time",
    trigger=Trigger.RUN,
    covers=every_operation,
)
def response_time(totals: RunTotals, check: Check) -> None:
    """Per operation, over the answer times of every request the run sent (any worker's)."""
    by_operation: dict[str, list[float]] = defaultdict(list)
    for answered in totals.answers:
        by_operation[answered.operation].append(answered.seconds)
    for operation, times in sorted(by_operation.items()):
        median, slowest = statistics.median(times), max(times)
        ok = median <= MEDIAN_LIMIT_SECONDS and slowest <= SLOWEST_LIMIT_SECONDS
        totals.record.add(
            Outcome(
                check.id,
                operation,
                "passed" if ok else "failed",
                f"median {median:.3f} s, slowest {slowest:.3f} s over {len(times)} answers",
                []
                if ok or totals.record.seed is None
                else [Evidence(note=f"replay with --seed {totals.record.seed}")],
            )
        )
