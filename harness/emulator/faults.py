"""The switchboard: named, realistic deviations from the documented service.

With no fault enabled the emulator is correct. Each fault is one deviation that
a real implementation could plausibly have; users turn them on to exercise
their SDK's error paths against a live server, and the self-test turns them on
one at a time to prove that the server suite catches each.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

# Every fault's name, so that mypy checks each `on(...)` and `every(...)` against the
# switchboard; `tests/emulator/test_faults.py` keeps it equal to FAULTS.
FaultName = Literal[
    "not-found-wrong-status",
    "error-type-only-in-body",
    "error-without-body",
    "missing-required-output",
    "timestamps-as-strings",
    "client-token-ignored",
    "replay-conflicts",
    "replay-new-job-id",
    "conflicting-replay-accepted",
    "status-moves-backwards",
    "ended-before-submitted",
    "ended-at-while-running",
    "completed-without-manifest",
    "manifest-drops-failures",
    "broken-files-imported",
    "output-uri-not-resolved",
    "validation-skipped",
    "unsigned-accepted",
    "signature-not-checked",
    "stale-date-accepted",
    "next-token-repeats",
    "max-results-ignored",
    "tampered-token-accepted",
    "list-filter-ignored",
    "malformed-json-500",
    "unknown-job-500",
    "quota-not-enforced",
    "quota-as-throttling",
    "concurrent-starts-duplicate",
    "delete-with-image-sets",
    "throttle-every-nth",
    "slow-responses",
    "metadata-not-gzipped",
    "metadata-encoding-header-missing",
    "frame-bytes-corrupted",
    "frame-content-type-wrong",
    "update-version-not-bumped",
    "stale-version-accepted",
    "update-changes-old-version",
    "search-filter-ignored",
    "search-leaks-datastores",
    "copy-destination-version-ignored",
    "deleted-image-set-readable",
    "locked-image-set-writable",
    "untag-ignored",
    "image-set-datastore-not-checked",
    "import-drops-instance",
    "input-uri-normalized",
    "datastore-times-in-milliseconds",
    "job-clock-an-hour-behind",
    "jobs-listed-across-datastores",
    "datastore-token-ignored",
    "datastore-deletion-stalls",
    "datastore-status-outside-enum",
    "update-removals-ignored",
    "empty-import-never-ends",
]


@dataclass(frozen=True)
class Fault:
    """A named deviation, what it does in one line, and the server check that catches it."""

    name: str
    description: str
    caught_by: str


FAULTS: tuple[Fault, ...] = (
    Fault(
        "not-found-wrong-status",
        "ResourceNotFoundException is answered with 400, not 404",
        "NOT-FOUND-404",
    ),
    Fault(
        "error-type-only-in-body",
        "errors carry `__type` in the body and no X-Amzn-Errortype",
        "ERROR-TYPE-HEADER",
    ),
    Fault(
        "error-without-body",
        "errors are answered with the header only and an empty body",
        "ERROR-SHAPE",
    ),
    Fault(
        "missing-required-output",
        "StartDICOMImportJob responses leave out `submittedAt`",
        "RESPONSE-SCHEMA",
    ),
    Fault(
        "timestamps-as-strings",
        "timestamps are ISO 8601 strings instead of epoch seconds",
        "RESPONSE-SCHEMA",
    ),
    Fault(
        "client-token-ignored",
        "every StartDICOMImportJob creates a job, whatever its token",
        "IDEMPOTENT-REPLAY",
    ),
    Fault(
        "replay-conflicts",
        "a replay with the same token and parameters gets a 409",
        "IDEMPOTENT-REPLAY",
    ),
    Fault(
        "replay-new-job-id",
        "a replay with the same token answers with a new jobId",
        "IDEMPOTENT-REPLAY",
    ),
    Fault(
        "conflicting-replay-accepted",
        "the same token with other parameters replays the job",
        "IDEMPOTENT-CONFLICT",
    ),
    Fault(
        "status-moves-backwards",
        "a finished job is reported IN_PROGRESS on every other read",
        "JOB-STATUS-FORWARD",
    ),
    Fault("ended-before-submitted", "endedAt is a minute before submittedAt", "JOB-ENDED-AT"),
    Fault(
        "ended-at-while-running",
        "endedAt is reported while the job is still running",
        "JOB-ENDED-AT",
    ),
    Fault(
        "completed-without-manifest",
        "jobs complete without writing job-output-manifest.json",
        "MANIFEST-FILES",
    ),
    Fault(
        "manifest-drops-failures",
        "failed files are left out of failure.ndjson and counts",
        "MANIFEST-ACCOUNTS-ALL",
    ),
    Fault(
        "broken-files-imported",
        "files that are not valid DICOM P10 are reported as imported",
        "MANIFEST-OUTCOMES",
    ),
    Fault(
        "output-uri-not-resolved",
        "jobs report the caller's output prefix, not the job folder",
        "JOB-OUTPUT-URI",
    ),
    Fault(
        "validation-skipped",
        "request members are not validated against the model",
        "INVALID-MEMBER-400",
    ),
    Fault(
        "unsigned-accepted",
        "requests without an Authorization header are accepted",
        "AUTH-UNSIGNED",
    ),
    Fault(
        "signature-not-checked",
        "any signature from a known access key is accepted",
        "AUTH-BAD-SIGNATURE",
    ),
    Fault(
        "stale-date-accepted",
        "signatures dated outside the 15-minute window are accepted",
        "AUTH-STALE-DATE",
    ),
    Fault(
        "next-token-repeats",
        "each page starts again at the previous page's last item",
        "PAGINATION-COMPLETE",
    ),
    Fault(
        "max-results-ignored",
        "maxResults is ignored: list pages hold every item",
        "PAGINATION-PAGE-SIZE",
    ),
    Fault(
        "tampered-token-accepted",
        "a nextToken that was not issued restarts the listing",
        "PAGINATION-TAMPERED-TOKEN",
    ),
    Fault("list-filter-ignored", "ListDICOMImportJobs ignores its jobStatus filter", "LIST-FILTER"),
    Fault(
        "malformed-json-500", "a malformed JSON body is answered with a 500", "MALFORMED-BODY-400"
    ),
    Fault("unknown-job-500", "an unknown jobId is answered with a 500", "NOT-FOUND-404"),
    Fault("quota-not-enforced", "the concurrent import-job quota is not enforced", "QUOTA-402"),
    Fault(
        "quota-as-throttling",
        "an exceeded job quota is answered as a 429 ThrottlingException",
        "QUOTA-402",
    ),
    Fault(
        "concurrent-starts-duplicate",
        "parallel starts with one clientToken create several jobs",
        "IDEMPOTENT-CONCURRENT",
    ),
    Fault(
        "delete-with-image-sets",
        "a data store that holds image sets can be deleted",
        "DATASTORE-DELETE-GUARD",
    ),
    Fault(
        "throttle-every-nth",
        "every 4th request is answered with 429 ThrottlingException",
        "THROTTLE-WITHIN-LIMITS",
    ),
    Fault("slow-responses", "every response is delayed by two seconds", "RESPONSE-TIME"),
    Fault(
        "metadata-not-gzipped",
        "GetImageSetMetadata sends plain JSON while its Content-Encoding says gzip",
        "IMAGESET-METADATA-GZIP",
    ),
    Fault(
        "metadata-encoding-header-missing",
        "GetImageSetMetadata sends gzip bytes without a Content-Encoding header",
        "IMAGESET-METADATA-GZIP",
    ),
    Fault(
        "frame-bytes-corrupted",
        "GetImageFrame flips bits in the middle of the stored frame",
        "IMAGESET-FRAME-PIXELS",
    ),
    Fault(
        "frame-content-type-wrong",
        "GetImageFrame answers application/octet-stream whatever the stored syntax",
        "IMAGESET-FRAME-CONTENT-TYPE",
    ),
    Fault(
        "update-version-not-bumped",
        "UpdateImageSetMetadata overwrites the latest version instead of adding one",
        "IMAGESET-VERSION-BUMP",
    ),
    Fault(
        "stale-version-accepted",
        "Update and Copy accept a latestVersion that is not the current one",
        "IMAGESET-STALE-VERSION",
    ),
    Fault(
        "update-changes-old-version",
        "UpdateImageSetMetadata also rewrites the previous version's metadata",
        "IMAGESET-OLD-VERSION-KEPT",
    ),
    Fault(
        "search-filter-ignored",
        "SearchImageSets ignores its filters and returns every image set",
        "SEARCH-FILTER",
    ),
    Fault(
        "search-leaks-datastores",
        "SearchImageSets also returns image sets of other data stores",
        "SEARCH-SCOPE",
    ),
    Fault(
        "copy-destination-version-ignored",
        "CopyImageSet accepts a destination latestVersionId that is not the current one",
        "COPY-DESTINATION-VERSION",
    ),
    Fault(
        "deleted-image-set-readable",
        "a deleted image set stays readable (200 DELETED) and searchable",
        "IMAGESET-DELETE",
    ),
    Fault(
        "locked-image-set-writable",
        "a LOCKED image set accepts a second write instead of a 409",
        "IMAGESET-LOCKED",
    ),
    Fault("untag-ignored", "UntagResource answers 200 but removes no tag", "TAGS-ROUND-TRIP"),
    Fault(
        "image-set-datastore-not-checked",
        "an image set is found under any data store ID, not only its own",
        "IMAGESET-SCOPE",
    ),
    Fault(
        "import-drops-instance",
        "each import leaves its first imported instance out of its image set",
        "IMPORT-INSTANCES-FOUND",
    ),
    Fault(
        "input-uri-normalized",
        "GetDICOMImportJob answers the inputS3Uri without its trailing slash",
        "ECHO-SENT",
    ),
    Fault(
        "datastore-times-in-milliseconds",
        "data store createdAt and updatedAt are answered in milliseconds",
        "TIMESTAMP-PLAUSIBLE",
    ),
    Fault(
        "job-clock-an-hour-behind",
        "import job submittedAt and endedAt are answered an hour early (a time zone slip)",
        "TIMESTAMP-PLAUSIBLE",
    ),
    Fault(
        "jobs-listed-across-datastores",
        "ListDICOMImportJobs lists the jobs of every data store",
        "JOB-SCOPE",
    ),
    Fault(
        "datastore-token-ignored",
        "CreateDatastore ignores clientToken: a replay makes another data store",
        "IDEMPOTENT-REPLAY",
    ),
    Fault(
        "datastore-deletion-stalls",
        "DeleteDatastore answers DELETING and the data store stays DELETING",
        "DATASTORE-STATUS-FOLLOWS",
    ),
    Fault(
        "datastore-status-outside-enum",
        "an ACTIVE data store is answered as AVAILABLE, a status the model does not have",
        "RESPONSE-SCHEMA",
    ),
    Fault(
        "update-removals-ignored",
        "UpdateImageSetMetadata with both removableAttributes and updatableAttributes applies "
        "only the updates",
        "ECHO-SENT",
    ),
    Fault(
        "empty-import-never-ends",
        "An import whose input prefix holds no objects stays IN_PROGRESS forever",
        "JOB-ENDS",
    ),
)

FAULTS_BY_NAME: dict[str, Fault] = {fault.name: fault for fault in FAULTS}
THROTTLE_EVERY = 4
SLOW_RESPONSE_SECONDS = 2.0


@dataclass
class Switchboard:
    """The faults enabled in one emulator, and the counters some of them need."""

    enabled: frozenset[str] = frozenset()
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _counters: dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, names: Iterable[str]) -> Switchboard:
        """A switchboard with `names` on; an unknown name is a ValueError."""
        names = frozenset(names)
        unknown = sorted(names - FAULTS_BY_NAME.keys())
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(unknown)} (see --list-faults)")
        return cls(enabled=names)

    def on(self, name: FaultName) -> bool:
        """Whether fault `name` is enabled."""
        return name in self.enabled

    def every(self, name: FaultName, period: int) -> bool:
        """True on every `period`-th call while fault `name` is on."""
        if not self.on(name):
            return False
        with self._lock:
            count = self._counters.get(name, 0) + 1
            self._counters[name] = count
        return count % period == 0
