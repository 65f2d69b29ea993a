"""incidentsim: what would your alarms have done to you under AWS Incident Manager?

Replay alarm history into an emulated Incident Manager ``StartIncident`` and see
which incidents would have been created and which deduplicated, and why.

Importing ``incidentsim`` is cheap and has no side effects; the emulator (and
moto) load on first use of a name that needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "mock_incidents": "incidentsim.emulator",
    "make_client": "incidentsim.emulator",
    "get_backend": "incidentsim.emulator",
    "EmulatorOptions": "incidentsim.emulator",
    "load_alarms": "incidentsim.datasets.loaders",
    "replay": "incidentsim.replay",
    "compare": "incidentsim.replay",
    "ReplayResult": "incidentsim.replay",
    "Policy": "incidentsim.policy",
    "load_policy": "incidentsim.policy",
    "validate_alarm_frame": "incidentsim.datasets.schema",
}

if TYPE_CHECKING:  # pragma: no cover
    from .datasets.loaders import load_alarms
    from .policy import Policy, load_policy
    from .replay import ReplayResult, compare, replay
    from .datasets.schema import validate_alarm_frame
    from .emulator import EmulatorOptions, get_backend, make_client, mock_incidents

__all__ = [
    "EmulatorOptions",
    "Policy",
    "ReplayResult",
    "compare",
    "load_policy",
    "replay",
    "__version__",
    "get_backend",
    "load_alarms",
    "make_client",
    "mock_incidents",
    "validate_alarm_frame",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'incidentsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
