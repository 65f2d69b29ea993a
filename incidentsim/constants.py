"""The vocabulary the replay, the analysis and the plots share, defined once.

This module imports nothing, so any module along the data flow (loaders, policy, replay,
analysis, plots) can take its names from here without a cycle.

Examples
--------
>>> from incidentsim.constants import IMPACT_LABELS, OUTCOMES
>>> OUTCOMES[0], IMPACT_LABELS[1]
('created', 'Critical')
"""

from __future__ import annotations

__all__ = ["FREQS", "IMPACTS", "IMPACT_LABELS", "OUTCOMES", "TRIGGER_OUTCOMES"]

#: What a replayed row came to, in the order the tables show them (and the replay core's codes follow).
OUTCOMES = ("created", "deduplicated", "ignored", "rejected", "failed")
#: Outcomes of a row that reached (or was meant to reach) StartIncident.
TRIGGER_OUTCOMES = ("created", "deduplicated", "rejected", "failed")
#: Incident Manager's impact scale, 1 (most severe) to 5.
IMPACTS = (1, 2, 3, 4, 5)
#: The name of each impact level (the one mapping: figures derive their legend text from it).
IMPACT_LABELS = {1: "Critical", 2: "High", 3: "Medium", 4: "Low", 5: "No impact"}
#: Period lengths the volume tables and figures accept.
FREQS = ("15min", "1h", "1D", "1W")
