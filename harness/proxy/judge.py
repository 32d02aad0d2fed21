"""Judging live traffic: every request by the request rules, every answer by the server
suite's checks, and the whole history by the oracle when the proxy stops.

The judge keeps what the server suite keeps for its own requests: a `SuiteContext`
whose run model (`harness.server.run_model`) learns from every exchange that passes,
so the checks the registry files under `Trigger.EXCHANGE`, `Trigger.HISTORY` and
`Trigger.RUN` judge the application's traffic exactly as they judge the suite's.
Each new failure is handed to `report` as it is found.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from harness import __version__
from harness.aws.sigv4 import AwsCredentials
from harness.model import load_pinned_model
from harness.proxy.rules import REQUEST_CHECKS, Sent
from harness.proxy.upstream import Upstream
from harness.report.record import Outcome, RunRecord
from harness.sdk.stub import RecordedRequest
from harness.server import units
from harness.server.context import Profile, SuiteContext, Target
from harness.server.expect import judge_exchange
from harness.server.probe import Exchange, Probe
from harness.server.registry import EXCHANGE, SUITE_STEP, RunTotals, answered
from harness.spec.build import build_spec

NO_DEADLINE = 10 * 365 * 24 * 3600.0
"""The proxy runs as long as it is asked to: its context has no deadline until it stops."""


def judged_checks() -> list[str]:
    """The IDs of every check the proxy judges: the request rules, then the server
    checks judged on each answer, on the history and on the whole run."""
    units.load_checks()
    return [
        *(request.check.id for request in REQUEST_CHECKS),
        *(judged.check.id for judged in EXCHANGE),
        *(judged.check.id for judged in units.at_end()),
        *(judged.check.id for judged in units.at_run_end()),
    ]


class LiveJudge:
    """Judges the exchanges of one proxy session as they pass; thread-safe."""

    def __init__(
        self,
        upstream: Upstream,
        credentials: AwsCredentials | None,
        job_timeout: float,
        report: Callable[[Outcome], None] = lambda outcome: None,
        target: dict[str, Any] | None = None,
    ) -> None:
        units.load_checks()
        source = load_pinned_model()
        self.record = RunRecord(
            kind="proxy",
            target={"upstream": upstream.base, "region": upstream.region, **(target or {})},
            tool={"ahi-contract": __version__, "modelSha256": source.sha256},
            seed=None,
            profile=None,
        )
        self.credentials = credentials
        probe = Probe(upstream.base, credentials or AwsCredentials("", ""), upstream.region)
        probe.step = "proxy"
        profile = Profile("proxy", 0, 0, 0, 0, NO_DEADLINE, job_timeout)
        self.context = SuiteContext(
            Target(upstream.base, upstream.region, probe.credentials, None, probe.credentials, ""),
            probe,
            self.record,
            profile,
            seed=0,
        )
        self.context.replay_note = None
        self.context.spec = build_spec(source)
        self._report = report
        self._lock = threading.Lock()
        self._reported = 0
        self._calls: dict[str, list[RecordedRequest]] = {}
        self._queue: queue.Queue[tuple[Sent, Exchange] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._judge_all, name="judge", daemon=True)
        self._worker.start()
        self.requests = 0
        self.passed_through = 0

    def pass_through(self) -> None:
        """Count a request for another host, passed on unjudged."""
        with self._lock:
            self.passed_through += 1

    def submit(self, sent: Sent, exchange: Exchange) -> None:
        """Hand one request and what came back to the judging thread: the relay answers
        the application without waiting for the verdicts."""
        with self._lock:
            self.requests += 1
        self._queue.put((sent, exchange))

    def _judge_all(self) -> None:
        """The judging thread: each exchange in the order it was handed over."""
        while (item := self._queue.get()) is not None:
            sent, exchange = item
            subject = sent.operation.name if sent.operation is not None else sent.request.method
            try:
                self._judge_request(replace(sent, attempts=self._attempts(sent)), subject, exchange)
                if sent.operation is not None:
                    self._judge_answer(sent.operation.name, exchange)
            except Exception as error:  # a check that broke must not stop the judging
                self.context.error(SUITE_STEP.id, subject, f"judging failed: {error!r}", exchange)
            self._tell()

    def _attempts(self, sent: Sent) -> list[RecordedRequest]:
        """The requests of one call so far (by `amz-sdk-invocation-id`), this one last."""
        invocation = sent.request.header("amz-sdk-invocation-id")
        if invocation is None:
            return [sent.request]
        calls = self._calls.setdefault(invocation, [])
        calls.append(sent.request)
        return list(calls)

    def _judge_request(self, sent: Sent, subject: str, exchange: Exchange) -> None:
        for filed in REQUEST_CHECKS:
            problems = filed.problems(sent)
            if problems is not None:
                self.context.verdict(
                    filed.check.id, subject, not problems, "; ".join(problems), exchange
                )

    def _judge_answer(self, operation: str, exchange: Exchange) -> None:
        probe = self.context.probe
        probe.history.append(exchange)
        for observer in probe.observers:
            observer(exchange)
        judge_exchange(self.context, operation, exchange)

    def close(self) -> None:
        """Let the judging thread end once it has judged what it holds (a session left
        without `finish`)."""
        self._queue.put(None)

    def finish(self) -> RunRecord:
        """Judge the whole history (polling, with the proxy's credentials, every job last
        seen running until it ends) and the run, and close the record."""
        self.close()
        self._worker.join()
        with self._lock:
            self.context.deadline = self.context.probe.deadline = (
                time.monotonic() + self.context.profile.job_timeout_seconds + 30.0
            )
            for judged in units.at_end():
                if judged.check.id == "JOB-ENDS" and self.credentials is None:
                    self.context.error(
                        judged.check.id,
                        "GetDICOMImportJob",
                        "not judged: the proxy has no credentials to poll the jobs with",
                    )
                    continue
                judged(self.context)
            totals = RunTotals(self.record, answered(self.context.model))
            for filed in units.at_run_end():
                filed(totals)
            self._tell()
            seen = {outcome.check_id for outcome in self.record.outcomes}
            self.record.target.update(
                requests=self.requests,
                passedThrough=self.passed_through,
                nothingToJudge=[check for check in judged_checks() if check not in seen],
            )
            self.record.finished_at = time.time()
            return self.record

    def _tell(self) -> None:
        """Hand every failure recorded since the last call to `report`."""
        outcomes = self.record.outcomes
        for outcome in outcomes[self._reported :]:
            if outcome.status in ("failed", "error"):
                self._report(outcome)
        self._reported = len(outcomes)
