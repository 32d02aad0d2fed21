"""The reference client: a small requests-based client for every operation of the model."""

from __future__ import annotations

from harness.client.client import ClientConfig, ImagingClient
from harness.client.errors import ClientSideError, ServiceError

__all__ = ["ClientConfig", "ClientSideError", "ImagingClient", "ServiceError"]
