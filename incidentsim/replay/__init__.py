"""Replay alarm history into the emulated Incident Manager.

This package is callable: ``incidentsim.replay(alarms, policy, ...)`` is
:func:`incidentsim.replay.replay` (defined in :mod:`incidentsim.replay.engine`), and
``incidentsim.replay.engine`` and the other submodules are reached by attribute as usual.
"""

import inspect
import sys
import types
from typing import Any

from ..analysis.comparison import compare  # an analysis of two results, importable from here as well
from .decisions import decide
from .engine import ENGINES, EmulatorReplay, ReplayFinished, Step, replay
from .result import ReplayResult

__all__ = ["ENGINES", "EmulatorReplay", "ReplayFinished", "ReplayResult", "Step", "compare", "decide", "replay"]


class _CallablePackage(types.ModuleType):
    """``incidentsim.replay`` names both the README's function and this package. Binding the function
    to ``incidentsim.replay`` hides the package (``incidentsim.replay.engine`` fails), and renaming
    either breaks a public spelling; so the package itself is the callable, delegating to the function
    it holds (looked up on each call, so patching ``incidentsim.replay.replay`` is seen)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.replay(*args, **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:  # inspect.signature(incidentsim.replay): the function's
        return inspect.signature(self.replay)


sys.modules[__name__].__class__ = _CallablePackage
