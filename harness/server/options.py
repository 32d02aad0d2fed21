"""The server suite's options, defined once for every front end.

`ahi-contract server` adds them as `--NAME`, the pytest plugin as
`--ahi-NAME`; both turn the parsed values into one `ServerOptions` through
`server_options`. Credentials and region not given as options come from
botocore's own resolution (environment, `AWS_PROFILE`, config and
credentials files, SSO), as every AWS tool does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.arguments.shard import Shard, shard
from harness.arguments.types import non_negative_int, positive_int, positive_seconds, url
from harness.aws.sigv4 import AwsCredentials
from harness.server.context import PROFILES
from harness.server.selection import Selection

EMBEDDED_ROLE = "arn:aws:iam::123456789012:role/AhiContractImportRole"


@dataclass
class ServerOptions:
    """What a server run was asked to do."""

    endpoint: str | None = None
    region: str = "us-east-1"
    credentials: AwsCredentials = field(default_factory=lambda: AwsCredentials("test", "test"))
    s3_endpoint: str | None = None
    s3_credentials: AwsCredentials | None = None
    role_arn: str = EMBEDDED_ROLE
    datastore_id: str | None = None
    job_quota: int | None = None
    profile: str = "quick"
    seed: int | None = None
    request_timeout: float = 15.0
    faults: tuple[str, ...] = ()
    workers: int = 1
    selection: Selection = field(default_factory=Selection)
    max_examples: int | None = None
    record: Path | None = None
    shard: Shard | None = None


@dataclass(frozen=True)
class Option:
    """One option of the server suite, as every front end offers it."""

    name: str
    help: str
    type: Callable[[str], Any] | None = None
    default: Any = None
    choices: tuple[str, ...] | None = None
    repeated: bool = False
    metavar: str | None = None

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    def keywords(self, dest_prefix: str = "") -> dict[str, Any]:
        """Keyword arguments for argparse's `add_argument` and pytest's `addoption`."""
        found: dict[str, Any] = {"help": self.help, "dest": dest_prefix + self.dest}
        if self.repeated:
            found.update(action="append", default=[])
        else:
            found["default"] = self.default
        if self.type is not None:
            found["type"] = self.type
        if self.choices is not None:
            found["choices"] = self.choices
        if self.metavar is not None:
            found["metavar"] = self.metavar
        return found


SERVER_OPTIONS: tuple[Option, ...] = (
    Option(
        "endpoint",
        "the service URL (default: AWS_ENDPOINT_URL_MEDICAL_IMAGING, else start the embedded "
        "emulator)",
        url,
        metavar="URL",
    ),
    Option(
        "region",
        "the signing region (default: the AWS configuration's, else us-east-1)",
        metavar="REGION",
    ),
    Option("access-key", "access key id (default: botocore's credential chain)", metavar="KEY"),
    Option(
        "secret-key", "secret access key (default: botocore's credential chain)", metavar="SECRET"
    ),
    Option(
        "session-token", "session token (default: botocore's credential chain)", metavar="TOKEN"
    ),
    Option(
        "s3-endpoint",
        "the S3 endpoint the target imports from (default: AWS_ENDPOINT_URL_S3, else AWS S3)",
        url,
        metavar="URL",
    ),
    Option("role-arn", "dataAccessRoleArn to send", default=EMBEDDED_ROLE, metavar="ARN"),
    Option(
        "datastore-id",
        "use this ACTIVE data store instead of creating one (default: create one)",
        metavar="ID",
    ),
    Option(
        "job-quota",
        "the target's concurrent-job quota, 1 or more (enables QUOTA-402; default: not checked)",
        type=positive_int,
        metavar="N",
    ),
    Option("profile", "how thorough a run is", default="quick", choices=tuple(sorted(PROFILES))),
    Option(
        "seed",
        "replay a run, 0 or more (default: random, printed at the start)",
        type=non_negative_int,
        metavar="N",
    ),
    Option(
        "request-timeout",
        "seconds to wait for one answer, above 0",
        type=positive_seconds,
        default=15.0,
        metavar="SECONDS",
    ),
    Option(
        "workers",
        "spread the units over N processes, 1 or more (each its own data store and bucket)",
        type=positive_int,
        default=1,
        metavar="N",
    ),
    Option(
        "shard",
        "run part K of N of the units (1 <= K <= N), for a CI matrix; `ahi-contract merge` "
        "joins the parts' results.json (default: the whole run)",
        shard,
        metavar="K/N",
    ),
    Option(
        "fault",
        "enable an emulator fault (embedded emulator only); repeat for more",
        repeated=True,
        metavar="NAME",
    ),
    Option(
        "check",
        "judge only the checks matching this ID or family (glob, e.g. 'IDEMPOTENT-*' or "
        "search); repeatable",
        repeated=True,
        metavar="PATTERN",
    ),
    Option(
        "exclude-check",
        "do not judge the checks matching this ID or family (glob); repeatable",
        repeated=True,
        metavar="PATTERN",
    ),
    Option(
        "max-examples",
        "examples per operation for schemathesis and per state machine, 1 or more "
        "(default: the profile's)",
        type=positive_int,
        metavar="N",
    ),
    Option(
        "report-dir",
        "write junit.xml, results.json, summary.md, report.html here (checked before the run)",
        Path,
        metavar="DIR",
    ),
    Option(
        "record",
        "write every exchange of the run to this HAR file, credentials redacted",
        Path,
        metavar="FILE",
    ),
)


def add_options(add: Callable[..., Any], prefix: str = "") -> None:
    """Add every option as `--<prefix><name>` through `add` (argparse's `add_argument` or
    pytest's `addoption`); values land under `<prefix><dest>` with dashes as underscores."""
    dest_prefix = prefix.replace("-", "_")
    for option in SERVER_OPTIONS:
        add(f"--{prefix}{option.name}", **option.keywords(dest_prefix))


def option_values(namespace: Any, prefix: str = "") -> dict[str, Any]:
    """The parsed values of every option, keyed by `Option.dest`."""
    dest_prefix = prefix.replace("-", "_")
    return {o.dest: getattr(namespace, dest_prefix + o.dest, None) for o in SERVER_OPTIONS}


class CredentialsMissing(ValueError):
    """A remote target was named and no credentials could be found."""


def resolve_credentials(values: Mapping[str, Any]) -> tuple[AwsCredentials | None, str | None]:
    """Credentials and region from the options, else from botocore's resolution."""
    access_key, secret_key = values.get("access_key"), values.get("secret_key")
    explicit = None
    if access_key and secret_key:
        explicit = AwsCredentials(access_key, secret_key, values.get("session_token"))
    import boto3

    session = boto3.Session()
    region = values.get("region") or session.region_name
    if explicit is not None:
        return explicit, region
    found = session.get_credentials()
    if found is None:
        return None, region
    frozen = found.get_frozen_credentials()
    return AwsCredentials(frozen.access_key, frozen.secret_key, frozen.token), region


def server_options(values: Mapping[str, Any]) -> ServerOptions:
    """`ServerOptions` from parsed option values (keys are `Option.dest`)."""
    endpoint = values.get("endpoint") or os.environ.get("AWS_ENDPOINT_URL_MEDICAL_IMAGING")
    options = ServerOptions(
        endpoint=endpoint,
        s3_endpoint=values.get("s3_endpoint") or os.environ.get("AWS_ENDPOINT_URL_S3"),
        role_arn=values.get("role_arn") or EMBEDDED_ROLE,
        datastore_id=values.get("datastore_id"),
        job_quota=values.get("job_quota"),
        profile=values.get("profile") or "quick",
        seed=values.get("seed"),
        request_timeout=values.get("request_timeout") or 15.0,
        faults=tuple(values.get("fault") or ()),
        workers=values.get("workers") or 1,
        selection=Selection(
            tuple(values.get("check") or ()), tuple(values.get("exclude_check") or ())
        ),
        max_examples=values.get("max_examples"),
        record=values.get("record"),
        shard=values.get("shard"),
    )
    if endpoint:
        credentials, region = resolve_credentials(values)
        if credentials is None:
            raise CredentialsMissing(
                f"{endpoint} needs credentials: none in the options, the environment, "
                "AWS_PROFILE or the AWS config and credentials files"
            )
        options.credentials = credentials
        options.region = region or "us-east-1"
    else:
        options.region = values.get("region") or "us-east-1"
    return options
