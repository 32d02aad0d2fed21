"""What every server check gets: the target, a probe, the set-up environment, and the record."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from harness.aws.sigv4 import AwsCredentials
from harness.imaging.known_set import SampleFile
from harness.report.record import Evidence, Outcome, RunRecord
from harness.server.probe import Exchange, Probe
from harness.server.run_model import NOT_FOUND, RunModel, datastore_status

T = TypeVar("T")


@dataclass(frozen=True, eq=False)
class Shared(Generic[T]):
    """The key of something made once per run and shared by the checks that need it
    (`SuiteContext.shared`); keys are told apart by identity, their names are for people."""

    name: str


@dataclass(frozen=True)
class Profile:
    """How thorough a run is."""

    name: str
    max_examples: int
    stateful_steps: int
    machine_examples: int
    machine_steps: int
    deadline_seconds: float
    job_timeout_seconds: float


DEADLINE_PASSED = "the run's deadline passed first"
"""The message of a step or check the run's deadline kept from running: it is not broken."""

PROFILES = {
    "quick": Profile("quick", 6, 6, 4, 10, 180.0, 30.0),
    "full": Profile("full", 60, 25, 12, 30, 900.0, 300.0),
}


@dataclass(frozen=True)
class Target:
    """The endpoint under test and what the suite may use around it."""

    endpoint: str
    region: str
    credentials: AwsCredentials
    s3_endpoint: str | None
    s3_credentials: AwsCredentials
    role_arn: str
    datastore_id: str | None = None
    job_quota: int | None = None
    disposable: bool = False
    """Its state vanishes when the run ends (the embedded emulator): nothing to clean up."""


@dataclass
class Environment:
    """What set-up prepared: a data store, input objects, an output prefix."""

    datastore_id: str
    owns_datastore: bool
    input_bucket: str
    input_prefix: str
    output_bucket: str
    output_prefix: str
    samples: list[SampleFile] = field(default_factory=list)

    @property
    def input_uri(self) -> str:
        return f"s3://{self.input_bucket}/{self.input_prefix}"

    @property
    def output_uri(self) -> str:
        return f"s3://{self.output_bucket}/{self.output_prefix}"

    @property
    def empty_uri(self) -> str:
        """A prefix of the input bucket that holds no objects: an import of it ends at once
        and makes no image set (for checks that need jobs, not their effects)."""
        return f"s3://{self.input_bucket}/empty/"


class SuiteContext:
    """Shared by the checks of one run."""

    def __init__(
        self,
        target: Target,
        probe: Probe,
        record: RunRecord,
        profile: Profile,
        seed: int,
        environment: Environment | None = None,
        s3: Any = None,
    ) -> None:
        self.target = target
        self.probe = probe
        self.record = record
        self.profile = profile
        self.seed = seed
        self.environment = environment
        self.s3 = s3
        self.deadline = time.monotonic() + profile.deadline_seconds
        probe.deadline = self.deadline
        self.model = RunModel.of(probe.history)
        probe.observers.append(self.model.observe)
        self._shared: dict[Shared[Any], Any] = {}
        self.bucket: str | None = None
        """The S3 bucket set-up made, removed at tear-down."""
        self.run_id = ""
        """The run's id in the names of what it makes (the run sets it)."""
        self.spec: dict[str, Any] = {}
        """The spec the run's answers are judged against (the run sets it)."""
        self.started = time.time()
        """When the run began, on this machine's clock."""
        self.unobserved = RunModel()
        """What requests the probe did not send (schemathesis's) made, for tear-down."""
        self.making: Callable[[], AbstractContextManager[None]] = nullcontext
        """Wraps a request that makes something: the run defers a stop until its answer is
        read (`harness.server.runner`)."""
        self.creating: tuple[str, str] | None = None
        """The CreateDatastore set-up sent (name and clientToken), for tear-down to send
        again when its answer was lost."""
        self.replay_note: str | None = f"replay with --seed {seed}"
        """Added to the evidence of every failure: how to run the same checks again."""

    @property
    def env(self) -> Environment:
        assert self.environment is not None, "set-up has not run"
        return self.environment

    def shared(self, key: Shared[T], make: Callable[[], T]) -> T:
        """What `make` returns, made once per run and shared by the checks that need it."""
        if key not in self._shared:
            self._shared[key] = make()
        value: T = self._shared[key]
        return value

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def verdict(
        self,
        check_id: str,
        subject: str,
        ok: bool,
        message: str,
        *exchanges: Exchange,
        note: str | None = None,
    ) -> bool:
        """Record a pass, or a failure with the exchanges as evidence; returns `ok`."""
        evidence: list[Evidence] = []
        if not ok:
            evidence = [exchange.evidence(note) for exchange in exchanges]
            if not exchanges and note:
                evidence = [Evidence(note=note)]
            if self.replay_note is not None:
                evidence.append(Evidence(note=self.replay_note))
        self.record.add(
            Outcome(
                check_id, subject, "passed" if ok else "failed", "" if ok else message, evidence
            )
        )
        return ok

    def error(self, check_id: str, subject: str, message: str, *exchanges: Exchange) -> None:
        """The check could not be judged (the target broke off, the deadline passed)."""
        self.record.add(
            Outcome(check_id, subject, "error", message, [e.evidence() for e in exchanges])
        )

    def call(self, operation: str, *, auth: bool = True, **params: Any) -> Exchange:
        """Send one operation, serialized from the operation table; signed unless `auth=False`."""
        return self.probe.call(operation, auth=auth, **params)

    def start_job(self, datastore_id: str, **body: Any) -> Exchange:
        return self.call("StartDICOMImportJob", datastoreId=datastore_id, **body)

    def get_job(self, datastore_id: str, job_id: str) -> Exchange:
        return self.call("GetDICOMImportJob", datastoreId=datastore_id, jobId=job_id)

    def list_jobs(self, datastore_id: str, **query: Any) -> Exchange:
        return self.call("ListDICOMImportJobs", datastoreId=datastore_id, **query)

    def create_datastore(self, **body: Any) -> Exchange:
        return self.call("CreateDatastore", **body)

    def get_datastore(self, datastore_id: str) -> Exchange:
        return self.call("GetDatastore", datastoreId=datastore_id)

    def poll_datastore(
        self, datastore_id: str, through: Collection[str | None], timeout: float
    ) -> list[tuple[str | None, Exchange]]:
        """GetDatastore polled while what it answers (`datastore_status`) is one of `through`,
        up to `timeout`: each answer's status in order, with its exchange."""
        seen: list[tuple[str | None, Exchange]] = []
        deadline = time.monotonic() + timeout
        while True:
            exchange = self.get_datastore(datastore_id)
            seen.append((datastore_status(exchange), exchange))
            if seen[-1][0] not in through or time.monotonic() > deadline:
                return seen
            time.sleep(0.2)

    def wait_for_datastore(
        self, datastore_id: str, timeout: float = 60.0
    ) -> tuple[str | None, Exchange]:
        """Poll GetDatastore while it answers CREATING (or 404, as a new resource may be
        briefly, or 429, throttled), until `timeout`: the last status seen (as
        `datastore_status` reads it) and its exchange."""
        return self.poll_datastore(datastore_id, ("CREATING", NOT_FOUND, "HTTP 429"), timeout)[-1]

    def delete_datastore(self, datastore_id: str) -> Exchange:
        return self.call("DeleteDatastore", datastoreId=datastore_id)

    def start_body(self, **changes: Any) -> dict[str, Any]:
        """A valid StartDICOMImportJob body for the set-up input and output, fresh token."""
        body: dict[str, Any] = {
            "clientToken": uuid.uuid4().hex,
            "dataAccessRoleArn": self.target.role_arn,
            "inputS3Uri": self.env.input_uri,
            "outputS3Uri": self.env.output_uri,
        }
        body.update(changes)
        return {key: value for key, value in body.items() if value is not None}
