"""The oracle: every answer of a run judged against what the suite sent and when.

After the units have run, every answer of the run is judged against the
run's model (`harness.server.run_model`, fed live by every exchange): data
stores, import jobs and image sets, each with the data store it belongs to,
what was sent to make it and when, whichever check sent the request:

- ECHO-SENT: a member that reports back something the caller sent equals it;
- TIMESTAMP-PLAUSIBLE: a timestamp is epoch seconds the target's clock could
  have produced for that request;
- RESOURCE-SCOPE: an answer for one data store holds nothing the run made in
  another.

JOB-SCOPE asks the question that makes a scope leak show: a job looked up and
listed under another data store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

from harness.checks import Check, Source
from harness.model import pinned_model
from harness.server.context import DEADLINE_PASSED, SuiteContext
from harness.server.expect import SHOWN, judge_answers
from harness.server.observation import Observation
from harness.server.probe import Exchange
from harness.server.registry import Trigger, Unit, server_check
from harness.server.run_model import TOLERANCE_SECONDS, Made, RunModel, Update
from harness.server.scenes.imaging import decode_metadata, second_datastore
from harness.server.scenes.imports import TERMINAL, imports

POLL_SECONDS = 0.5

SERVICE_EPOCH = datetime(2022, 11, 1, tzinfo=UTC).timestamp()
"""HealthImaging was announced (in preview) in November 2022: no resource is older."""


@cache
def timestamp_members() -> frozenset[str]:
    """The names of the model's members that are timestamps (createdAt, endedAt, ...)."""
    shapes = pinned_model().document["shapes"]
    stamps = {name for name, shape in shapes.items() if shape["type"] == "timestamp"}
    return frozenset(
        member
        for shape in shapes.values()
        for member, target in (shape.get("members") or {}).items()
        if target["shape"] in stamps
    )


def _differs(name: str, answered: Any, sent: Any) -> list[str]:
    if sent is None or answered is None or answered == sent:
        return []
    return [f"{name} answered {answered!r}, sent {sent!r}"]


def _datastore_echoes(item: dict[str, Any], made: Made | None, datastore_id: Any) -> list[str]:
    problems = _differs("datastoreId", item.get("datastoreId"), datastore_id)
    arn = item.get("datastoreArn")
    if isinstance(arn, str) and datastore_id and not arn.endswith(f"datastore/{datastore_id}"):
        problems.append(f"datastoreArn {arn!r} does not name data store {datastore_id}")
    if made is not None:
        for name in ("datastoreName", "kmsKeyArn", "lambdaAuthorizerArn"):
            problems += _differs(name, item.get(name), made.sent.get(name))
    return problems


def _job_echoes(item: dict[str, Any], made: Made | None, datastore_id: Any) -> list[str]:
    problems = _differs("datastoreId", item.get("datastoreId"), datastore_id)
    if made is None:
        return problems
    for name in ("jobName", "dataAccessRoleArn", "inputS3Uri"):
        problems += _differs(name, item.get(name), made.sent.get(name))
    output, sent = item.get("outputS3Uri"), made.sent.get("outputS3Uri")
    if isinstance(output, str) and isinstance(sent, str) and not output.startswith(sent):
        problems.append(f"outputS3Uri {output!r} is not under the {sent!r} sent")
    return problems


def _echoes(seen: Observation, model: RunModel) -> list[str] | None:
    """The echo problems of one answer; None when the answer mirrors nothing sent."""
    answer, operation = seen.answer or {}, seen.operation
    datastore_id = seen.labels.get("datastoreId")
    if operation == "GetDatastore":
        item = answer.get("datastoreProperties") or {}
        return _datastore_echoes(item, model.datastores.get(str(datastore_id)), datastore_id)
    if operation == "ListDatastores":
        return [
            problem
            for item in answer.get("datastoreSummaries") or []
            if item.get("datastoreId") in model.datastores
            for problem in _datastore_echoes(item, model.datastores[item["datastoreId"]], None)
        ]
    if operation in ("StartDICOMImportJob", "DeleteDatastore"):
        return _differs("datastoreId", answer.get("datastoreId"), datastore_id)
    if operation == "GetDICOMImportJob":
        item = answer.get("jobProperties") or {}
        job_id = seen.labels.get("jobId")
        problems = _differs("jobId", item.get("jobId"), job_id)
        return problems + _job_echoes(item, model.jobs.get(str(job_id)), datastore_id)
    if operation == "ListDICOMImportJobs":
        return [
            problem
            for item in answer.get("jobSummaries") or []
            for problem in _job_echoes(item, model.jobs.get(str(item.get("jobId"))), datastore_id)
        ]
    if operation in (
        "GetImageSet",
        "UpdateImageSetMetadata",
        "DeleteImageSet",
    ):
        problems = _differs("datastoreId", answer.get("datastoreId"), datastore_id)
        problems += _differs("imageSetId", answer.get("imageSetId"), seen.labels.get("imageSetId"))
        return problems + _differs("versionId", answer.get("versionId"), seen.query.get("version"))
    if operation == "GetImageSetMetadata":
        key = (str(seen.labels.get("imageSetId")), str(model.read_version(seen)))
        update = model.updates.get(key)
        return None if update is None else _update_echoes(seen, update)
    if operation == "CopyImageSet":
        source = answer.get("sourceImageSetProperties") or {}
        destination = answer.get("destinationImageSetProperties") or {}
        copy = seen.sent.get("copyImageSetInformation") or {}
        problems = _differs("datastoreId", answer.get("datastoreId"), datastore_id)
        problems += _differs(
            "sourceImageSetProperties.imageSetId",
            source.get("imageSetId"),
            seen.labels.get("sourceImageSetId"),
        )
        return problems + _differs(
            "destinationImageSetProperties.imageSetId",
            destination.get("imageSetId"),
            (copy.get("destinationImageSet") or {}).get("imageSetId"),
        )
    return None


UPDATED_LEVELS = ("Patient", "Study")
"""The levels whose DICOM attributes an update's echo is judged at (series and instance
updates address their items by UID, which an update may rename)."""


def _update_echoes(seen: Observation, update: Update) -> list[str] | None:
    """A version an update made, read back: what it set is there, what it removed is not;
    None when the metadata cannot be read (BLOB-HEADERS judges that)."""
    document = decode_metadata(seen.exchange).document
    if document is None:
        return None
    problems = []
    version = seen.query.get("version", "latest")
    for level in UPDATED_LEVELS:
        held = (document.get(level) or {}).get("DICOM") or {}
        updated = (update.updatable.get(level) or {}).get("DICOM") or {}
        removed = (update.removable.get(level) or {}).get("DICOM") or {}
        for name, value in updated.items():
            if held.get(name) != value:
                problems.append(
                    f"version {version} holds {level}.{name}={held.get(name)!r}, "
                    f"the update set {value!r}"
                )
        for name in removed.keys() - updated.keys():
            if name in held:
                problems.append(
                    f"version {version} still holds {level}.{name}, which the update removed"
                )
    return problems


def _stamped_objects(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in `value` that carries a timestamp member."""
    if isinstance(value, dict):
        if timestamp_members() & value.keys():
            yield value
        for item in value.values():
            yield from _stamped_objects(item)
    elif isinstance(value, list):
        for item in value:
            yield from _stamped_objects(item)


_ORDER = (("submittedAt", "endedAt"), ("createdAt", "updatedAt"), ("createdAt", "deletedAt"))


def _clock_problems(seen: Observation, model: RunModel) -> list[str] | None:
    """Timestamps an answer holds that the target's clock could not have produced; None
    when it holds none."""
    window = seen.window
    latest = None if window is None else window[1] + model.offset + TOLERANCE_SECONDS
    problems: list[str] = []
    stamped = list(_stamped_objects(seen.answer))
    if not stamped:
        return None
    for item in stamped:
        stamps = {
            k: v
            for k, v in item.items()
            if k in timestamp_members() and isinstance(v, int | float) and not isinstance(v, bool)
        }
        for name, value in stamps.items():
            if value < SERVICE_EPOCH:
                problems.append(f"{name}={value} lies before the service existed")
            elif latest is not None and value > latest:
                problems.append(
                    f"{name}={value} lies {value - latest + TOLERANCE_SECONDS:.0f} s after the "
                    "answer (milliseconds instead of seconds?)"
                )
        for earlier, later in _ORDER:
            if earlier in stamps and later in stamps and stamps[later] < stamps[earlier]:
                problems.append(f"{later}={stamps[later]} is before {earlier}={stamps[earlier]}")
        problems += _creation_problems(item, stamps, model)
    return problems + _made_by_this_request(seen, model)


def _made_by_this_request(seen: Observation, model: RunModel) -> list[str]:
    """An update's updatedAt and a copy's new image set createdAt lie within the request."""
    answer = seen.answer or {}
    if seen.operation == "UpdateImageSetMetadata":
        name, value = "updatedAt", answer.get("updatedAt")
    elif seen.operation == "CopyImageSet":
        destination = answer.get("destinationImageSetProperties") or {}
        name, value = "destinationImageSetProperties.createdAt", destination.get("createdAt")
    else:
        return []
    window = model.on_target_clock(seen.window)
    if window is None or not isinstance(value, int | float) or window[0] <= value <= window[1]:
        return []
    return [
        f"{name}={value:.0f} lies outside the request that made it "
        f"({window[0]:.0f}..{window[1]:.0f} on the target's clock)"
    ]


def _creation_problems(
    item: dict[str, Any], stamps: dict[str, float], model: RunModel
) -> list[str]:
    """A creation or submission time outside the request that made the resource."""
    made, name = None, None
    if "jobId" in item and "submittedAt" in stamps:
        made, name = model.jobs.get(str(item["jobId"])), "submittedAt"
    elif "datastoreName" in item and "createdAt" in stamps:
        made, name = model.datastores.get(str(item.get("datastoreId"))), "createdAt"
    window = None if made is None else model.on_target_clock(made.window)
    if window is None or name is None:
        return []
    low, high = window
    if low <= stamps[name] <= high:
        return []
    return [
        f"{name}={stamps[name]:.0f} lies outside the request that made it "
        f"({low:.0f}..{high:.0f} on the target's clock, tolerance {TOLERANCE_SECONDS:.0f} s)"
    ]


def _listed_ids(seen: Observation) -> list[tuple[str, str]]:
    """(kind, id) of every job or image set an answer holds or serves."""
    answer, found = seen.answer or {}, []
    if seen.operation == "ListDICOMImportJobs":
        found = [("job", str(item.get("jobId"))) for item in answer.get("jobSummaries") or []]
    elif seen.operation == "GetDICOMImportJob":
        found = [("job", str(seen.labels.get("jobId")))]
    elif seen.operation == "SearchImageSets":
        found = [
            ("image set", str(item.get("imageSetId")))
            for item in answer.get("imageSetsMetadataSummaries") or []
        ]
    elif seen.operation in ("GetImageSet", "GetImageSetMetadata", "ListImageSetVersions"):
        found = [("image set", str(seen.labels.get("imageSetId")))]
    return found


def _scope_problems(seen: Observation, model: RunModel) -> list[str] | None:
    datastore_id = seen.labels.get("datastoreId")
    listed = _listed_ids(seen)
    if not listed or datastore_id is None:
        return None
    problems = []
    for kind, found in listed:
        owner = (
            model.jobs[found].datastore_id
            if kind == "job" and found in model.jobs
            else model.image_sets.get(found)
            if kind == "image set"
            else None
        )
        if owner is not None and owner != datastore_id:
            problems.append(f"{kind} {found} of data store {owner} answered under {datastore_id}")
    return problems


Rule = Callable[[Observation, RunModel], list[str] | None]


@server_check(
    "JOB-ENDS",
    "oracle",
    "Every import job the target accepted, whichever check started it, reaches COMPLETED or "
    "FAILED within the bound",
    Source.SERVICE_DOCS,
    "API reference JobStatus (SUBMITTED, IN_PROGRESS, COMPLETED, FAILED); bound: decision "
    "EFFECT-BOUND",
    trigger=Trigger.HISTORY,
)
def jobs_end(context: SuiteContext, check: Check) -> None:
    """Poll every accepted job last seen running until it ends, within the bound (first of
    the history checks: the others then judge the answers it reads too)."""
    model = context.model
    jobs = dict(model.jobs)
    if not jobs:
        return
    if context.remaining() <= 0:
        context.error(check.id, "GetDICOMImportJob", DEADLINE_PASSED)
        return
    bound = min(context.profile.job_timeout_seconds, context.remaining())
    deadline = time.monotonic() + bound
    running = {job_id for job_id in jobs if model.status(job_id) not in TERMINAL}
    last: dict[str, Exchange] = {}
    while running and time.monotonic() < deadline:
        for job_id in sorted(running):
            last[job_id] = context.get_job(jobs[job_id].datastore_id, job_id)
        running = {job_id for job_id in running if model.status(job_id) not in TERMINAL}
        if running:
            time.sleep(POLL_SECONDS)
    stuck = sorted(running)
    context.verdict(
        check.id,
        "GetDICOMImportJob",
        not stuck,
        f"{len(stuck)} of {len(jobs)} accepted jobs had not ended after {bound:.0f} s, e.g. "
        + "; ".join(
            f"job {job_id} seen {' -> '.join(s for s, _ in model.statuses(job_id)) or 'never'}"
            for job_id in stuck[:SHOWN]
        ),
        *[model.statuses(job)[0][1] for job in stuck[:1] if model.statuses(job)],
        *[last[job] for job in stuck[:1] if job in last],
        note=f"{len(jobs)} jobs accepted in the run",
    )


def _judge_rule(context: SuiteContext, check: Check, rule: Rule) -> None:
    """Judge every successful answer of the run by `rule`, against the model of what it
    made: one verdict per operation."""
    model = context.model
    judge_answers(
        context,
        check,
        (seen for seen in model.observations if seen.succeeded),
        lambda seen: rule(seen, model),
        note=f"the target's clock offset: {model.offset:+.1f} s",
    )


@server_check(
    "ECHO-SENT",
    "oracle",
    "Every member of an answer that reports back something the caller sent (ids, names, "
    "role ARNs, S3 URIs, KMS keys, the Patient and Study attributes an update set or "
    "removed) equals what was sent, in every answer that carries it",
    Source.MODEL,
    "output members that mirror input members: DatastoreProperties.datastoreName, "
    "DICOMImportJobProperties.jobName/dataAccessRoleArn/inputS3Uri/datastoreId, "
    "GetImageSetResponse.imageSetId/datastoreId, ...; developer guide 'Updating image set "
    "metadata': the version an update makes holds its updatableAttributes and lacks its "
    "removableAttributes",
    trigger=Trigger.HISTORY,
)
def echo_sent(context: SuiteContext, check: Check) -> None:
    _judge_rule(context, check, _echoes)


@server_check(
    "TIMESTAMP-PLAUSIBLE",
    "oracle",
    "Every timestamp is epoch seconds the target's clock could have produced: not before the "
    "service existed nor after the answer, a creation or submission time within the request "
    "that made it, end, update and deletion times not before start and creation",
    Source.SMITHY,
    "restJson1 timestamps are epoch seconds; the target's clock offset is measured from its "
    "Date headers; tolerance: decision CLOCK-TOLERANCE",
    trigger=Trigger.HISTORY,
)
def timestamps(context: SuiteContext, check: Check) -> None:
    _judge_rule(context, check, _clock_problems)


@server_check(
    "RESOURCE-SCOPE",
    "oracle",
    "An answer for one data store never holds or serves a job or image set the run made in another",
    Source.SERVICE_DOCS,
    "API reference: import jobs and image sets are addressed under their datastoreId",
    trigger=Trigger.HISTORY,
)
def resource_scope(context: SuiteContext, check: Check) -> None:
    _judge_rule(context, check, _scope_problems)


@server_check(
    "JOB-SCOPE",
    "oracle",
    "An import job is found and listed only under its own data store: looked up under another "
    "data store it is not found, and that data store's list does not hold it",
    Source.SERVICE_DOCS,
    "API reference GetDICOMImportJob, ListDICOMImportJobs: datastoreId and jobId address a job",
    unit=Unit.JOBS,
)
def job_scope(context: SuiteContext, check: Check) -> None:
    imports(context)
    job_ids = sorted(context.model.jobs_in(context.env.datastore_id))
    if not job_ids:
        context.error(check.id, "GetDICOMImportJob", "no import job was started to look up")
        return
    other = second_datastore(context)
    if other is None:
        context.error(check.id, "GetDICOMImportJob", "a second data store could not be made")
        return
    looked_up = [context.get_job(other, job_id) for job_id in job_ids]
    found = [e for e in looked_up if e.status != 404]
    context.verdict(
        check.id,
        "GetDICOMImportJob",
        not found,
        f"{len(found)} of {len(looked_up)} jobs looked up under another data store answered "
        f"HTTP {found[0].status if found else 404}",
        *found[:2],
    )
    listed = context.list_jobs(other)
    body = listed.json()
    summaries = body.get("jobSummaries") if isinstance(body, dict) else None
    leaked = [
        item.get("jobId")
        for item in summaries or []
        if isinstance(item, dict) and item.get("jobId") in job_ids
    ]
    context.verdict(
        check.id,
        "ListDICOMImportJobs",
        listed.status == 200 and not leaked,
        f"the other data store's list answered HTTP {listed.status} and holds {leaked}",
        listed,
    )
