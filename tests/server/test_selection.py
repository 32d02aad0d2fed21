from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from harness.arguments.selection import Selection as SharedSelection
from harness.checks import REGISTRY
from harness.report.record import Outcome, RunRecord
from harness.server import units
from harness.server.options import ServerOptions
from harness.server.runner import _step, execute
from harness.server.selection import Selection, UnknownCheck
from harness.server.units import load_checks

load_checks()


def test_patterns_match_ids_and_families_with_globs() -> None:
    replay, search = REGISTRY["IDEMPOTENT-REPLAY"], REGISTRY["SEARCH-FILTER"]
    assert Selection(("idempotent-*",)).selects(replay)
    assert not Selection(("idempotent-*",)).selects(search)
    assert Selection(("search",)).selects(search)
    assert Selection().selects(search)
    assert Selection(exclude=("search",)).selects(replay)
    assert not Selection(exclude=("search",)).selects(search)


def test_an_exclusion_wins_over_an_inclusion() -> None:
    assert not Selection(("SEARCH-*",), ("SEARCH-FILTER",)).selects(REGISTRY["SEARCH-FILTER"])
    assert Selection(("SEARCH-*",), ("SEARCH-FILTER",)).selects(REGISTRY["SEARCH-SCOPE"])


def test_patterns_that_match_nothing_are_named() -> None:
    catalogue = load_checks()
    assert Selection(("SEARCH-*", "SERACH-*"), ("nosuch",)).unmatched(catalogue) == [
        "SERACH-*",
        "nosuch",
    ]


def test_an_unknown_pattern_stops_the_run_before_it_starts() -> None:
    with pytest.raises(UnknownCheck, match="SERACH"):
        execute(ServerOptions(selection=Selection(("SERACH-FILTER",))))


def test_a_selected_run_judges_only_its_checks_and_reproduces_a_fault() -> None:
    record = execute(
        ServerOptions(
            seed=3, faults=("list-filter-ignored",), selection=Selection(("LIST-FILTER",))
        )
    )
    assert record.failed_checks() == ["LIST-FILTER"]
    assert {o.check_id for o in record.outcomes} == {"LIST-FILTER", "SUITE-STEP"}
    steps = {o.subject for o in record.outcomes if o.check_id == "SUITE-STEP"}
    assert steps == {"LIST-FILTER", "state machine"}


def test_selecting_an_ambient_check_runs_every_step() -> None:
    record = execute(
        ServerOptions(seed=3, faults=("error-without-body",), selection=Selection(("ERROR-SHAPE",)))
    )
    assert record.failed_checks() == ["ERROR-SHAPE"]
    assert {o.check_id for o in record.outcomes} == {"ERROR-SHAPE", "SUITE-STEP"}


@dataclass
class _Probe:
    step: str = ""


@dataclass
class _Context:
    probe: _Probe = field(default_factory=_Probe)
    record: RunRecord = field(
        default_factory=lambda: RunRecord("server", {}, {}, seed=1, profile="quick")
    )

    def remaining(self) -> float:
        return 60.0


def test_a_step_that_judges_an_undeclared_check_is_an_error() -> None:
    context = _Context()

    def judges_search() -> None:
        context.record.add(Outcome("SEARCH-FILTER", "SearchImageSets", "passed"))

    _step(context, units.Step("declares replay", judges_search, ("IDEMPOTENT-REPLAY",)))  # type: ignore[arg-type]
    _step(context, units.Step("declares search", judges_search, ("SEARCH-FILTER",)))  # type: ignore[arg-type]
    steps = {o.subject: o for o in context.record.outcomes if o.check_id == "SUITE-STEP"}
    assert steps["declares replay"].status == "error"
    assert "SEARCH-FILTER" in steps["declares replay"].message
    assert steps["declares search"].status == "passed"


def test_the_sdk_catalogue_is_selected_with_the_same_grammar() -> None:
    from harness.arguments.selection import pattern_choices
    from harness.sdk.scenarios import load_catalogue

    catalogue = load_catalogue()
    retries = SharedSelection(("sdk-RETRY-50*",), ("SDK-RETRY-504",)).chosen(catalogue)
    assert [s.id for s in retries] == ["SDK-RETRY-500", "SDK-RETRY-502", "SDK-RETRY-503"]
    blobs = SharedSelection(("SDK-BLOBS",)).chosen(catalogue)
    assert blobs and {s.family for s in blobs} == {"sdk-blobs"}
    assert SharedSelection(("sdk-retrys",)).unmatched(catalogue) == ["sdk-retrys"]
    assert "SDK-RETRY-*" in pattern_choices("SDK-RETRI-*", catalogue)
    assert "SDK-RETRY-*" not in pattern_choices("sdk-retrys", catalogue)
    assert Selection is SharedSelection
