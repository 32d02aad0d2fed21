"""What a run produced: outcomes of checks with their evidence, and run metadata.

The suites append outcomes to a `RunRecord` as they go; the writers are pure
functions of the finished record.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from harness.arguments.shard import Shard
from harness.checks import REGISTRY, Check

RESULTS_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Evidence:
    """What shows a failure: the request as curl, the response, and a note.

    `exchange` names the recorded exchange the evidence comes from (its `_ahiId`
    in the HAR file that `--record` writes).
    """

    curl: str | None = None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None
    note: str | None = None
    exchange: str | None = None


class RecordedExchange(Protocol):
    """One request and its answer as the HAR writer reads it (the server probe's `Exchange`)."""

    id: str
    step: str | None
    started_at: float
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int | None
    headers: dict[str, str] | None
    body: bytes
    error: str | None
    elapsed: float


@dataclass
class Outcome:
    """The result of one check on one operation (or scenario)."""

    check_id: str
    subject: str
    status: str  # "passed" | "deviation" (known, listed) | "failed" | "error"
    message: str = ""
    evidence: list[Evidence] = field(default_factory=list)
    duration: float = 0.0
    at: float = field(default_factory=time.time)

    @property
    def check(self) -> Check:
        return REGISTRY[self.check_id]


@dataclass
class RunRecord:
    """A whole run: what was run against what, and every outcome."""

    kind: str
    target: dict[str, Any]
    tool: dict[str, Any]
    seed: int | None
    profile: str | None
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    aborted: str | None = None
    refused: str | None = None
    """Why the run was refused before any check ran (the command exited 2)."""
    host: str = field(default_factory=socket.gethostname)
    exchanges: list[RecordedExchange] = field(default_factory=list, repr=False)
    exchanges_file: str | None = None
    shard: Shard | None = None
    """The part of a sharded run this record holds (`--shard K/N`); None for a whole run."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _laps: dict[int, float] = field(default_factory=dict, repr=False)

    def add(self, outcome: Outcome) -> None:
        """Append `outcome`; one without a duration gets the time since its thread's last
        outcome or `lap`, which is the time its check took to reach it."""
        if outcome.check_id not in REGISTRY:
            raise KeyError(f"outcome for unregistered check {outcome.check_id}")
        thread = threading.get_ident()
        with self._lock:
            since = self._laps.get(thread)
            if since is not None and not outcome.duration and outcome.at >= since:
                outcome.duration = outcome.at - since
            self._laps[thread] = max(since or 0.0, outcome.at)
            self.outcomes.append(outcome)

    def lap(self) -> None:
        """Start the clock of the calling thread's next outcome now (a step begins)."""
        with self._lock:
            self._laps[threading.get_ident()] = time.time()

    def exchange_entries(self) -> dict[str, int]:
        """The index of each recorded exchange in the HAR file, by exchange id."""
        return {exchange.id: index for index, exchange in enumerate(self.exchanges)}

    def merged(self) -> list[Outcome]:
        """One outcome per (check, subject): failed or error wins, evidence is pooled."""
        merged: dict[tuple[str, str], Outcome] = {}
        rank = {"passed": 0, "deviation": 1, "failed": 2, "error": 3}
        for outcome in self.outcomes:
            key = (outcome.check_id, outcome.subject)
            current = merged.get(key)
            if current is None:
                merged[key] = Outcome(
                    outcome.check_id,
                    outcome.subject,
                    outcome.status,
                    outcome.message,
                    list(outcome.evidence),
                    outcome.duration,
                )
                continue
            current.duration += outcome.duration
            if rank[outcome.status] > rank[current.status]:
                current.status = outcome.status
                current.message = outcome.message
            if outcome.status != "passed" and len(current.evidence) < 5:
                current.evidence.extend(outcome.evidence[: 5 - len(current.evidence)])
        return sorted(merged.values(), key=lambda o: (o.check_id, o.subject))

    def seconds_to_first_failure(self) -> float | None:
        """From the start of the run to the first failed or errored outcome."""
        failures = [o.at for o in self.outcomes if o.status in ("failed", "error")]
        return min(failures) - self.started_at if failures else None

    @property
    def passed(self) -> bool:
        return (
            self.refused is None
            and self.aborted is None
            and all(o.status in ("passed", "deviation") for o in self.outcomes)
        )

    @property
    def verdict(self) -> str:
        """`refused` (the run never started), `passed` or `failed`."""
        if self.refused is not None:
            return "refused"
        return "passed" if self.passed else "failed"

    def failed_checks(self) -> list[str]:
        return sorted({o.check_id for o in self.outcomes if o.status in ("failed", "error")})
