"""What a run produced: outcomes of checks with their evidence, and run metadata.

The suites append outcomes to a `RunRecord` as they go; the writers are pure
functions of the finished record.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from harness.checks import REGISTRY, Check

RESULTS_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Evidence:
    """What shows a failure: the request as curl, the response, and a note."""

    curl: str | None = None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str | None = None
    note: str | None = None


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
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, outcome: Outcome) -> None:
        if outcome.check_id not in REGISTRY:
            raise KeyError(f"outcome for unregistered check {outcome.check_id}")
        with self._lock:
            self.outcomes.append(outcome)

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
        return self.aborted is None and all(
            o.status in ("passed", "deviation") for o in self.outcomes
        )

    def failed_checks(self) -> list[str]:
        return sorted({o.check_id for o in self.outcomes if o.status in ("failed", "error")})
