"""How many examples the property and fuzz suites run.

The normal suite runs a few hundred per fuzz test; ``INCIDENTSIM_FUZZ=long`` runs the long profile
(thousands per test), e.g. ``INCIDENTSIM_FUZZ=long python -m pytest tests -k fuzz``.
"""

from __future__ import annotations

import os


def examples(normal: int, long: int) -> int:
    """``normal`` examples in the everyday suite, ``long`` under ``INCIDENTSIM_FUZZ=long``."""
    return long if os.environ.get("INCIDENTSIM_FUZZ", "").lower() == "long" else normal
