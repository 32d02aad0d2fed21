"""One account of the service: its state, switchboard, quotas, clock and list tokens.

Every resource (data stores, import jobs, image sets, tags) reads the same `Account`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from harness.emulator.faults import Switchboard
from harness.emulator.pagination import TokenCodec
from harness.emulator.storage.store import Store


@dataclass(frozen=True)
class Limits:
    """Quotas and timings; defaults are the service's documented quotas."""

    concurrent_jobs_per_datastore: int = 100
    datastores: int = 100
    datastore_transition_seconds: float = 1.0
    job_start_delay_seconds: float = 0.2
    image_set_write_seconds: float = 0.2
    """How long an update, copy or delete holds its image sets LOCKED."""
    tags_per_resource: int = 50


@dataclass
class Account:
    """What every operation of one account shares."""

    store: Store
    faults: Switchboard
    limits: Limits = field(default_factory=Limits)
    region: str = "us-east-1"
    account_id: str = "123456789012"
    clock: Callable[[], float] = time.time
    tokens: TokenCodec = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = TokenCodec(secrets.token_bytes(32), self.faults)

    def datastore_arn(self, datastore_id: str) -> str:
        return f"arn:aws:medical-imaging:{self.region}:{self.account_id}:datastore/{datastore_id}"
