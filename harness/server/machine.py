"""A hypothesis state machine with a model of the service beside the target.

Rules start jobs with fresh and reused tokens, read them, and list them with
every page size and filter; after each step the target's answers are compared
with the model. Judgements go to the same checks as the explicit scenarios
(IDEMPOTENT-*, JOB-*, PAGINATION-*, NOT-FOUND-404), with subject "state machine".
The model is the run's (`SuiteContext.model`, fed by every exchange): which
token started which job, the status each job was last seen in. The machine
works on a data store of its own so that the model knows every job on it, and
its jobs read an empty prefix so that they finish quickly.
"""

from __future__ import annotations

import string
import uuid
from typing import Any, ClassVar

from hypothesis import note
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    rule,
)

from harness.server.checks import errors, idempotency, jobs, listing
from harness.server.context import SuiteContext
from harness.server.expect import success_json
from harness.server.paging import walk
from harness.server.probe import Exchange
from harness.server.registry import Unit, server_step
from harness.server.run_model import Made
from harness.server.scenes.imports import ORDER, TERMINAL
from harness.server.stateful import Stop, bound, run_machine

SUBJECT = "state machine"


class ImportJobMachine(RuleBasedStateMachine):
    """Import jobs started, replayed, read and listed against the run's model (run it
    `stateful.bound` to a context and data store)."""

    context: ClassVar[SuiteContext]
    datastore_id: ClassVar[str]
    tokens = Bundle("tokens")
    job_ids = Bundle("job_ids")

    def judge(self, check_id: str, ok: bool, message: str, *exchanges: Exchange) -> None:
        if not self.context.verdict(check_id, SUBJECT, ok, message, *exchanges):
            raise Stop(message)

    def body(self, token: str, job_name: str) -> dict[str, Any]:
        return self.context.start_body(
            clientToken=token,
            jobName=job_name,
            inputS3Uri=self.context.env.empty_uri,
        )

    @initialize(target=tokens)
    def first_job(self) -> str:
        return self.start(f"first-{uuid.uuid4().hex[:6]}")

    @rule(
        target=tokens,
        job_name=st.text(string.ascii_letters + string.digits, min_size=1, max_size=16),
    )
    def start_fresh(self, job_name: str) -> str:
        return self.start(job_name)

    @property
    def jobs(self) -> set[str]:
        """Every job the run's model knows on the machine's data store."""
        return self.context.model.jobs_in(self.datastore_id)

    def started(self, token: str) -> Made | None:
        return self.context.model.made_with("StartDICOMImportJob", token)

    def start(self, job_name: str) -> str:
        """Start a job with a fresh token. The token goes to the bundle even when the quota
        refused the start (402): what the bundle holds must not depend on the target's
        answers, or hypothesis cannot replay an example; replays of it judge nothing."""
        token = uuid.uuid4().hex
        body = self.body(token, job_name)
        known = self.jobs
        exchange = self.context.start_job(self.datastore_id, **body)
        note(f"start {job_name} -> HTTP {exchange.status}")
        if exchange.status == 402:
            return token  # the quota was reached: no job, a legitimate answer
        answer = success_json(
            self.context, idempotency.replay.check.id, SUBJECT, exchange, "fresh start"
        )
        if answer is None:
            raise Stop("a fresh start failed")
        job_id = str(answer.get("jobId"))
        self.judge(
            idempotency.replay.check.id,
            job_id not in known,
            f"a fresh clientToken answered known job {job_id}",
            exchange,
        )
        return token

    @rule(token=tokens)
    def replay(self, token: str) -> None:
        made = self.started(token)
        if made is None:
            return
        exchange = self.context.start_job(self.datastore_id, **made.sent)
        answer = exchange.json() if exchange.status == 200 else None
        replayed = answer.get("jobId") if isinstance(answer, dict) else None
        note(f"replay {token[:8]} -> HTTP {exchange.status} {replayed}")
        self.judge(
            idempotency.replay.check.id,
            replayed == made.id,
            f"replay answered {replayed}, the model holds {made.id}",
            exchange,
        )

    @rule(token=tokens)
    def conflicting_replay(self, token: str) -> None:
        made = self.started(token)
        if made is None:
            return
        body = made.sent
        exchange = self.context.start_job(
            self.datastore_id, **{**body, "jobName": str(body.get("jobName")) + "-changed"}
        )
        note(f"conflicting replay {token[:8]} -> HTTP {exchange.status}")
        self.judge(
            idempotency.conflict.check.id,
            exchange.status == 409,
            f"the same token with another jobName answered HTTP {exchange.status}",
            exchange,
        )

    @rule(index=st.integers(min_value=0, max_value=10_000))
    def read_job(self, index: int) -> None:
        # The draw must not depend on the target's answers (hypothesis replays choices).
        known = sorted(self.jobs)
        if not known:
            return
        job_id = known[index % len(known)]
        before = self.context.model.status(job_id)
        exchange = self.context.get_job(self.datastore_id, job_id)
        body = exchange.json()
        properties = body.get("jobProperties") if isinstance(body, dict) else None
        if not isinstance(properties, dict):
            self.judge(
                jobs.status_forward.check.id,
                False,
                f"GetDICOMImportJob answered HTTP {exchange.status}",
                exchange,
            )
            return
        status = properties.get("jobStatus")
        note(f"get {job_id[:8]}: {before} -> {status}")
        self.judge(
            jobs.status_forward.check.id,
            ORDER.get(str(status), -1) >= ORDER.get(str(before), 0)
            and not (before in TERMINAL and status != before),
            f"status went from {before} to {status}",
            exchange,
        )
        ended = "endedAt" in properties
        self.judge(
            jobs.ended_at.check.id,
            ended == (status in TERMINAL)
            and (not ended or properties["endedAt"] >= properties.get("submittedAt", 0)),
            f"{status} with endedAt={properties.get('endedAt')} "
            f"submittedAt={properties.get('submittedAt')}",
            exchange,
        )

    @rule(
        page_size=st.integers(min_value=1, max_value=50),
        status=st.none() | st.sampled_from(("SUBMITTED", "IN_PROGRESS", "COMPLETED", "FAILED")),
    )
    def list_all(self, page_size: int, status: str | None) -> None:
        filters = {"jobStatus": status} if status else {}
        known = self.jobs
        listed = walk(self.context, self.datastore_id, page_size, **filters)
        ids, exchanges = listed.ids, listed.exchanges
        note(f"list maxResults={page_size} jobStatus={status}: {len(ids)} items")
        self.judge(
            listing.page_size.check.id,
            not listed.size_problems,
            "; ".join(listed.size_problems[:3]),
            *exchanges[:2],
        )
        self.judge(
            listing.status_filter.check.id,
            not listed.filter_problems,
            "; ".join(listed.filter_problems[:3]),
            *exchanges[:2],
        )
        duplicates = sorted({job for job in ids if ids.count(job) > 1})
        unknown = sorted(set(ids) - self.jobs)
        missing = sorted(known - set(ids)) if status is None else []
        self.judge(
            listing.complete.check.id,
            not duplicates and not unknown and not missing,
            f"listed twice {duplicates[:3]}, unknown {unknown[:3]}, missing {missing[:3]}",
            *exchanges[:2],
        )

    @rule()
    def get_unknown(self) -> None:
        exchange = self.context.get_job(self.datastore_id, uuid.uuid4().hex)
        self.judge(
            errors.not_found.check.id,
            exchange.status == 404,
            f"an unknown job answered HTTP {exchange.status}",
            exchange,
        )


@server_step(
    "state machine",
    unit=Unit.STATE_MACHINE,
    judges=(
        idempotency.replay.check,
        idempotency.conflict.check,
        jobs.status_forward.check,
        jobs.ended_at.check,
        listing.page_size.check,
        listing.status_filter.check,
        listing.complete.check,
        errors.not_found.check,
    ),
)
def run(context: SuiteContext) -> None:
    """Run the machine on a data store of its own; failures are already recorded."""
    created = success_json(
        context,
        idempotency.replay.check.id,
        "CreateDatastore",
        context.create_datastore(
            datastoreName=f"ahi-contract-model-{context.run_id}", clientToken=uuid.uuid4().hex
        ),
        "a data store for the state machine",
    )
    if created is None:
        return
    datastore_id = str(created["datastoreId"])
    context.wait_for_datastore(datastore_id)
    profile = context.profile
    with bound(ImportJobMachine, context=context, datastore_id=datastore_id) as machine:
        run_machine(machine, profile.machine_examples, profile.machine_steps)
