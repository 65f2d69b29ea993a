"""The fast engine's loop: StartIncident's rules and the resolutions, compiled, over integer codes.

One pass over the rows in time order.  Per row it carries out due resolutions
(a binary heap ordered by (time, sequence), as the emulator engine's scheduler),
then, for a trigger, the clientToken rule of :func:`incidentsim.rules.token_verdict`
(compiled here from that very function), the OPEN incident of the dedupe slot or a
new incident, and the bookkeeping of which alarms fed which incident; then the
alarm's new state, which may schedule or cancel a resolution.

Everything is an array: the loop builds no Python object, and numba compiles it
once per machine (``cache=True``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from ..rules import TOKEN_CONFLICT, TOKEN_REPLAY, token_verdict
from .codes import (
    AFTER,
    BY_DEDUPE_STRING,
    BY_TOKEN,
    CALL,
    CREATED,
    DEDUPLICATED,
    ON_OK,
    REFUSED,
    REJECTED,
    RESOLVE_CODES,
)

_verdict = numba.njit(cache=True)(token_verdict)


@numba.njit(cache=True)
def _before(h_time, h_seq, a, b):  # pragma: no cover - compiled
    """Entry a is due before entry b: earlier, or as early and scheduled first."""
    return h_time[a] < h_time[b] or (h_time[a] == h_time[b] and h_seq[a] < h_seq[b])


@numba.njit(cache=True)
def _swap(h_time, h_seq, h_inc, a, b):  # pragma: no cover - compiled
    h_time[a], h_time[b] = h_time[b], h_time[a]
    h_seq[a], h_seq[b] = h_seq[b], h_seq[a]
    h_inc[a], h_inc[b] = h_inc[b], h_inc[a]


@numba.njit(cache=True)
def _push(h_time, h_seq, h_inc, size, when, seq, inc):  # pragma: no cover - compiled
    i = size
    h_time[i] = when
    h_seq[i] = seq
    h_inc[i] = inc
    while i > 0:
        parent = (i - 1) // 2
        if _before(h_time, h_seq, parent, i):
            break
        _swap(h_time, h_seq, h_inc, i, parent)
        i = parent
    return size + 1


@numba.njit(cache=True)
def _pop(h_time, h_seq, h_inc, size):  # pragma: no cover - compiled
    size -= 1
    _swap(h_time, h_seq, h_inc, 0, size)
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and _before(h_time, h_seq, child + 1, child):
            child += 1
        if _before(h_time, h_seq, i, child):
            break
        _swap(h_time, h_seq, h_inc, i, child)
        i = child
    return size


@numba.njit(cache=True)
def _schedule(h_time, h_seq, h_inc, size, when, seq, inc, fifo):  # pragma: no cover - compiled
    """Add a resolution: at the end of the queue when rows come in time order (a constant delay keeps it sorted),
    else to the heap."""
    if not fifo:
        return _push(h_time, h_seq, h_inc, size, when, seq, inc)
    h_time[size] = when
    h_seq[size] = seq
    h_inc[size] = inc
    return size + 1


@numba.njit(cache=True)
def _scan(
    times,
    kind,
    token,
    request,
    slot,
    alarm,
    alarming_row,
    n_tokens,
    n_slots,
    n_alarms,
    ttl,
    conflict,
    strategy,
    delay,
    after,
    fifo,
    capacity,
    outcome,
    reason,
    incident,
):  # pragma: no cover - compiled
    n = times.shape[0]
    # incidents, by number in order of creation
    inc_row = np.empty(n, np.int64)
    inc_created = np.empty(n, np.int64)
    inc_resolved = np.empty(n, np.int64)
    inc_slot = np.empty(n, np.int64)
    inc_pending = np.empty(n, np.int64)
    inc_alarming = np.zeros(n, np.int64)
    k = 0
    # the token store
    tok_known = np.zeros(n_tokens, np.bool_)
    tok_time = np.zeros(n_tokens, np.int64)
    tok_request = np.zeros(n_tokens, np.int64)
    tok_inc = np.zeros(n_tokens, np.int64)
    tok_first = np.full(n_tokens, -1, np.int64)
    slot_open = np.full(n_slots, -1, np.int64)
    # which alarms feed which open incident: a list per alarm, linked through arrays
    alarm_state = np.zeros(n_alarms, np.bool_)
    a_head = np.full(n_alarms, -1, np.int64)
    p_inc = np.empty(n, np.int64)
    p_next = np.empty(n, np.int64)
    n_pairs = 0
    # scheduled resolutions
    h_time = np.empty(capacity, np.int64)
    h_seq = np.empty(capacity, np.int64)
    h_inc = np.empty(capacity, np.int64)
    h_size = 0
    h_head = 0  # in time order, the queue is first in, first out; else a heap from position 0
    seq = 0
    for i in range(n + 1):
        last = i == n
        when = times[i] if not last else 0
        # resolutions due at or before this row (all of them after the last)
        while h_size > h_head and (last or h_time[h_head] <= when):
            due = h_time[h_head]
            s = h_seq[h_head]
            inc = h_inc[h_head]
            if fifo:
                h_head += 1
            else:
                h_size = _pop(h_time, h_seq, h_inc, h_size)
            if inc_pending[inc] != s or inc_resolved[inc] >= 0:
                continue  # cancelled, or superseded
            inc_pending[inc] = -1
            inc_resolved[inc] = due
            if inc_slot[inc] >= 0 and slot_open[inc_slot[inc]] == inc:
                slot_open[inc_slot[inc]] = -1
        if last:
            break
        a = alarm[i]
        if kind[i] == CALL:
            t = token[i]
            inc = -1
            refused = False
            created = False
            if t >= 0:
                verdict = _verdict(tok_known[t], float(when - tok_time[t]), ttl, tok_request[t] == request[i], conflict)
                if verdict == TOKEN_CONFLICT:
                    refused = True
                elif verdict == TOKEN_REPLAY:
                    inc = tok_inc[t]
            if refused:
                outcome[i] = REJECTED
            else:
                if inc < 0:
                    sl = slot[i]
                    if sl >= 0 and slot_open[sl] >= 0:
                        inc = slot_open[sl]
                    else:
                        inc = k
                        k += 1
                        created = True
                        inc_row[inc] = i
                        inc_created[inc] = when
                        inc_resolved[inc] = -1
                        inc_slot[inc] = sl
                        inc_pending[inc] = -1
                        if sl >= 0:
                            slot_open[sl] = inc
                        if strategy == AFTER:
                            seq += 1
                            inc_pending[inc] = seq
                            if h_size == capacity:
                                return (
                                    -1,
                                    inc_row[:0],
                                    inc_created[:0],
                                    inc_resolved[:0],
                                )  # full: the caller retries with more room
                            h_size = _schedule(h_time, h_seq, h_inc, h_size, when + after, seq, inc, fifo)
                    if t >= 0:
                        tok_known[t] = True
                        tok_time[t] = when
                        tok_request[t] = request[i]
                        tok_inc[t] = inc
                incident[i] = inc
                if created:
                    outcome[i] = CREATED
                else:
                    outcome[i] = DEDUPLICATED
                    reason[i] = BY_TOKEN if t >= 0 and tok_first[t] == inc else BY_DEDUPE_STRING
                if t >= 0 and tok_first[t] < 0:
                    tok_first[t] = inc
                # the alarm feeds the incident (an open one, once): look for it in the alarm's list of open
                # incidents (short: the incidents this alarm feeds now), dropping closed ones on the way
                if inc_resolved[inc] < 0:
                    known = False
                    if not created:
                        previous = -1
                        p = a_head[a]
                        while p >= 0:
                            following = p_next[p]
                            if inc_resolved[p_inc[p]] >= 0:
                                if previous < 0:
                                    a_head[a] = following
                                else:
                                    p_next[previous] = following
                            elif p_inc[p] == inc:
                                known = True
                                break
                            else:
                                previous = p
                            p = following
                    if not known:
                        p_inc[n_pairs] = inc
                        p_next[n_pairs] = a_head[a]
                        a_head[a] = n_pairs
                        n_pairs += 1
                        if alarm_state[a]:
                            inc_alarming[inc] += 1
        elif kind[i] == REFUSED:
            outcome[i] = REJECTED
        # the alarm's new state
        old = alarm_state[a]
        new = alarming_row[i]
        alarm_state[a] = new
        if strategy == ON_OK:
            previous = -1
            p = a_head[a]
            while p >= 0:
                inc = p_inc[p]
                following = p_next[p]
                if inc_resolved[inc] >= 0:  # closed: drop it from the alarm's list
                    if previous < 0:
                        a_head[a] = following
                    else:
                        p_next[previous] = following
                    p = following
                    continue
                if old and not new:
                    inc_alarming[inc] -= 1
                elif new and not old:
                    inc_alarming[inc] += 1
                if new:
                    inc_pending[inc] = -1  # back in ALARM: the responder keeps it open
                elif inc_pending[inc] < 0 and inc_alarming[inc] == 0:
                    seq += 1
                    inc_pending[inc] = seq
                    if h_size == capacity:
                        return (
                            -1,
                            inc_row[:0],
                            inc_created[:0],
                            inc_resolved[:0],
                        )  # full: the caller retries with more room
                    h_size = _schedule(h_time, h_seq, h_inc, h_size, when + delay, seq, inc, fifo)
                previous = p
                p = following
    return k, inc_row[:k].copy(), inc_created[:k].copy(), inc_resolved[:k].copy()


@numba.njit(cache=True)
def _first_appearance(codes, size):  # pragma: no cover - compiled
    remap = np.full(size, -1, np.int64)
    out = np.empty(codes.shape[0], np.int64)
    order = np.empty(size, np.int64)
    k = 0
    for i in range(codes.shape[0]):
        c = codes[i]
        if remap[c] < 0:
            remap[c] = k
            order[k] = c
            k += 1
        out[i] = remap[c]
    return out, order[:k].copy()


def first_appearance(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes (0..size-1) renumbered in order of first appearance, and the old code of each new one."""
    return _first_appearance(np.ascontiguousarray(codes, dtype=np.int64), int(size))


@dataclass(frozen=True)
class ScanResult:
    """What the scan found: per row an outcome, a dedup reason and an incident number (-1: none);
    per incident the row that created it, its creation time and its resolution time (-1: OPEN)."""

    outcome: np.ndarray
    reason: np.ndarray
    incident: np.ndarray
    incident_row: np.ndarray
    created_ns: np.ndarray
    resolved_ns: np.ndarray


def scan(
    times_ns: np.ndarray,
    kind: np.ndarray,
    token: np.ndarray,
    request: np.ndarray,
    slot: np.ndarray,
    alarm: np.ndarray,
    in_alarm: np.ndarray,
    *,
    outcome: np.ndarray,
    ttl_ns: int | None,
    conflict: bool,
    strategy: str,
    delay_ns: int = 0,
    after_ns: int = 0,
) -> ScanResult:
    """Run the compiled loop; ``outcome`` comes in with the rows already settled (ignored, rejected) and is filled
    in."""
    n = len(times_ns)
    n_tokens = int(token.max()) + 1 if n and token.max() >= 0 else 1
    n_slots = int(slot.max()) + 1 if n and slot.max() >= 0 else 1
    n_alarms = int(alarm.max()) + 1 if n else 1
    code = RESOLVE_CODES[strategy]
    in_order = bool(n < 2 or np.all(times_ns[1:] >= times_ns[:-1]))
    capacity = (
        n + 16
    )  # scheduled resolutions: one per incident, and a few more for alarms that flap; doubled when short
    while True:
        reason = np.zeros(n, dtype=np.int8)
        incident = np.full(n, -1, dtype=np.int64)
        filled = outcome.astype(np.int8, copy=True)
        k, rows, created, resolved = _scan(
            np.ascontiguousarray(times_ns, dtype=np.int64),
            np.ascontiguousarray(kind, dtype=np.int8),
            np.ascontiguousarray(token, dtype=np.int64),
            np.ascontiguousarray(request, dtype=np.int64),
            np.ascontiguousarray(slot, dtype=np.int64),
            np.ascontiguousarray(alarm, dtype=np.int64),
            np.ascontiguousarray(in_alarm, dtype=np.bool_),
            n_tokens,
            n_slots,
            n_alarms,
            float(ttl_ns) if ttl_ns is not None else -1.0,
            bool(conflict),
            code,
            int(delay_ns),
            int(after_ns),
            in_order,
            capacity,
            filled,
            reason,
            incident,
        )
        if k >= 0:
            break
        capacity *= 2
    outcome = filled
    return ScanResult(outcome, reason, incident, rows, created, resolved)
