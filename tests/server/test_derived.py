"""The rules derived from the operation table cover every operation with the feature they
are about: a paginator, a status filter, a status in a write's first answer."""

from __future__ import annotations

from harness.model import operations
from harness.server.checks.listing import SOURCES
from harness.server.derived import (
    FIRST_STATUS,
    first_status,
    listing,
    listings,
    search_members,
    sort_orders,
    status_filters,
    status_members,
)
from harness.server.units import coverage


def test_every_paginated_operation_is_a_listing_with_an_identity_and_what_it_needs() -> None:
    paginated = [operation.name for operation in operations().values() if operation.paginator]
    assert [found.operation for found in listings()] == paginated
    assert len(paginated) == 4
    for found in listings():
        assert found.kind in found.identity
        assert found.kind in SOURCES, f"{found.operation} lists {found.kind}: nothing makes them"
        assert found.maximum >= 2


def test_a_listing_is_identified_by_the_ids_of_its_items_and_named_by_its_own() -> None:
    jobs = listing("ListDICOMImportJobs")
    assert (jobs.identity, jobs.kind) == (("jobId", "datastoreId"), "jobId")
    versions = listing("ListImageSetVersions")
    assert (versions.identity, versions.kind) == (("imageSetId", "versionId"), "versionId")
    assert listing("SearchImageSets").kind == "imageSetId"


def test_the_status_filters_of_every_list_are_found_with_their_values() -> None:
    found = {(item.operation, item.member): item.values for item in status_filters()}
    assert found == {
        ("ListDICOMImportJobs", "jobStatus"): ("SUBMITTED", "IN_PROGRESS", "COMPLETED", "FAILED"),
        ("ListDatastores", "datastoreStatus"): (
            "CREATING",
            "CREATE_FAILED",
            "ACTIVE",
            "DELETING",
            "DELETED",
        ),
    }


def test_every_status_in_a_writes_answer_has_its_documented_first_value() -> None:
    members = status_members()
    assert {member.operation for member in members} == {
        "CreateDatastore",
        "DeleteDatastore",
        "StartDICOMImportJob",
        "UpdateImageSetMetadata",
        "CopyImageSet",
        "DeleteImageSet",
    }
    for member in members:
        expected = first_status(member)
        assert expected is not None, f"{member.operation} {member.name}: no documented status"
        assert expected in member.values, f"{member.operation} {member.name}: {expected}"
    assert len(FIRST_STATUS) == len(members)


def test_read_only_operations_have_no_first_status() -> None:
    read_only = {operation.name for operation in operations().values() if operation.readonly}
    assert read_only and not read_only & {member.operation for member in status_members()}


def test_every_derived_feature_of_every_operation_is_covered_by_a_rule() -> None:
    covered = {(rule, row.operation, row.what) for rule, row in coverage()}
    for found in listings():
        for rule in ("PAGINATION-PAGE-SIZE", "PAGINATION-COMPLETE", "PAGINATION-TAMPERED-TOKEN"):
            assert any(r == rule and op == found.operation for r, op, _ in covered), rule
    for item in status_filters():
        assert any(r == "LIST-FILTER" and w.startswith(item.member) for r, _, w in covered)
    for member in status_members():
        assert any(r == "WRITE-FIRST-STATUS" and w.startswith(member.name) for r, _, w in covered)
    for search in search_members():
        assert ("SEARCH-FILTER", "SearchImageSets", f"{search.operator} {search.name}") in covered
    for name, order in sort_orders():
        assert ("SEARCH-SORT", "SearchImageSets", f"{name} {order}") in covered
    for operation in operations():
        assert ("RESPONSE-HEADERS", operation, "every answer") in covered
