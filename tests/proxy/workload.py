"""A scripted application workload, driven through any SDK adapter.

What an application built on HealthImaging does in a day: make a data store, import a
DICOM file, search, read metadata and a frame, update, copy, tag, look up something
that is not there, delete. Each call goes through an adapter (protocol 1.1), so the
same workload runs on boto3, the JavaScript SDKs and the reference client with a bug.
"""

from __future__ import annotations

import gzip
import json
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from harness.aws.sigv4 import AwsCredentials
from harness.emulator.testing import config_for_tests, running_emulator
from harness.imaging.known_set import sample_set
from harness.proxy.session import ContractProxy, ProxySettings
from harness.report.record import RunRecord
from harness.sdk.protocol import Adapter, SubprocessAdapter, call_config

ROLE = "arn:aws:iam::123456789012:role/ImportRole"


class CallFailed(Exception):
    """A call of the workload answered an error it did not expect."""


@dataclass
class Workload:
    """One application session through `adapter`, with `config` as every call's."""

    adapter: Adapter
    config: dict[str, Any]
    called: list[str] = field(default_factory=list)
    _ids: int = 0

    def call(self, operation: str, expect_error: str | None = None, **params: Any) -> Any:
        self._ids += 1
        self.called.append(operation)
        answer = self.adapter.call(self._ids, operation, params, self.config)
        error = answer.get("error")
        if expect_error is not None:
            code = (error or {}).get("code")
            if code != expect_error:
                raise CallFailed(f"{operation}: expected {expect_error}, got {answer}")
            return error
        if error is not None:
            raise CallFailed(f"{operation}: {error}")
        return answer.get("output") or {}

    def until(self, operation: str, done: Any, timeout: float = 15.0, **params: Any) -> Any:
        """Call `operation` until `done(output)` holds."""
        deadline = time.monotonic() + timeout
        while True:
            output = self.call(operation, **params)
            if done(output) or time.monotonic() > deadline:
                return output
            time.sleep(0.2)


def run(workload: Workload, s3: Any) -> None:
    """The whole workload; `s3` is a boto3 client of the upstream's S3."""
    bucket = f"workload-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    ct = next(sample for sample in sample_set() if sample.key.endswith("CT_small.dcm"))
    s3.put_object(Bucket=bucket, Key="in/ct.dcm", Body=ct.data)
    call = workload.call
    datastore = call("CreateDatastore", datastoreName="workload")["datastoreId"]
    workload.until(
        "GetDatastore",
        lambda out: out["datastoreProperties"]["datastoreStatus"] != "CREATING",
        datastoreId=datastore,
    )
    call("ListDatastores")
    job = call(
        "StartDICOMImportJob",
        datastoreId=datastore,
        dataAccessRoleArn=ROLE,
        inputS3Uri=f"s3://{bucket}/in/",
        outputS3Uri=f"s3://{bucket}/out/",
    )["jobId"]
    workload.until(
        "GetDICOMImportJob",
        lambda out: out["jobProperties"]["jobStatus"] in ("COMPLETED", "FAILED"),
        datastoreId=datastore,
        jobId=job,
    )
    call("ListDICOMImportJobs", datastoreId=datastore)
    found = call("SearchImageSets", datastoreId=datastore)["imageSetsMetadataSummaries"]
    image_set = found[0]["imageSetId"]
    version = call("GetImageSet", datastoreId=datastore, imageSetId=image_set)["versionId"]
    blob = call("GetImageSetMetadata", datastoreId=datastore, imageSetId=image_set)
    document = json.loads(gzip.decompress(blob["imageSetMetadataBlob"]))
    series = next(iter(document["Study"]["Series"].values()))
    instance = next(iter(series["Instances"].values()))
    frame = instance["ImageFrames"][0]["ID"]
    call(
        "GetImageFrame",
        datastoreId=datastore,
        imageSetId=image_set,
        imageFrameInformation={"imageFrameId": frame},
    )
    study = document["Study"]["DICOM"]
    removed = next(name for name in sorted(study) if name != "StudyInstanceUID")
    updates = {"SchemaVersion": "1.1", "Patient": {"DICOM": {"PatientName": "Workload^Test"}}}
    removals = {"SchemaVersion": "1.1", "Study": {"DICOM": {removed: study[removed]}}}
    dicom_updates = {
        "updatableAttributes": json.dumps(updates).encode(),
        "removableAttributes": json.dumps(removals).encode(),
    }
    updated = call(
        "UpdateImageSetMetadata",
        datastoreId=datastore,
        imageSetId=image_set,
        latestVersionId=version,
        force=False,
        updateImageSetMetadataUpdates={"DICOMUpdates": dicom_updates},
    )
    workload.until(
        "GetImageSet",
        lambda out: out["imageSetState"] == "ACTIVE",
        datastoreId=datastore,
        imageSetId=image_set,
    )
    call(
        "GetImageSetMetadata",
        datastoreId=datastore,
        imageSetId=image_set,
        versionId=updated["latestVersionId"],
    )
    call(
        "UpdateImageSetMetadata",
        expect_error="ConflictException",
        datastoreId=datastore,
        imageSetId=image_set,
        latestVersionId=version,
        updateImageSetMetadataUpdates={"DICOMUpdates": dicom_updates},
    )
    call("ListImageSetVersions", datastoreId=datastore, imageSetId=image_set)
    copy = call(
        "CopyImageSet",
        datastoreId=datastore,
        sourceImageSetId=image_set,
        copyImageSetInformation={"sourceImageSet": {"latestVersionId": updated["latestVersionId"]}},
    )["destinationImageSetProperties"]["imageSetId"]
    arn = call("GetDatastore", datastoreId=datastore)["datastoreProperties"]["datastoreArn"]
    call("TagResource", resourceArn=arn, tags={"team": "imaging", "stage": "test"})
    call("ListTagsForResource", resourceArn=arn)
    call("UntagResource", resourceArn=arn, tagKeys=["team", "stage"])
    call(
        "GetImageSet",
        expect_error="ResourceNotFoundException",
        datastoreId=datastore,
        imageSetId=uuid.uuid4().hex,
    )
    for each in (copy, image_set):
        workload.until(
            "GetImageSet",
            lambda out: out["imageSetState"] == "ACTIVE",
            datastoreId=datastore,
            imageSetId=each,
        )
        call("DeleteImageSet", datastoreId=datastore, imageSetId=each)
    workload.until(
        "SearchImageSets",
        lambda out: not out["imageSetsMetadataSummaries"],
        datastoreId=datastore,
    )
    call("DeleteDatastore", datastoreId=datastore)


@dataclass(frozen=True)
class Session:
    """What one workload through the proxy left: the proxy's record, the operations the
    workload called, and the error that stopped it (None: it ran to its end)."""

    record: RunRecord
    called: list[str]
    stopped_by: str | None

    def failed(self) -> set[str]:
        return {o.check_id for o in self.record.outcomes if o.status in ("failed", "error")}

    def judged(self, check_id: str) -> set[str]:
        """The subjects (operations) `check_id` judged."""
        return {o.subject for o in self.record.outcomes if o.check_id == check_id}


def through_proxy(
    adapter_command: str,
    mode: str,
    *,
    faults: tuple[str, ...] = (),
    resign: bool = False,
) -> Session:
    """Run the workload through `adapter_command` and a proxy in front of a fresh emulator:
    `reverse` (the proxy is the SDK's endpoint, host prefix off) or `forward` (the proxy is
    its HTTP proxy, host prefix on). With `resign` the emulator accepts only the proxy's
    key, and the application signs with another."""
    proxy_keys = AwsCredentials("AKIDPROXY", "proxy-secret")
    config = config_for_tests(faults=faults)
    if resign:
        config = replace(config, credentials=(f"{proxy_keys.access_key}:{proxy_keys.secret_key}",))
    with running_emulator(config=config) as emulator:
        own = AwsCredentials(emulator.access_key, emulator.secret_key)
        settings = ProxySettings(emulator.url, emulator.region, resign=resign, job_timeout=15.0)
        with ContractProxy(settings, proxy_keys if resign else own) as proxy:
            endpoint, prefix = (proxy.url, False) if mode == "reverse" else (emulator.url, True)
            config_of_calls = call_config(
                endpoint,
                3,
                10.0,
                host_prefix=prefix,
                proxy=proxy.url if mode == "forward" else None,
                region=emulator.region,
                client_id="application",
            )
            config_of_calls["credentials"] = {
                "accessKeyId": "AKIDAPPLICATION" if resign else emulator.access_key,
                "secretAccessKey": "application-secret" if resign else emulator.secret_key,
                "sessionToken": None,
            }
            adapter = SubprocessAdapter(adapter_command)
            workload = Workload(adapter, config_of_calls)
            stopped_by = None
            try:
                run(workload, emulator.s3)
            except CallFailed as error:
                stopped_by = str(error)
            finally:
                adapter.close()
            return Session(proxy.finish(), workload.called, stopped_by)
