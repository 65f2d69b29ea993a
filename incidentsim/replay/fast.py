"""The fast engine: the emulator engine's answer without a service call per event.

It starts from the same decisions (:func:`~incidentsim.replay.decisions.decide_codes`),
turns every row into integer codes (its alarm, its dedupe slot, its clientToken and
the identity of its request) and plays StartIncident's rules over them in one
compiled pass (:mod:`incidentsim.replay.scan`), with the rules of
:mod:`incidentsim.rules`: the ``clientToken`` store first (same request ->
the stored incident; different request -> the stored incident or a
ConflictException, per ``token_mismatch``; tokens expire after
``client_token_ttl_s`` of simulated time), then the dedupe string (the plan's, else
the alarm ARN for ``aws.*`` sources, else one of the incident's own) against the OPEN
incidents of the account (or of the plan, with ``dedupe_scope: response_plan``),
else a new incident.  Requests the service would refuse are found with the
emulator's own model-driven validator, so the messages are the same.

Incident ARNs follow the real format but are synthetic: derived from the plan and
the creating event, stable for the same input.  Times go through the same rounding
the wire applies (milliseconds, as epoch seconds).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
import pandas as pd
import pyarrow as pa

from .. import rules
from ..emulator.core import DEFAULT_ACCOUNT_ID
from ..emulator.models import EmulatorOptions, token_conflict_message
from ..emulator.validation import validate_request
from ..policy import Policy
from .codes import CALL, IGNORED, QUIET, REFUSED, REJECTED
from .decisions import Decisions, combine_codes, decide_codes
from .result import ReplayResult
from .scan import ScanResult, scan
from .simulation import Outcomes, creation_order, event_table, fed_by, incident_table, rejections


@numba.njit(cache=True)
def _fnv1a(offsets, data, seed):  # pragma: no cover - compiled
    out = np.empty(offsets.shape[0] - 1, np.uint64)
    prime = np.uint64(0x100000001B3)
    for i in range(out.shape[0]):
        h = np.uint64(seed)
        for j in range(offsets[i], offsets[i + 1]):
            h = (h ^ np.uint64(data[j])) * prime
        h ^= h >> np.uint64(33)  # a final mix, so that near texts differ in every digit
        h *= np.uint64(0xFF51AFD7ED558CCD)
        h ^= h >> np.uint64(33)
        out[i] = h
    return out


def text_hashes(texts: pd.Series, seed: int) -> np.ndarray:
    """A 64-bit FNV-1a hash of each text's UTF-8 bytes (stable across runs, machines and versions)."""
    array = (
        pa.array(texts.astype(str).array).cast(pa.large_string())
        if len(texts)
        else pa.array([], type=pa.large_string())
    )
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset : array.offset + len(array) + 1]
    data = (
        np.frombuffer(array.buffers()[2], dtype=np.uint8) if array.buffers()[2] is not None else np.zeros(0, np.uint8)
    )
    return _fnv1a(offsets, data, np.uint64(seed))


def hex_ids(texts: pd.Series, salt: np.ndarray) -> list[str]:
    """An 8-4-4-4-12 lowercase hex id per text (128 bits of two seeded hashes, mixed with ``salt``)."""
    if not len(texts):
        return []
    first = text_hashes(texts, 0xCBF29CE484222325) ^ salt
    second = text_hashes(texts, 0x84222325CBF29CE4) ^ (salt * np.uint64(0x9E3779B97F4A7C15))
    raw = np.stack([first, second], axis=1).astype(">u8").view(np.uint8).reshape(-1, 16)
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    chars = np.empty((len(raw), 32), dtype=np.uint8)
    chars[:, 0::2] = digits[raw >> 4]
    chars[:, 1::2] = digits[raw & 15]
    out = np.full((len(raw), 36), ord("-"), dtype=np.uint8)
    for (a, b), start in zip(((0, 8), (8, 12), (12, 16), (16, 20), (20, 32)), (0, 9, 14, 19, 24)):
        out[:, start : start + b - a] = chars[:, a:b]
    return out.view("S36").ravel().astype(str).tolist()


def _plan_salt(names: list[str]) -> np.ndarray:
    if not names:
        return np.zeros(0, dtype=np.uint64)
    return text_hashes(pd.Series(names, dtype=object), 0x5A17)


def wire_times(nanoseconds: np.ndarray, missing: np.ndarray | None = None) -> pd.Series:
    """Times as a client reads them back: the service sends epoch seconds cut to milliseconds (NaT where
    ``missing``)."""
    floored = (nanoseconds // 10**6) * 10**6
    if missing is not None:
        floored = np.where(missing, np.iinfo(np.int64).min, floored)
    return pd.Series(pd.DatetimeIndex(floored.astype("datetime64[ns]")).tz_localize("UTC"))


class _Requests:
    """The StartIncident request of every triggering row, as codes."""

    def __init__(self, alarms: pd.DataFrame, decisions: Decisions, options: EmulatorOptions):
        self.alarms = alarms
        self.d = decisions
        self.options = options
        self.limits = rules.api_limits()
        self.alarm, self.arns = decisions.columns.codes("alarm_arn")
        source_codes, source_texts = decisions.columns.codes("source")
        self.source = source_codes
        self.sources = np.asarray([s or "aws.cloudwatch" for s in source_texts.tolist()], dtype=object)
        self.times = alarms["timestamp"].astype("datetime64[ns, UTC]").astype("int64").to_numpy()

    def raw(self, rows: np.ndarray) -> pd.Series:
        if "raw" not in self.alarms.columns:
            return pd.Series([""] * len(rows), dtype=object)
        return self.alarms["raw"].iloc[rows].fillna("").astype(str).str.slice(0, self.limits.raw_data)

    def refused(self) -> dict[int, str]:
        """Rows whose request the service's validation refuses, with its message (a column-wise pre-check first)."""
        d, limits = self.d, self.limits
        trigger = d.trigger
        title_long = np.append(d.title_lengths() > limits.title, False)[np.where(d.title < 0, len(d.titles), d.title)]
        suspect = trigger & title_long
        lengths = d.token_lengths()
        if len(lengths) and lengths.max() > limits.client_token:
            token_long = np.append(lengths > limits.client_token, False)
            suspect |= trigger & token_long[np.where(d.token < 0, len(lengths), d.token)]
        source_long = np.asarray([len(s) > limits.source for s in self.sources.tolist()], dtype=bool)
        suspect |= trigger & source_long[self.source]
        pattern = rules.trigger_arn_regex()
        bad_arn = np.asarray(
            [len(a) > limits.trigger_arn or not pattern.search(a) for a in self.arns.tolist()], dtype=bool
        )
        suspect |= trigger & bad_arn[self.alarm]
        rows = np.flatnonzero(suspect)
        if not len(rows):
            return {}
        operation = rules.botocore_model().operation_model("StartIncident")
        titles = np.asarray([*d.titles, None], dtype=object)
        tokens = np.asarray([*d.token_texts().tolist(), None], dtype=object)
        raws = self.raw(rows).tolist()
        refused: dict[int, str] = {}
        for position, raw in zip(rows.tolist(), raws):
            params: dict[str, Any] = {
                "responsePlanArn": (
                    f"arn:aws:ssm-incidents::{DEFAULT_ACCOUNT_ID}:response-plan/{d.plan_names[d.plan[position]]}"
                ),
                "triggerDetails": {
                    "source": self.sources[self.source[position]],
                    "triggerArn": self.arns[self.alarm[position]],
                    "timestamp": 0,
                    "rawData": raw,
                },
            }
            if tokens[d.token[position]]:
                params["clientToken"] = tokens[d.token[position]]
            if titles[d.title[position]]:
                params["title"] = titles[d.title[position]]
            message = validate_request(operation, params)
            if message:
                refused[position] = message
        return refused

    def slots(self) -> tuple[np.ndarray, list[str]]:
        """Per row, the dedupe slot whose OPEN incident absorbs it (-1: a key of its own); the keys by slot."""
        d = self.d
        n = len(d)
        slot = np.full(n, -1, dtype=np.int64)
        rows = np.flatnonzero(d.trigger)
        if not len(rows):
            return slot, []
        combos, first = combine_codes([d.plan[rows], self.source[rows], self.alarm[rows]])
        plans = self.d.policy.plans
        keys: dict[tuple[str, ...], int] = {}
        key_text: list[str] = []
        slot_of = np.full(len(first), -1, dtype=np.int64)
        for k, position in enumerate(rows[first].tolist()):
            name = d.plan_names[d.plan[position]]
            key = rules.dedupe_key(
                plans[name].dedupe_string,
                str(self.sources[self.source[position]]),
                str(self.arns[self.alarm[position]]),
                self.options.trigger_dedupe,
            )
            if key is None:
                continue
            place = rules.dedupe_slot(key, name, self.options.dedupe_scope)
            if place not in keys:
                keys[place] = len(keys)
                key_text.append(key)
            slot_of[k] = keys[place]
        slot[rows] = slot_of[combos]
        return slot, key_text

    def identities(self) -> np.ndarray:
        """Per row, a code equal for equal requests among the rows that share a clientToken (0 elsewhere)."""
        d = self.d
        request = np.zeros(len(d), dtype=np.int64)
        tokens = d.token[d.trigger]
        if not len(tokens) or tokens.max() < 0:
            return request
        counts = np.bincount(tokens[tokens >= 0])
        shared = d.trigger & (d.token >= 0)
        shared[shared] = counts[d.token[shared]] > 1
        rows = np.flatnonzero(shared)
        if not len(rows):
            return request
        raw_codes = pd.factorize(self.raw(rows).to_numpy(dtype=object))[0].astype(np.int64)
        parts = [
            d.plan[rows],
            d.title[rows] + 1,
            d.impact[rows],
            self.source[rows],
            self.alarm[rows],
            pd.factorize(self.times[rows] // 10**9)[0].astype(np.int64),
            raw_codes,
        ]
        request[rows] = combine_codes(parts)[0]
        return request


@dataclass
class Played:
    """One scan over the rows ``lo:hi`` of a :class:`Prepared` replay, with the errors the service answered."""

    lo: int
    hi: int
    found: ScanResult
    errors: dict[int, tuple[str, str]]  # by position in the slice


class Prepared:
    """A history and a policy made ready for the scan: the decisions and the requests as codes.

    :func:`run_fast` plays it once over every row; :class:`~incidentsim.replay.incremental.TuningReplay`
    keeps it, changes the parts a control touched, and plays any date range of it.
    """

    def __init__(self, alarms: pd.DataFrame, policy: Policy, decisions: Decisions | None = None):
        self.alarms = alarms
        self.policy = policy
        self.options = EmulatorOptions(**policy.emulator_options())
        self.d = decisions if decisions is not None else decide_codes(alarms, policy)
        self.requests = _Requests(alarms, self.d, self.options)
        state_codes, states = self.d.columns.codes("state")
        self.in_alarm = (states == "ALARM")[state_codes]
        self.slot, self.keys = self.requests.slots()
        self.refresh()

    def refresh(self) -> None:
        """Recompute what depends on titles, impacts and tokens: refused requests and request identities."""
        self.refused = self.requests.refused()
        self.kind = np.where(self.d.trigger, CALL, QUIET).astype(np.int8)
        if self.refused:
            self.kind[list(self.refused)] = REFUSED
        self.identity = self.requests.identities()

    def play(self, lo: int = 0, hi: int | None = None) -> Played:
        """Scan the rows ``lo:hi`` (a date range of the sorted history) under the policy's resolve strategy."""
        hi = len(self.d) if hi is None else hi
        d, policy, options = self.d, self.policy, self.options
        part = slice(lo, hi)
        outcome = np.full(hi - lo, IGNORED, dtype=np.int8)
        outcome[d.failed[part]] = REJECTED
        ttl = options.client_token_ttl_s
        resolve = policy.resolve
        found = scan(
            self.requests.times[part],
            self.kind[part],
            d.token[part],
            self.identity[part],
            self.slot[part],
            self.requests.alarm[part],
            self.in_alarm[part],
            outcome=outcome,
            ttl_ns=int(ttl * 10**9) if ttl is not None else None,
            conflict=options.token_mismatch == "conflict",
            strategy=resolve.strategy if resolve.strategy != "after" or resolve.after is not None else "never",
            delay_ns=int(resolve.delay.total_seconds() * 10**9),
            after_ns=int(resolve.after.total_seconds() * 10**9) if resolve.after is not None else 0,
        )
        errors = {
            position - lo: ("ValidationException", message)
            for position, message in self.refused.items()
            if lo <= position < hi
        }
        tokens = d.token_texts()
        kind = self.kind[part]
        for position in np.flatnonzero((found.outcome == REJECTED) & (kind == CALL)).tolist():
            errors[position] = (
                "ConflictException",
                token_conflict_message(str(tokens[d.token[lo + position]]), "StartIncident"),
            )
        return Played(lo, hi, found, errors)

    def incidents(self, played: Played) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """The incidents table of a play, and the ARN and dedupe string of each incident number."""
        d, found = self.d, played.found
        alarms = self.alarms.iloc[played.lo : played.hi]
        k = len(found.incident_row)
        creators = found.incident_row + played.lo
        plan_of = d.plan[creators]
        salt = _plan_salt(d.plan_names)
        event_ids = self.alarms["event_id"].iloc[creators].reset_index(drop=True)
        ids = hex_ids(event_ids, salt[plan_of] if k else np.zeros(0, np.uint64))
        names = np.asarray(d.plan_names, dtype=object)[plan_of] if k else np.zeros(0, dtype=object)
        arns = np.asarray(
            [
                f"arn:aws:ssm-incidents::{DEFAULT_ACCOUNT_ID}:incident-record/{p}/{i}"
                for p, i in zip(names.tolist(), ids)
            ],
            dtype=object,
        )
        slot_of = self.slot[creators]
        dedupe = np.asarray(self.keys + [""], dtype=object)[np.where(slot_of >= 0, slot_of, len(self.keys))]
        own = slot_of < 0  # a dedupe string of the incident's own, which nothing else matches
        if own.any():
            dedupe[own] = hex_ids(event_ids[own], np.full(int(own.sum()), 0x5EED, dtype=np.uint64))
        titles, impacts = self.incident_fields(creators)
        codes, texts = d.columns.codes("alarm_name")
        counts, alarm_names = fed_by(
            alarms, found.outcome, found.incident, k, names=(codes[played.lo : played.hi], texts)
        )
        ended = found.resolved_ns >= 0
        text = lambda values: pd.Series(values, dtype=object)  # noqa: E731 - the table's documented text dtype, kept as it is
        table = pd.DataFrame(
            {
                "incident_arn": text(arns),
                "response_plan": text(names),
                "title": text(titles),
                "impact": impacts,
                "status": text(np.where(ended, "RESOLVED", "OPEN").astype(object)),
                "creation_time": wire_times(found.created_ns),
                "resolved_time": wire_times(found.resolved_ns, missing=~ended),
                "trigger_count": counts,
                "dedupe_string": text(dedupe),
                "alarm_names": text(alarm_names),
            }
        )
        return incident_table(table, order=creation_order(found.created_ns // 10**6, arns)), arns, dedupe

    def incident_fields(self, creators: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Title and impact of the incidents created by these rows: the request's, else the plan's
        (rules.incident_*)."""
        d = self.d
        plans = self.policy.plans
        plan_of = d.plan[creators]
        plan_titles = np.asarray([plans[p].title for p in d.plan_names] + [""], dtype=object)
        plan_impacts = np.asarray([plans[p].impact for p in d.plan_names] + [0], dtype=np.int64)
        title_of = d.title[creators]
        titles = np.where(title_of >= 0, np.asarray([*d.titles, ""], dtype=object)[title_of], plan_titles[plan_of])
        impact_of = d.impact[creators]
        impacts = np.where(impact_of != 0, impact_of, plan_impacts[plan_of]).astype(np.int64)
        return titles.astype(object), impacts

    def result(self, played: Played) -> ReplayResult:
        """The ReplayResult of a play: the incidents table now, the events table's sentences when first read."""
        incidents, arns, dedupe = self.incidents(played)
        found = played.found
        done = Outcomes(found.outcome, found.reason, found.incident, arns, dedupe, played.errors)
        d = self.d if (played.lo, played.hi) == (0, len(self.d)) else self.d.slice(played.lo, played.hi)
        events, explain = event_table(self.alarms.iloc[played.lo : played.hi], d, done)
        return ReplayResult(
            events=events,
            incidents=incidents,
            engine="fast",
            policy_name=self.policy.name,
            meta={"emulator": "none (fast engine)", "rejections": rejections(d, done)},
            explain=explain,
        )


def run_fast(alarms: pd.DataFrame, policy: Policy, *, progress: bool = False) -> ReplayResult:
    """Replay ``alarms`` under ``policy`` without service calls; see :func:`incidentsim.replay`."""
    prepared = Prepared(alarms, policy)
    return prepared.result(prepared.play())
