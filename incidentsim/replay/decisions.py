"""What a policy says about each state change, before any service call.

:func:`decide_codes` is pure (AlarmFrame and Policy in, :class:`Decisions` out):
which rows trigger ``StartIncident`` (a change into ALARM from another state, as
CloudWatch alarm actions fire), which route and response plan they take, and the
impact, title and clientToken the call carries.  Every engine starts from it;
:func:`decide` gives the same as a DataFrame of text.

Nothing is done per row in Python.  Text columns are turned into integer codes
once; each route's patterns are tested once per distinct value of a field; each
template is rendered once per distinct combination of the fields it uses; titles
and tokens are held as codes into small vocabularies, and per-row sentences are
written only when a table asks for them.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..policy import (
    TITLE_LIMIT,
    TOKEN_LIMIT,
    Pattern,
    Policy,
    Route,
    Template,
    TemplateRenderError,
    template_context,
)
from ..templating import template_variables
from .codes import distinct

DECISION_COLUMNS = (
    "trigger",  # bool: this row calls StartIncident
    "route",  # the route that matched ("" when none)
    "response_plan",  # the plan it goes to ("" when ignored)
    "impact",  # the impact sent (0: the plan's own, nothing sent)
    "title",  # the title sent ("" : the plan's own)
    "client_token",  # the token sent ("" : none)
    "decision_error",  # code of a problem found before any call ("" when none)
    "decision_note",  # why the row does not trigger, or what went wrong, in words
)

# why a row does not trigger (or what happened on the way), as codes; sentences in ``notes``
(
    NOTE_NONE,
    NOTE_NOT_ALARM,
    NOTE_STAYED,
    NOTE_SUPPRESSED,
    NOTE_ROUTE_IGNORES,
    NOTE_UNMATCHED,
    NOTE_TITLE_CUT,
    NOTE_ERROR,
) = range(8)

# template variable -> the AlarmFrame columns it is computed from
_TEMPLATE_SOURCES = {
    "alarm_name": ("alarm_name",),
    "alarm_arn": ("alarm_arn",),
    "account_id": ("account_id",),
    "region": ("region",),
    "namespace": ("namespace",),
    "metric_name": ("metric_name",),
    "dimensions": ("dimensions",),
    "reason": ("reason",),
    "state": ("state",),
    "previous_state": ("previous_state",),
    "source": ("source",),
    "timestamp": ("timestamp",),
    "time": ("timestamp",),
    "date": ("timestamp",),
    "response_plan": (),
}


# the AlarmFrame columns a template's context is made from (see incidentsim.policy.template_context)
_CONTEXT_COLUMNS = tuple(dict.fromkeys(c for columns in _TEMPLATE_SOURCES.values() for c in columns))


def column_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A text column as (int64 codes, object array of distinct texts); missing values read as ""."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy().astype(np.int64)
        texts = np.asarray([str(v) for v in values.cat.categories], dtype=object)
    else:
        if not isinstance(values.dtype, pd.StringDtype):
            values = values.fillna("").astype(str)
        found, uniques = pd.factorize(values, use_na_sentinel=True)
        codes, texts = found.astype(np.int64), np.asarray(uniques, dtype=object)
    if (codes < 0).any():
        texts = np.append(texts, "")
        codes = np.where(codes < 0, len(texts) - 1, codes)
    return codes, texts


def combine_codes(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes for the distinct combinations of several code arrays, and each combination's first position."""
    key = np.zeros(len(arrays[0]) if arrays else 0, dtype=np.int64)
    for codes in arrays:
        size = int(codes.max()) + 1 if len(codes) else 1
        if len(key) and int(key.max()) >= (2**62) // max(size, 1):
            key = pd.factorize(key)[0].astype(np.int64)
        key = key * size + codes
    dense, uniques = pd.factorize(key)
    dense = dense.astype(np.int64)
    first = np.full(len(uniques), len(dense), dtype=np.int64)
    np.minimum.at(first, dense, np.arange(len(dense), dtype=np.int64))
    return dense, first


class _Columns:
    """The AlarmFrame's text columns as codes, each computed once."""

    def __init__(self, alarms: pd.DataFrame):
        self.alarms = alarms
        self.cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        if column not in self.cache:
            if column in self.alarms.columns:
                values = self.alarms[column]
                if column == "timestamp":
                    values = values.astype("datetime64[ns, UTC]").astype("int64")
                    codes, uniques = pd.factorize(values)
                    self.cache[column] = (codes.astype(np.int64), np.asarray(uniques))
                else:
                    self.cache[column] = column_codes(values)
            else:
                self.cache[column] = (np.zeros(len(self.alarms), dtype=np.int64), np.asarray([""], dtype=object))
        return self.cache[column]

    def mask(self, match: dict[str, Pattern]) -> np.ndarray:
        """Rows where every field's pattern holds, testing each distinct value once."""
        result = np.ones(len(self.alarms), dtype=bool)
        for column, pattern in match.items():
            codes, uniques = self.codes(column)
            hits = np.fromiter((pattern.matches(str(u)) for u in uniques), dtype=bool, count=len(uniques))
            result &= hits[codes]
        return result


@dataclass
class Rendered:
    """A template over some rows: a code per row into ``texts``, or -1 and an error (by code in ``problems``)."""

    codes: np.ndarray
    texts: list[str]
    problems: dict[int, str] = field(default_factory=dict)


def render_codes(
    template: Template, columns: _Columns, rows: np.ndarray, plan: np.ndarray, plan_names: Sequence[str]
) -> Rendered:
    """Render ``template`` for the given rows, once per distinct input of the fields it uses.

    Returns codes per row (positions of ``rows``) into a vocabulary of distinct texts; a
    render that failed has code -1 and its message under ``problems`` by row position.
    """
    alarms = columns.alarms
    variables = template_variables(template.source)
    used = sorted({c for v in variables for c in _TEMPLATE_SOURCES.get(v, ()) if c in alarms.columns})
    if not len(rows):
        return Rendered(np.zeros(0, dtype=np.int64), [])
    keys = [columns.codes(c)[0][rows] for c in used] + [plan[rows].astype(np.int64)]
    inputs, first = combine_codes(keys)
    starts = rows[first]
    values = {c: columns.codes(c)[1][columns.codes(c)[0][starts]] for c in used}
    plans = np.asarray(plan_names, dtype=object)[plan[starts]]
    texts: dict[str, int] = {}
    code_of_input = np.empty(len(first), dtype=np.int64)
    problem_of_input: dict[int, str] = {}
    parts = _simple_parts(template.source)
    if parts is not None:  # literal text and plain fields: assembled without Jinja, checked against it once
        pieces = [
            np.full(len(first), part, dtype=object)
            if kind == "text"
            else (
                plans
                if part == "response_plan"
                else values.get(part, np.full(len(first), "", dtype=object)).astype(str).astype(object)
            )
            for kind, part in parts
        ]
        assembled = pieces[0] if len(pieces) == 1 else functools.reduce(np.add, pieces)
        if len(first) and assembled[0] != _render_one(template, values, plans, 0):
            parts = None
        else:
            for k, text in enumerate(assembled.tolist()):
                code_of_input[k] = texts.setdefault(text, len(texts))
    if parts is None:
        for k in range(len(first)):
            try:
                text = _render_one(template, values, plans, k)
            except TemplateRenderError as failure:
                code_of_input[k] = -1
                problem_of_input[k] = str(failure)
                continue
            code_of_input[k] = texts.setdefault(text, len(texts))
    codes = code_of_input[inputs]
    problems: dict[int, str] = {}
    if problem_of_input:
        for position in np.flatnonzero(codes < 0).tolist():
            problems[position] = problem_of_input[int(inputs[position])]
    return Rendered(codes, list(texts), problems)


_SIMPLE_FIELDS = frozenset(
    {
        "alarm_name",
        "alarm_arn",
        "account_id",
        "region",
        "namespace",
        "metric_name",
        "reason",
        "state",
        "previous_state",
        "source",
        "response_plan",
    }
)
_FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z_0-9]*)\s*\}\}")


def _simple_parts(source: str) -> list[tuple[str, str]] | None:
    """A template of literal text and ``{{ field }}`` of text fields only, as (kind, text) parts; else None."""
    if "\r" in source or source.endswith("\n"):
        return None
    parts: list[tuple[str, str]] = []
    position = 0
    for match in _FIELD.finditer(source):
        literal = source[position : match.start()]
        if match.group(1) not in _SIMPLE_FIELDS or "{" in literal or "}" in literal:
            return None
        if literal:
            parts.append(("text", literal))
        parts.append(("field", match.group(1)))
        position = match.end()
    rest = source[position:]
    if "{" in rest or "}" in rest:
        return None
    if rest:
        parts.append(("text", rest))
    return parts or None


def _render_one(template: Template, values: dict[str, np.ndarray], plans: np.ndarray, k: int) -> str:
    """Render for the k-th distinct input (its fields' values); the context's other fields are left empty."""
    record: dict[str, Any] = {c: "" for c in _CONTEXT_COLUMNS}
    record["dimensions"] = "{}"
    record["timestamp"] = pd.Timestamp(0, tz="UTC")
    for column, column_values in values.items():
        value = column_values[k]
        record[column] = pd.Timestamp(int(value), tz="UTC") if column == "timestamp" else value
    return template.render(template_context(record, str(plans[k])))


def route_impacts(route: Route, mask: np.ndarray, columns: _Columns, impact: np.ndarray) -> None:
    """Set the impact ``route`` sends on its rows (``mask``): the first of its rules that holds, else its own."""
    impact[mask] = route.impact or 0
    for rule in reversed(route.impact_rules):  # the first rule that holds wins
        impact[mask & columns.mask(rule.when)] = rule.impact


def place_titles(
    rendered: Rendered,
    rows: np.ndarray,
    titles: dict[str, int],
    overflow: str,
    title: np.ndarray,
    note: np.ndarray,
    cut_from: np.ndarray,
) -> None:
    """Put one route's rendered titles (for ``rows``) into the title codes, adding new texts to ``titles``: a title
    over the limit is cut when the policy truncates (and noted), an empty one leaves the plan's own (-1)."""
    remap = np.empty(len(rendered.texts), dtype=np.int64)
    for code, text in enumerate(rendered.texts):
        if len(text) > TITLE_LIMIT and overflow == "truncate":
            long_rows = rows[rendered.codes == code]
            note[long_rows] = NOTE_TITLE_CUT
            cut_from[long_rows] = len(text)
            text = text[: TITLE_LIMIT - 1] + "\u2026"
        remap[code] = -1 if text == "" else titles.setdefault(text, len(titles))
    ok = rendered.codes >= 0
    title[rows[ok]] = remap[rendered.codes[ok]]


def short_hash(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:12]


def _fit_token(text: str) -> str:
    return text if len(text) <= TOKEN_LIMIT else text[: TOKEN_LIMIT - 13] + "-" + short_hash(text)


@dataclass
class Decisions:
    """The policy's decisions for every row, as codes (see :func:`decide_codes`).

    Attributes
    ----------
    trigger : bool array
        The row calls StartIncident.
    route, plan : int arrays
        Codes into ``route_names`` and ``plan_names`` (-1: none).
    impact : int array
        The impact sent (0: the plan's own).
    title : int array
        Codes into ``titles`` (-1: the plan's own title is used).
    token : int array
        Codes into :meth:`token_texts` (-1: no token).
    note : int array
        Why a row does not trigger (``NOTE_*``); its sentence comes from :meth:`notes`.
    errors : dict
        Row position -> the message of a template that failed there (``decision_error`` TemplateError).
    """

    alarms: pd.DataFrame
    policy: Policy
    columns: _Columns
    trigger: np.ndarray
    route: np.ndarray
    route_names: list[str]
    plan: np.ndarray
    plan_names: list[str]
    impact: np.ndarray
    title: np.ndarray
    titles: list[str]
    token: np.ndarray
    note: np.ndarray
    errors: dict[int, str]
    _token_texts: Any = None  # a list, a Series, or a function that makes them
    _token_lengths: np.ndarray | None = None
    cut_from: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # a cut title's length, by row

    def __len__(self) -> int:
        return len(self.trigger)

    def token_texts(self) -> np.ndarray:
        """The distinct clientTokens, indexed by the codes in ``token``."""
        if callable(self._token_texts):
            self._token_texts = self._token_texts()
        if isinstance(self._token_texts, pd.Series):
            self._token_texts = self._token_texts.to_numpy(dtype=object)
        return np.asarray(self._token_texts if self._token_texts is not None else [], dtype=object)

    def token_lengths(self) -> np.ndarray:
        """The length of each distinct clientToken, by code (per-event tokens measured without making their texts)."""
        if self._token_lengths is None:
            texts = self._token_texts
            if isinstance(texts, pd.Series):
                self._token_lengths = texts.str.len().to_numpy(dtype=np.int64)
            elif callable(
                texts
            ):  # per-alarm-window tokens: at most 60 + 1 + 12 + 1 + 11 characters, always within the limit
                self._token_lengths = np.zeros(int(self.token.max()) + 1 if len(self.token) else 0, dtype=np.int64)
            else:
                self._token_lengths = np.asarray([len(t) for t in self.token_texts().tolist()], dtype=np.int64)
        return self._token_lengths

    @property
    def failed(self) -> np.ndarray:
        """Rows where a template failed: no call is made, the outcome is rejected."""
        failed = np.zeros(len(self), dtype=bool)
        if self.errors:
            failed[list(self.errors)] = True
        return failed

    def title_lengths(self) -> np.ndarray:
        return np.asarray([len(t) for t in self.titles], dtype=np.int64)

    def note_codes(self) -> tuple[np.ndarray, list[str]]:
        """Per row, a code into a list of distinct sentences: why it does not trigger, or what happened on the way."""
        n = len(self)
        codes = np.zeros(n, dtype=np.int64)
        texts: dict[str, int] = {"": 0}
        kinds = self.note

        def assign(rows: np.ndarray, keys: np.ndarray, sentence: Any) -> None:
            distinct, inverse = np.unique(keys, return_inverse=True)
            remap = np.asarray(
                [texts.setdefault(sentence(key), len(texts)) for key in distinct.tolist()], dtype=np.int64
            )
            codes[rows] = remap[inverse.ravel()]

        for kind in np.flatnonzero(np.bincount(kinds.astype(np.int64), minlength=1)).tolist():
            rows = np.flatnonzero(kinds == kind)
            if kind == NOTE_NOT_ALARM:
                state, states = self.columns.codes("state")
                previous, previous_states = self.columns.codes("previous_state")
                pair = previous[rows] * len(states) + state[rows]
                assign(
                    rows,
                    pair,
                    lambda key, to=states, was=previous_states: (
                        f"went from {was[key // len(to)]} to {to[key % len(to)]}; "
                        "only a change into ALARM starts an incident"
                    ),
                )
            elif kind == NOTE_STAYED:
                assign(
                    rows,
                    np.zeros(len(rows), dtype=np.int64),
                    lambda key: "stayed in ALARM; CloudWatch runs alarm actions only when the state changes",
                )
            elif kind == NOTE_SUPPRESSED:
                by, names = self.columns.codes("actions_suppressed_by")
                assign(
                    rows,
                    by[rows],
                    lambda key, by_name=names: (
                        f"entered ALARM with its actions suppressed by {by_name[key]}, so CloudWatch started nothing"
                    ),
                )
            elif kind == NOTE_ROUTE_IGNORES:
                assign(rows, self.route[rows], lambda key: f"route '{self.route_names[key]}' ignores this alarm")
            elif kind == NOTE_UNMATCHED:
                assign(
                    rows,
                    np.zeros(len(rows), dtype=np.int64),
                    lambda key: "no route matched and the policy ignores unmatched alarms",
                )
            elif kind == NOTE_TITLE_CUT:
                assign(rows, self.cut_from[rows], lambda key: f"title cut from {key} to {TITLE_LIMIT} characters")
        for position, problem in self.errors.items():
            codes[position] = texts.setdefault(problem, len(texts))
        return codes, list(texts)

    def notes(self) -> np.ndarray:
        """One sentence per row: why it does not trigger, or what happened on the way (object array)."""
        codes, texts = self.note_codes()
        return np.asarray(texts, dtype=object)[codes]

    def slice(self, lo: int, hi: int) -> Decisions:
        """The decisions of the rows ``lo:hi``."""
        if (lo, hi) == (0, len(self)):
            return self
        cut = {
            name: getattr(self, name)[lo:hi]
            for name in ("trigger", "route", "plan", "impact", "title", "token", "note", "cut_from")
        }
        alarms = self.alarms.iloc[lo:hi]
        columns = _Columns(alarms)
        columns.cache = {name: (codes[lo:hi], texts) for name, (codes, texts) in self.columns.cache.items()}
        return dataclasses.replace(
            self,
            alarms=alarms,
            columns=columns,
            errors={p - lo: m for p, m in self.errors.items() if lo <= p < hi},
            _token_texts=self.token_texts(),
            **cut,
        )

    def head(self, k: int) -> Decisions:
        """The decisions of the first ``k`` rows."""
        return self.slice(0, min(k, len(self)))

    def frame(self) -> pd.DataFrame:
        """The decisions as text columns (:data:`DECISION_COLUMNS`), indexed like the AlarmFrame."""
        failed = self.failed
        route = np.append(np.asarray(self.route_names, dtype=object), "")[self.route]
        plan = np.append(np.asarray(self.plan_names, dtype=object), "")[self.plan]
        title = np.append(np.asarray(self.titles, dtype=object), "")[self.title]
        token = np.append(self.token_texts(), "")[self.token]
        frame = pd.DataFrame(
            {
                "trigger": self.trigger,
                "route": route,
                "response_plan": plan,
                "impact": self.impact.astype(np.int64),
                "title": title,
                "client_token": token,
                "decision_error": np.where(failed, "TemplateError", ""),
                "decision_note": self.notes(),
            },
            index=self.alarms.index,
        )
        return frame[list(DECISION_COLUMNS)]


def token_codes(
    columns: _Columns, policy: Policy, rows: np.ndarray, plan: np.ndarray, plan_names: list[str], n: int
) -> tuple[np.ndarray, Any, dict[int, str]]:
    """Token codes per row (-1: none), their texts (or a function making them) and template errors by row."""
    alarms = columns.alarms
    strategy = policy.client_token
    token = np.full(n, -1, dtype=np.int64)
    if strategy.strategy == "none" or not len(rows):
        return token, [], {}
    if strategy.strategy == "per_event":
        # the record's id without its duplicate number: a redelivered event reuses its token
        ids = alarms["event_id"].iloc[rows].astype(str)
        if ids.str.contains("#", regex=False).any():
            codes, uniques = pd.factorize(ids.str.split("#", n=1).str[0], use_na_sentinel=False)
            token[rows] = codes
            return token, np.asarray(uniques, dtype=object), {}
        # event ids are unique (validate_alarm_frame): every token is its own
        token[rows] = np.arange(len(rows), dtype=np.int64)
        return token, ids.reset_index(drop=True), {}
    if strategy.strategy == "per_alarm_window":
        assert strategy.window is not None
        seconds = int(strategy.window.total_seconds())
        stamps = alarms["timestamp"].astype("datetime64[ns, UTC]").astype("int64").to_numpy()[rows] // 10**9
        window_start = stamps - stamps % seconds
        arn_codes, arns = columns.codes("alarm_arn")
        name_codes, names = columns.codes("alarm_name")
        pair, _ = combine_codes([arn_codes, name_codes])  # an ARN names one alarm; the pair keeps the text exact
        windows, first = combine_codes([pair[rows], window_start])
        token[rows] = windows

        def texts() -> list[str]:
            starts = rows[first]
            clean = {
                k: "".join(ch for ch in str(names[k]) if ch.isascii() and ch.isalnum())[:60]
                for k in distinct(name_codes[starts]).tolist()
            }
            digest = {k: short_hash(str(arns[k])) for k in distinct(arn_codes[starts]).tolist()}
            return [
                f"{clean[a]}-{digest[b]}-{w}"
                for a, b, w in zip(
                    name_codes[starts].tolist(), arn_codes[starts].tolist(), window_start[first].tolist()
                )
            ]

        return token, texts, {}
    assert strategy.template is not None
    rendered = render_codes(strategy.template, columns, rows, plan, plan_names)
    fitted = [_fit_token(text) for text in rendered.texts]
    vocabulary: dict[str, int] = {}
    remap = np.asarray([vocabulary.setdefault(text, len(vocabulary)) for text in fitted], dtype=np.int64)
    codes = np.where(rendered.codes >= 0, remap[np.maximum(rendered.codes, 0)] if len(remap) else -1, -1)
    if "" in vocabulary:  # an empty clientToken is no token: the request goes without one
        empty = vocabulary.pop("")
        codes = np.where(codes == empty, -1, np.where(codes > empty, codes - 1, codes))
    token[rows] = codes
    errors = {int(rows[position]): problem for position, problem in rendered.problems.items()}
    return token, list(vocabulary), errors


def decide_codes(alarms: pd.DataFrame, policy: Policy) -> Decisions:
    """The policy's decisions for every row of ``alarms`` (an AlarmFrame), as codes."""
    n = len(alarms)
    columns = _Columns(alarms)
    state_codes, states = columns.codes("state")
    previous_codes, previous_states = columns.codes("previous_state")
    in_alarm = (states == "ALARM")[state_codes] if n else np.zeros(0, dtype=bool)
    was_alarm = (previous_states == "ALARM")[previous_codes] if n else np.zeros(0, dtype=bool)
    if "actions_suppressed_by" in alarms.columns:
        suppressed_codes, suppressed_texts = columns.codes("actions_suppressed_by")
        suppressed = (suppressed_texts != "")[suppressed_codes]
    else:
        suppressed = np.zeros(n, dtype=bool)
    note = np.zeros(n, dtype=np.int8)
    note[~in_alarm] = NOTE_NOT_ALARM
    stayed = in_alarm & was_alarm
    note[stayed] = NOTE_STAYED
    held = in_alarm & ~was_alarm & suppressed
    note[held] = NOTE_SUPPRESSED
    candidate = in_alarm & ~was_alarm & ~suppressed

    plan_names = [plan.name for plan in policy.response_plans]
    plan_code = {name: k for k, name in enumerate(plan_names)}
    route_names = [route.name for route in policy.routes]
    route = np.full(n, -1, dtype=np.int64)
    plan = np.full(n, -1, dtype=np.int64)
    impact = np.zeros(n, dtype=np.int64)
    trigger = np.zeros(n, dtype=bool)
    remaining = candidate.copy()
    titled: list[tuple[Template, np.ndarray]] = []
    for k, rule in enumerate(policy.routes):
        mask = remaining & columns.mask(rule.match) if remaining.any() else remaining.copy()
        remaining &= ~mask
        route[mask] = k
        if rule.ignore:
            note[mask] = NOTE_ROUTE_IGNORES
            continue
        trigger |= mask
        plan[mask] = plan_code[str(rule.plan)]
        route_impacts(rule, mask, columns, impact)
        if rule.title is not None:
            titled.append((rule.title, np.flatnonzero(mask)))
    if policy.unmatched == "ignore":
        note[remaining] = NOTE_UNMATCHED
    else:
        trigger |= remaining
        plan[remaining] = plan_code[policy.unmatched]

    title = np.full(n, -1, dtype=np.int64)
    cut_from = np.zeros(n, dtype=np.int64)
    titles: dict[str, int] = {}
    errors: dict[int, str] = {}
    for template, rows in titled:
        rendered = render_codes(template, columns, rows, plan, plan_names)
        place_titles(rendered, rows, titles, policy.title_overflow, title, note, cut_from)
        for position, problem in rendered.problems.items():
            errors[int(rows[position])] = problem
    failed_title = np.zeros(n, dtype=bool)
    if errors:
        failed_title[list(errors)] = True
    token_rows = np.flatnonzero(trigger & ~failed_title)
    token, token_texts, token_errors = token_codes(columns, policy, token_rows, plan, plan_names, n)
    errors.update(token_errors)
    if errors:
        failed = np.zeros(n, dtype=bool)
        failed[list(errors)] = True
        note[failed] = NOTE_ERROR
        trigger &= ~failed
    return Decisions(
        alarms=alarms,
        policy=policy,
        columns=columns,
        trigger=trigger,
        route=route,
        route_names=route_names,
        plan=plan,
        plan_names=plan_names,
        impact=impact,
        title=title,
        titles=list(titles),
        token=token,
        note=note,
        errors=errors,
        _token_texts=token_texts,
        cut_from=cut_from,
    )


def decide(alarms: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """One row of decisions per AlarmFrame row (same index).

    Examples
    --------
    >>> from incidentsim.policy import Policy
    >>> policy = Policy.from_dict({"response_plans": [{"name": "web", "title": "Web", "impact": 3}],
    ...     "routes": [{"match": {"alarm_name": "web-*"}, "plan": "web", "impact": 2}]})
    >>> frame = pd.DataFrame([{"event_id": "e1", "timestamp": pd.Timestamp("2024-05-01", tz="UTC"),
    ...     "alarm_name": "web-5xx", "alarm_arn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:web-5xx",
    ...     "account_id": "123456789012", "region": "us-east-1", "state": "ALARM", "previous_state": "OK"}])
    >>> row = decide(frame, policy).iloc[0]
    >>> bool(row["trigger"]), row["response_plan"], int(row["impact"]), row["client_token"]
    (True, 'web', 2, 'e1')
    """
    return decide_codes(alarms, policy).frame()
