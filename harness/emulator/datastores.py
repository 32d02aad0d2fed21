"""Data stores: their lifecycle (CREATING, ACTIVE, DELETING, DELETED), idempotent creation,
the account's quota, and CreateDatastore, GetDatastore, ListDatastores, DeleteDatastore."""

from __future__ import annotations

from typing import Any

from harness.emulator.account import Account
from harness.emulator.exceptions import (
    ConflictException,
    ResourceNotFoundException,
    ServiceQuotaExceededException,
    ValidationException,
)
from harness.emulator.faults import Switch
from harness.emulator.handlers import handler
from harness.emulator.pagination import DEFAULT_PAGE_SIZE
from harness.emulator.records import Datastore, fingerprint, new_id


class Datastores:
    """The data stores of one account."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.store = account.store
        self.faults = account.faults
        self.limits = account.limits
        self.tokens = account.tokens

    def _refresh(self, datastore: Datastore) -> Datastore:
        """Move a data store along its lifecycle once its transition time has come."""
        now = self.account.clock()
        if now < datastore.ready_at:
            return datastore
        moved = {"CREATING": "ACTIVE", "DELETING": "DELETED"}.get(datastore.datastore_status)
        if moved == "DELETED" and self.faults.on(Switch.DATASTORE_DELETION_STALLS):
            return datastore
        if moved:
            datastore.datastore_status = moved
            datastore.updated_at = datastore.ready_at
            self.store.datastores.save(datastore)
        return datastore

    def datastore(self, datastore_id: str) -> Datastore:
        """The data store, moved along its lifecycle; ResourceNotFound when unknown."""
        datastore = self.store.datastores.get(datastore_id)
        if datastore is None:
            raise ResourceNotFoundException(f"Datastore {datastore_id} does not exist")
        return self._refresh(datastore)

    def _datastore_properties(self, datastore: Datastore) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "datastoreId": datastore.datastore_id,
            "datastoreName": datastore.datastore_name,
            "datastoreStatus": datastore.datastore_status,
            "datastoreArn": self.account.datastore_arn(datastore.datastore_id),
            "createdAt": datastore.created_at,
            "updatedAt": datastore.updated_at,
        }
        if (
            self.faults.on(Switch.DATASTORE_STATUS_OUTSIDE_ENUM)
            and datastore.datastore_status == "ACTIVE"
        ):
            properties["datastoreStatus"] = "AVAILABLE"
        if self.faults.on(Switch.DATASTORE_TIMES_IN_MILLISECONDS):
            properties["createdAt"] = datastore.created_at * 1000
            properties["updatedAt"] = datastore.updated_at * 1000
        for key, value in (
            ("kmsKeyArn", datastore.kms_key_arn),
            ("lambdaAuthorizerArn", datastore.lambda_authorizer_arn),
            ("losslessStorageFormat", datastore.lossless_storage_format),
        ):
            if value is not None:
                properties[key] = value
        return properties

    @handler
    def create_datastore(self, request: dict[str, Any]) -> dict[str, Any]:
        token = request["clientToken"]
        parameters = {k: v for k, v in request.items() if k != "clientToken"}
        if self.faults.on(Switch.DATASTORE_TOKEN_IGNORED):
            token = f"{token}#{new_id()}"
        with self.store.transaction():
            existing = self.store.datastores.by_token(token)
            if existing is not None:
                if existing.fingerprint != fingerprint(parameters):
                    raise ConflictException(
                        "clientToken was already used with different parameters"
                    )
                existing = self._refresh(existing)
                return {
                    "datastoreId": existing.datastore_id,
                    "datastoreStatus": existing.datastore_status,
                }
            if len(request.get("tags") or {}) > self.limits.tags_per_resource:
                raise ValidationException(
                    f"A resource has at most {self.limits.tags_per_resource} tags"
                )
            standing = [self._refresh(other) for other in self.store.datastores.after(0)]
            if sum(other.datastore_status != "DELETED" for other in standing) >= (
                self.limits.datastores
            ):
                raise ServiceQuotaExceededException(
                    f"The account already has the maximum of {self.limits.datastores} data stores"
                )
            now = self.account.clock()
            datastore = Datastore(
                datastore_id=new_id(),
                datastore_name=request.get("datastoreName") or "datastore",
                datastore_status="CREATING",
                created_at=now,
                updated_at=now,
                ready_at=now + self.limits.datastore_transition_seconds,
                client_token=token,
                fingerprint=fingerprint(parameters),
                kms_key_arn=request.get("kmsKeyArn"),
                lambda_authorizer_arn=request.get("lambdaAuthorizerArn"),
                lossless_storage_format=request.get("losslessStorageFormat"),
                tags=dict(request.get("tags") or {}),
            )
            self.store.datastores.add(datastore)
        return {"datastoreId": datastore.datastore_id, "datastoreStatus": "CREATING"}

    @handler
    def get_datastore(self, request: dict[str, Any]) -> dict[str, Any]:
        datastore = self.datastore(request["datastoreId"])
        return {"datastoreProperties": self._datastore_properties(datastore)}

    @handler
    def list_datastores(self, request: dict[str, Any]) -> dict[str, Any]:
        status = request.get("datastoreStatus")
        scope = {"op": "ListDatastores", "status": status}
        after = self.tokens.read(request["nextToken"], scope) if "nextToken" in request else 0
        limit = request.get("maxResults", DEFAULT_PAGE_SIZE)
        summaries: list[dict[str, Any]] = []
        next_token = None
        for datastore in self.store.datastores.after(after):
            datastore = self._refresh(datastore)
            ignored = self.faults.on(Switch.DATASTORE_LIST_FILTER_IGNORED)
            if status and not ignored and datastore.datastore_status != status:
                continue
            if len(summaries) == limit:
                next_token = self.tokens.issue(after, scope)
                break
            properties = self._datastore_properties(datastore)
            for key in ("kmsKeyArn", "lambdaAuthorizerArn", "losslessStorageFormat"):
                properties.pop(key, None)
            summaries.append(properties)
            after = datastore.seq
        result: dict[str, Any] = {"datastoreSummaries": summaries}
        if next_token:
            result["nextToken"] = next_token
        return result

    @handler
    def delete_datastore(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            datastore = self.datastore(request["datastoreId"])
            if datastore.datastore_status != "ACTIVE":
                raise ConflictException(
                    f"Datastore {datastore.datastore_id} is {datastore.datastore_status}, "
                    "not ACTIVE"
                )
            if self.store.jobs.active_count(datastore.datastore_id):
                raise ConflictException("Datastore has import jobs that have not finished")
            now = self.account.clock()
            if self.store.image_sets.count(datastore.datastore_id, now) and not self.faults.on(
                Switch.DELETE_WITH_IMAGE_SETS
            ):
                raise ConflictException("Datastore holds image sets; delete them first")
            datastore.datastore_status = "DELETING"
            datastore.updated_at = now
            datastore.ready_at = now + self.limits.datastore_transition_seconds
            self.store.datastores.save(datastore)
        answered = "ACTIVE" if self.faults.on(Switch.DELETE_DATASTORE_SAYS_ACTIVE) else "DELETING"
        return {"datastoreId": datastore.datastore_id, "datastoreStatus": answered}
