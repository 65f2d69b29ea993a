"""The integer codes the replay core works in: outcomes, dedup reasons, resolve strategies, row kinds."""

from __future__ import annotations

import numpy as np

#: outcome codes, in the order of :data:`incidentsim.constants.OUTCOMES`
CREATED, DEDUPLICATED, IGNORED, REJECTED, FAILED = 0, 1, 2, 3, 4
OUTCOME_CODES = {
    "created": CREATED,
    "deduplicated": DEDUPLICATED,
    "ignored": IGNORED,
    "rejected": REJECTED,
    "failed": FAILED,
}
#: dedup reason codes
NO_REASON, BY_TOKEN, BY_DEDUPE_STRING = 0, 1, 2
REASON_CODES = {"": NO_REASON, "client_token": BY_TOKEN, "dedupe_string": BY_DEDUPE_STRING}
#: resolve strategies
NEVER, ON_OK, AFTER = 0, 1, 2
RESOLVE_CODES = {"never": NEVER, "on_ok": ON_OK, "after": AFTER}
#: what a row is to the scan: nothing, a StartIncident call, or a call the service's validation refuses
QUIET, CALL, REFUSED = 0, 1, 2


def distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values of an integer array (``np.unique`` without its hash table, several times faster
    here)."""
    ordered = np.sort(values, kind="stable")
    if len(ordered) < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]
