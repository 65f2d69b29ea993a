"""incidentsim: what would your alarms have done to you under AWS Incident Manager?

Replay alarm history into an emulated Incident Manager ``StartIncident`` and see
which incidents would have been created and which deduplicated, and why.

Importing ``incidentsim`` has no side effects and does not load moto; the emulator
loads on first use of a name that needs it.
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
    "Policy": "incidentsim.policy",
    "load_policy": "incidentsim.policy",
    "validate_alarm_frame": "incidentsim.datasets.schema",
}

if TYPE_CHECKING:  # pragma: no cover
    from .datasets.loaders import load_alarms
    from .policy import Policy, load_policy
    from .datasets.schema import validate_alarm_frame
    from .emulator import EmulatorOptions, get_backend, make_client, mock_incidents

# ``incidentsim.replay`` is the subpackage, which is callable: ``incidentsim.replay(...)`` runs the
# replay function and ``incidentsim.replay.engine`` stays reachable (see incidentsim/replay/__init__.py).
# Type checkers are shown the function, which is what a call of ``incidentsim.replay`` types as.
from .analysis import compare  # noqa: E402
from .replay import ReplayResult  # noqa: E402

if TYPE_CHECKING:  # pragma: no cover
    from .replay import replay
else:
    from . import replay

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
