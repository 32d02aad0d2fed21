"""The switchboard: named, realistic deviations from the documented service.

With no fault enabled the emulator is correct. Each fault is one deviation that
a real implementation could plausibly have; users turn them on to exercise
their SDK's error paths against a live server, and the self-test turns them on
one at a time to prove that the server suite catches each.

A fault is declared once, as a member of `Switch`; the module whose behaviour it
changes asks `faults.on(Switch.NAME)`, which mypy checks against the members.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum


@dataclass(frozen=True)
class Fault:
    """A named deviation, what it does in one line, and the server check that catches it."""

    name: str
    description: str
    caught_by: str


class Switch(Enum):
    """Every fault, one member each: its name is the member's, lower case with `-` for `_`;
    its value, what it does and the server check that catches it (the check it breaks)."""

    NOT_FOUND_WRONG_STATUS = (
        "ResourceNotFoundException is answered with 400, not 404",
        "NOT-FOUND-404",
    )
    ERROR_TYPE_ONLY_IN_BODY = (
        "errors carry `__type` in the body and no X-Amzn-Errortype",
        "ERROR-TYPE-HEADER",
    )
    ERROR_WITHOUT_BODY = (
        "errors are answered with the header only and an empty body",
        "ERROR-SHAPE",
    )
    MISSING_REQUIRED_OUTPUT = (
        "StartDICOMImportJob responses leave out `submittedAt`",
        "RESPONSE-SCHEMA",
    )
    TIMESTAMPS_AS_STRINGS = (
        "timestamps are ISO 8601 strings instead of epoch seconds",
        "RESPONSE-SCHEMA",
    )
    CLIENT_TOKEN_IGNORED = (
        "every StartDICOMImportJob creates a job, whatever its token",
        "IDEMPOTENT-REPLAY",
    )
    REPLAY_CONFLICTS = (
        "a replay with the same token and parameters gets a 409",
        "IDEMPOTENT-REPLAY",
    )
    REPLAY_NEW_JOB_ID = (
        "a replay with the same token answers with a new jobId",
        "IDEMPOTENT-REPLAY",
    )
    CONFLICTING_REPLAY_ACCEPTED = (
        "the same token with other parameters replays the job",
        "IDEMPOTENT-CONFLICT",
    )
    STATUS_MOVES_BACKWARDS = (
        "a finished job is reported IN_PROGRESS on every other read",
        "JOB-STATUS-FORWARD",
    )
    ENDED_BEFORE_SUBMITTED = ("endedAt is a minute before submittedAt", "JOB-ENDED-AT")
    ENDED_AT_WHILE_RUNNING = ("endedAt is reported while the job is still running", "JOB-ENDED-AT")
    COMPLETED_WITHOUT_MANIFEST = (
        "jobs complete without writing job-output-manifest.json",
        "MANIFEST-FILES",
    )
    MANIFEST_DROPS_FAILURES = (
        "failed files are left out of failure.ndjson and counts",
        "MANIFEST-ACCOUNTS-ALL",
    )
    BROKEN_FILES_IMPORTED = (
        "files that are not valid DICOM P10 are reported as imported",
        "MANIFEST-OUTCOMES",
    )
    OUTPUT_URI_NOT_RESOLVED = (
        "jobs report the caller's output prefix, not the job folder",
        "JOB-OUTPUT-URI",
    )
    VALIDATION_SKIPPED = (
        "request members are not validated against the model",
        "INVALID-MEMBER-400",
    )
    UNSIGNED_ACCEPTED = ("requests without an Authorization header are accepted", "AUTH-UNSIGNED")
    SIGNATURE_NOT_CHECKED = (
        "any signature from a known access key is accepted",
        "AUTH-BAD-SIGNATURE",
    )
    STALE_DATE_ACCEPTED = (
        "signatures dated outside the 15-minute window are accepted",
        "AUTH-STALE-DATE",
    )
    NEXT_TOKEN_REPEATS = (
        "each page starts again at the previous page's last item",
        "PAGINATION-COMPLETE",
    )
    MAX_RESULTS_IGNORED = (
        "maxResults is ignored: list pages hold every item",
        "PAGINATION-PAGE-SIZE",
    )
    TAMPERED_TOKEN_ACCEPTED = (
        "a nextToken that was not issued restarts the listing",
        "PAGINATION-TAMPERED-TOKEN",
    )
    LIST_FILTER_IGNORED = ("ListDICOMImportJobs ignores its jobStatus filter", "LIST-FILTER")
    MALFORMED_JSON_500 = ("a malformed JSON body is answered with a 500", "MALFORMED-BODY-400")
    UNKNOWN_JOB_500 = ("an unknown jobId is answered with a 500", "NOT-FOUND-404")
    QUOTA_NOT_ENFORCED = ("the concurrent import-job quota is not enforced", "QUOTA-402")
    QUOTA_AS_THROTTLING = (
        "an exceeded job quota is answered as a 429 ThrottlingException",
        "QUOTA-402",
    )
    CONCURRENT_STARTS_DUPLICATE = (
        "parallel starts with one clientToken create several jobs",
        "IDEMPOTENT-CONCURRENT",
    )
    DELETE_WITH_IMAGE_SETS = (
        "a data store that holds image sets can be deleted",
        "DATASTORE-DELETE-GUARD",
    )
    THROTTLE_EVERY_NTH = (
        "every 4th request is answered with 429 ThrottlingException",
        "THROTTLE-WITHIN-LIMITS",
    )
    SLOW_RESPONSES = ("every response is delayed by two seconds", "RESPONSE-TIME")
    METADATA_NOT_GZIPPED = (
        "GetImageSetMetadata sends plain JSON while its Content-Encoding says gzip",
        "IMAGESET-METADATA-GZIP",
    )
    METADATA_ENCODING_HEADER_MISSING = (
        "GetImageSetMetadata sends gzip bytes without a Content-Encoding header",
        "IMAGESET-METADATA-GZIP",
    )
    FRAME_BYTES_CORRUPTED = (
        "GetImageFrame flips bits in the middle of the stored frame",
        "IMAGESET-FRAME-PIXELS",
    )
    FRAME_CONTENT_TYPE_WRONG = (
        "GetImageFrame answers application/octet-stream whatever the stored syntax",
        "IMAGESET-FRAME-CONTENT-TYPE",
    )
    UPDATE_VERSION_NOT_BUMPED = (
        "UpdateImageSetMetadata overwrites the latest version instead of adding one",
        "IMAGESET-VERSION-BUMP",
    )
    STALE_VERSION_ACCEPTED = (
        "Update and Copy accept a latestVersion that is not the current one",
        "IMAGESET-STALE-VERSION",
    )
    UPDATE_CHANGES_OLD_VERSION = (
        "UpdateImageSetMetadata also rewrites the previous version's metadata",
        "IMAGESET-OLD-VERSION-KEPT",
    )
    SEARCH_FILTER_IGNORED = (
        "SearchImageSets ignores its filters and returns every image set",
        "SEARCH-FILTER",
    )
    SEARCH_LEAKS_DATASTORES = (
        "SearchImageSets also returns image sets of other data stores",
        "SEARCH-SCOPE",
    )
    COPY_DESTINATION_VERSION_IGNORED = (
        "CopyImageSet accepts a destination latestVersionId that is not the current one",
        "COPY-DESTINATION-VERSION",
    )
    DELETED_IMAGE_SET_READABLE = (
        "a deleted image set stays readable (200 DELETED) and searchable",
        "IMAGESET-DELETE",
    )
    LOCKED_IMAGE_SET_WRITABLE = (
        "a LOCKED image set accepts a second write instead of a 409",
        "IMAGESET-LOCKED",
    )
    UNTAG_IGNORED = ("UntagResource answers 200 but removes no tag", "TAGS-ROUND-TRIP")
    IMAGE_SET_DATASTORE_NOT_CHECKED = (
        "an image set is found under any data store ID, not only its own",
        "IMAGESET-SCOPE",
    )
    IMPORT_DROPS_INSTANCE = (
        "each import leaves its first imported instance out of its image set",
        "IMPORT-INSTANCES-FOUND",
    )
    INPUT_URI_NORMALIZED = (
        "GetDICOMImportJob answers the inputS3Uri without its trailing slash",
        "ECHO-SENT",
    )
    DATASTORE_TIMES_IN_MILLISECONDS = (
        "data store createdAt and updatedAt are answered in milliseconds",
        "TIMESTAMP-PLAUSIBLE",
    )
    JOB_CLOCK_AN_HOUR_BEHIND = (
        "import job submittedAt and endedAt are answered an hour early (a time zone slip)",
        "TIMESTAMP-PLAUSIBLE",
    )
    JOBS_LISTED_ACROSS_DATASTORES = (
        "ListDICOMImportJobs lists the jobs of every data store",
        "JOB-SCOPE",
    )
    DATASTORE_TOKEN_IGNORED = (
        "CreateDatastore ignores clientToken: a replay makes another data store",
        "IDEMPOTENT-REPLAY",
    )
    DATASTORE_DELETION_STALLS = (
        "DeleteDatastore answers DELETING and the data store stays DELETING",
        "DATASTORE-STATUS-FOLLOWS",
    )
    DATASTORE_STATUS_OUTSIDE_ENUM = (
        "an ACTIVE data store is answered as AVAILABLE, a status the model does not have",
        "RESPONSE-SCHEMA",
    )
    UPDATE_REMOVALS_IGNORED = (
        "UpdateImageSetMetadata with both removableAttributes and updatableAttributes applies "
        "only the updates",
        "ECHO-SENT",
    )
    EMPTY_IMPORT_NEVER_ENDS = (
        "An import whose input prefix holds no objects stays IN_PROGRESS forever",
        "JOB-ENDS",
    )
    DATASTORE_LIST_FILTER_IGNORED = (
        "ListDatastores ignores its datastoreStatus filter",
        "LIST-FILTER",
    )
    VERSIONS_TOKEN_IGNORED = (
        "ListImageSetVersions ignores nextToken and answers its first page again",
        "PAGINATION-COMPLETE",
    )
    SEARCH_PAGE_SIZE_IGNORED = (
        "SearchImageSets answers pages of its default size whatever maxResults asks",
        "PAGINATION-PAGE-SIZE",
    )
    SEARCH_STUDY_ID_AS_UID = (
        "SearchImageSets matches an EQUAL on DICOMStudyId against the Study Instance UID",
        "SEARCH-FILTER",
    )
    SEARCH_SORT_IGNORED = (
        "SearchImageSets sorts by updatedAt descending whatever sort it is asked for",
        "SEARCH-SORT",
    )
    DELETE_DATASTORE_SAYS_ACTIVE = (
        "DeleteDatastore answers the status the data store had (ACTIVE), not DELETING",
        "WRITE-FIRST-STATUS",
    )
    FAILURE_LINE_WITHOUT_TYPE = (
        "the lines of FAILURE/failure.ndjson leave out exception.exceptionType",
        "RESULT-DOCUMENT-FORMAT",
    )
    ERROR_REQUEST_ID_MISSING = (
        "error answers carry no x-amzn-RequestId",
        "RESPONSE-HEADERS",
    )
    REQUEST_ID_PER_SECOND = (
        "x-amzn-RequestId is made from the clock's second: answers in one second share it",
        "REQUEST-ID-UNIQUE",
    )
    TOKEN_SCOPE_UNCHECKED = (
        "a nextToken one list operation issued is accepted by another, which reads its position",
        "PAGINATION-TAMPERED-TOKEN",
    )
    CONFLICT_AS_400 = (
        "ConflictException is answered with HTTP 400, not 409",
        "ERROR-STATUS-MATCHES-TYPE",
    )

    @property
    def fault(self) -> Fault:
        """The fault this switch turns on."""
        description, caught_by = self.value
        return Fault(self.name.lower().replace("_", "-"), description, caught_by)


FAULTS: tuple[Fault, ...] = tuple(switch.fault for switch in Switch)
FAULTS_BY_NAME: dict[str, Fault] = {fault.name: fault for fault in FAULTS}
THROTTLE_EVERY = 4
SLOW_RESPONSE_SECONDS = 2.0


@dataclass
class Switchboard:
    """The faults enabled in one emulator (by name), and the counters some of them need."""

    enabled: frozenset[str] = frozenset()
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _counters: dict[Switch, int] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, names: Iterable[str]) -> Switchboard:
        """A switchboard with `names` on; an unknown name is a ValueError."""
        names = frozenset(names)
        unknown = sorted(names - FAULTS_BY_NAME.keys())
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(unknown)} (see --list-faults)")
        return cls(enabled=names)

    def on(self, switch: Switch) -> bool:
        """Whether the fault of `switch` is enabled."""
        return _NAMES[switch] in self.enabled

    def every(self, switch: Switch, period: int) -> bool:
        """True on every `period`-th call while the fault of `switch` is on."""
        if not self.on(switch):
            return False
        with self._lock:
            count = self._counters.get(switch, 0) + 1
            self._counters[switch] = count
        return count % period == 0


_NAMES: dict[Switch, str] = {switch: switch.fault.name for switch in Switch}
