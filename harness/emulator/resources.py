"""One account's resources, built once: each is the handler of its operations."""

from __future__ import annotations

from dataclasses import dataclass, fields

from harness.emulator.account import Account
from harness.emulator.datastores import Datastores
from harness.emulator.imagesets.lifecycle import ImageSets
from harness.emulator.imagesets.reads import ImageSetReads
from harness.emulator.imagesets.search import Search
from harness.emulator.imagesets.writes import ImageSetWriter
from harness.emulator.jobs import ImportJobs
from harness.emulator.tagging import Tagging


@dataclass(frozen=True)
class Resources:
    """Data stores, import jobs, image sets (their lifecycle, reads, writes, search), tags."""

    datastores: Datastores
    jobs: ImportJobs
    image_sets: ImageSets
    reads: ImageSetReads
    writes: ImageSetWriter
    search: Search
    tagging: Tagging

    @classmethod
    def of(cls, account: Account) -> Resources:
        datastores = Datastores(account)
        image_sets = ImageSets(account, datastores)
        return cls(
            datastores=datastores,
            jobs=ImportJobs(account, datastores),
            image_sets=image_sets,
            reads=ImageSetReads(image_sets),
            writes=ImageSetWriter(image_sets),
            search=Search(image_sets),
            tagging=Tagging(account, datastores, image_sets),
        )

    def owners(self) -> tuple[object, ...]:
        """Every resource, for the application to find the handlers among."""
        return tuple(getattr(self, member.name) for member in fields(self))
