"""Judging live traffic: every request by the request rules, every answer by the server
suite's checks, and the whole history by the oracle when the proxy stops.

The judge keeps what the server suite keeps for its own requests: a `SuiteContext`
whose run model (`harness.server.run_model`) learns from every exchange that passes,
so the checks the registry files under `Trigger.EXCHANGE`, `Trigger.HISTORY` and
`Trigger.RUN` judge the application's traffic exactly as they judge the suite's.
Each new failure is handed to `report` as it is found.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from harness import __version__
from harness.aws.sigv4 import AwsCredentials
from harness.model import load_pinned_model
from harness.proxy.rules import REQUEST_CHECKS, Sent
from harness.proxy.upstream import Upstream
from harness.report.record import Outcome, RunRecord
from harness.server import units
from harness.server.context import Profile, SuiteContext, Target
from harness.server.expect import judge_exchange
from harness.server.probe import Exchange, Probe
from harness.server.registry import EXCHANGE, Answered, RunTotals
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
        self._calls: dict[str, list[Any]] = {}
        self.requests = 0
        self.passed_through = 0

    def attempts(self, invocation: str | None, request: Any) -> list[Any]:
        """The requests of one call so far (by `amz-sdk-invocation-id`), `request` last."""
        with self._lock:
            if invocation is None:
                return [request]
            calls = self._calls.setdefault(invocation, [])
            calls.append(request)
            return list(calls)

    def pass_through(self) -> None:
        """Count a request for another host, passed on unjudged."""
        with self._lock:
            self.passed_through += 1

    def judge_request(self, sent: Sent) -> None:
        """Judge one request by every request rule."""
        subject = sent.operation.name if sent.operation is not None else sent.request.method
        with self._lock:
            self.requests += 1
            for filed in REQUEST_CHECKS:
                problems = filed.problems(sent)
                if problems is None:
                    continue
                self.context.verdict(
                    filed.check.id,
                    subject,
                    not problems,
                    "; ".join(problems),
                    note=f"request {sent.request.method} {sent.request.path}",
                )
            self._tell()

    def judge_answer(self, operation: str, exchange: Exchange) -> None:
        """Learn from one exchange and judge its answer by the checks of each exchange."""
        with self._lock:
            probe = self.context.probe
            probe.history.append(exchange)
            for observer in probe.observers:
                observer(exchange)
            judge_exchange(self.context, operation, exchange)
            self._tell()

    def finish(self) -> RunRecord:
        """Judge the whole history (polling, with the proxy's credentials, every job last
        seen running until it ends) and the run, and close the record."""
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
            answers = [
                Answered(
                    seen.operation, seen.exchange.elapsed, seen.exchange.header("x-amzn-RequestId")
                )
                for seen in self.context.model.observations
                if seen.exchange.status is not None
            ]
            for filed in units.at_run_end():
                filed(RunTotals(self.record, answers))
            self._tell()
            self.record.target.update(requests=self.requests, passedThrough=self.passed_through)
            self.record.finished_at = time.time()
            return self.record

    def _tell(self) -> None:
        """Hand every failure recorded since the last call to `report`."""
        outcomes = self.record.outcomes
        for outcome in outcomes[self._reported :]:
            if outcome.status in ("failed", "error"):
                self._report(outcome)
        self._reported = len(outcomes)
