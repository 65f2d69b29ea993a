"""How much the property, fuzz and real-data equality tests run: the everyday suite or the long profile.

The everyday suite (the README's test command) runs a few hundred examples per property or fuzz test and the
first 1,500 events of each Huawei set through both engines; ``INCIDENTSIM_FUZZ=long`` runs the long profile
(thousands of examples per test, the Huawei sets whole), e.g. ``INCIDENTSIM_FUZZ=long python -m pytest tests -m long``.
"""

from __future__ import annotations

import os


def long_profile() -> bool:
    """True under ``INCIDENTSIM_FUZZ=long``."""
    return os.environ.get("INCIDENTSIM_FUZZ", "").lower() == "long"


def examples(normal: int, long: int) -> int:
    """``normal`` examples (or events) in the everyday suite, ``long`` under ``INCIDENTSIM_FUZZ=long``."""
    return long if long_profile() else normal
