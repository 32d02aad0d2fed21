"""The reference emulator: a real HealthImaging service (data stores, import jobs, image sets)
on a local port."""

from __future__ import annotations

from harness.emulator.account import Limits
from harness.emulator.faults import FAULTS, Fault
from harness.emulator.service import Emulator, EmulatorConfig

__all__ = ["FAULTS", "Emulator", "EmulatorConfig", "Fault", "Limits"]
