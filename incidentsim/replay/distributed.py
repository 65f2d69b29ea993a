"""The dask engine: the fast engine's answer for histories larger than one machine.

A replay's state falls apart into independent pieces.  An incident opens and
closes within one dedupe slot; an alarm's state changes resolve only the incidents
it fed; a clientToken stays with the requests that carry it.  Two rows can
influence each other only if a chain of shared alarms, dedupe slots and tokens
joins them.  So:

1. **Links** (one pass over the history, on the cluster): every partition decides
   its rows with the policy (:func:`~incidentsim.replay.decisions.decide_codes`)
   and reports, per alarm ARN, its row count, the dedupe slots its triggers use
   and any clientToken that another alarm might also send.
2. **Components** (on the client, over thousands of alarms, not millions of rows):
   alarms joined by a slot or a token form one component; components are packed
   into partitions of about ``partition_rows`` rows, largest first.
3. **Shuffle and scan**: the history is shuffled so that each component lands
   whole in one partition, and each partition runs the fast engine's compiled
   scan (:func:`~incidentsim.replay.fast.run_fast`) in time order.

The answer equals the fast engine's on the whole history, row for row: incident
ARNs come from the plan and the creating event, not from a global counter.  A
component bigger than ``partition_rows`` stays whole (one partition larger than
the others); :attr:`DaskReplayResult.meta` says how the history was split.
"""

from __future__ import annotations

import heapq
import json
import logging
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import rules
from ..datasets.schema import REQUIRED_COLUMNS, validate_alarm_frame
from ..emulator.models import EmulatorOptions
from ..policy import Policy
from .decisions import combine_codes, decide_codes
from ..constants import OUTCOMES
from .result import EVENT_RESULT_COLUMNS, SUMMARY_KEYS, ReplayResult, refusal_lines, summary_sentences

__all__ = ["DaskReplayResult", "DEFAULT_PARTITION_ROWS", "plan_partitions", "run_dask"]

#: Rows per partition the shuffle aims at (a component is never split, so one may hold more).
DEFAULT_PARTITION_ROWS = 250_000
_SEQ = "_incidentsim_seq"
_PART = "_incidentsim_part"
_TEXT = "string[pyarrow]"
_DEDUP_REASONS = ("", "client_token", "dedupe_string")


class DaskEngineError(ValueError):
    """The history or the options given to the dask engine cannot be replayed."""


def _dask() -> Any:
    try:
        import dask.dataframe as dd
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise DaskEngineError(
            "engine='dask' needs Dask: pip install 'incidentsim[dask]' (dask[dataframe] and distributed)"
        ) from error
    return dd


# ---------------------------------------------------------------------------- the history


def as_dask_history(history: Any) -> Any:
    """``history`` as a Dask DataFrame of AlarmFrame rows: a Dask DataFrame as it is, a pandas
    DataFrame in one partition, a path, directory or glob of Parquet files read lazily."""
    dd = _dask()
    if isinstance(history, dd.DataFrame):
        frame = history
    elif isinstance(history, pd.DataFrame):
        frame = dd.from_pandas(history, npartitions=1, sort=False)
    elif isinstance(history, (str, Path)) or (
        isinstance(history, (list, tuple)) and history and all(isinstance(p, (str, Path)) for p in history)
    ):
        paths = [str(p) for p in ([history] if isinstance(history, (str, Path)) else history)]
        for path in paths:
            if "://" not in path and not any(ch in path for ch in "*?[") and not Path(path).exists():
                raise DaskEngineError(f"{path}: no such file or directory (the dask engine reads a Parquet dataset)")
        try:
            frame = dd.read_parquet(paths if len(paths) > 1 else paths[0])
        except Exception as error:  # dask and pyarrow raise many kinds; the message names the file
            raise DaskEngineError(
                f"{', '.join(paths)}: not a readable Parquet dataset ({str(error).splitlines()[0]})"
            ) from None
    else:
        raise DaskEngineError(
            "the dask engine replays a Dask DataFrame, a pandas DataFrame or a Parquet path or glob; "
            f"got {type(history).__name__}"
        )
    missing = [column for column in REQUIRED_COLUMNS if column not in frame.columns]
    if missing:
        raise DaskEngineError(
            f"the history has no column(s) {', '.join(missing)}; an AlarmFrame needs {', '.join(REQUIRED_COLUMNS)}"
        )
    dropped = [column for column in frame.columns if column in EVENT_RESULT_COLUMNS or column in (_SEQ, _PART)]
    return frame.drop(columns=dropped) if dropped else frame


def _numbered(frame: pd.DataFrame, partition_info: dict[str, Any] | None = None) -> pd.DataFrame:
    """The partition with each row's place in the history: (partition number, row) as one int64."""
    number = int(partition_info["number"]) if partition_info else 0
    return frame.assign(**{_SEQ: (np.int64(number) << np.int64(32)) + np.arange(len(frame), dtype=np.int64)})


def _conformed(frame: pd.DataFrame) -> pd.DataFrame:
    """A partition as an AlarmFrame in history order (time, then place in the input)."""
    frame = frame.reset_index(drop=True)
    if _SEQ in frame.columns:
        frame = frame.sort_values(["timestamp", _SEQ], kind="stable", ignore_index=True).drop(columns=_SEQ)
    return validate_alarm_frame(frame.drop(columns=[c for c in (_PART,) if c in frame.columns]), sort=False)


# ---------------------------------------------------------------------------- links and components


_LINK_META = {"alarm_arn": "object", "link": "object", "rows": "int64"}


def _links(frame: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Per alarm ARN of one partition: its row count (link ""), the dedupe slots its triggers use
    ("s" + slot) and the clientTokens that could be shared with another alarm ("t" + token)."""
    if not len(frame):
        return pd.DataFrame({k: pd.Series([], dtype=v) for k, v in _LINK_META.items()})
    alarms = _conformed(frame)
    options = EmulatorOptions(**policy.emulator_options())
    decisions = decide_codes(alarms, policy)
    arn_codes, arns = decisions.columns.codes("alarm_arn")
    source_codes, sources = decisions.columns.codes("source")
    out_arn: list[Any] = []
    out_link: list[str] = []
    out_rows: list[int] = []
    counts = np.bincount(arn_codes, minlength=len(arns))
    for code in np.flatnonzero(counts).tolist():
        out_arn.append(arns[code])
        out_link.append("")
        out_rows.append(int(counts[code]))
    rows = np.flatnonzero(decisions.trigger)
    if len(rows):
        _, first = combine_codes([decisions.plan[rows], source_codes[rows], arn_codes[rows]])
        plans = policy.plans
        for position in rows[first].tolist():
            name = decisions.plan_names[decisions.plan[position]]
            arn = str(arns[arn_codes[position]])
            key = rules.dedupe_key(
                plans[name].dedupe_string,
                str(sources[source_codes[position]] or "aws.cloudwatch"),
                arn,
                options.trigger_dedupe,
            )
            if key is not None:
                out_arn.append(arn)
                out_link.append("s" + json.dumps(rules.dedupe_slot(key, name, options.dedupe_scope)))
                out_rows.append(0)
    strategy = policy.client_token.strategy
    if strategy == "template" and len(rows):
        token_rows = rows[decisions.token[rows] >= 0]
        if len(token_rows):
            pairs, first = combine_codes([decisions.token[token_rows], arn_codes[token_rows]])
            texts = decisions.token_texts()
            for position in token_rows[first].tolist():
                out_arn.append(arns[arn_codes[position]])
                out_link.append("t" + str(texts[decisions.token[position]]))
                out_rows.append(0)
    elif strategy == "per_event":
        # a redelivered record ("id#2") sends its first delivery's token; ids made from columns may repeat across alarms
        ids = alarms["event_id"].astype(str)
        marked = ids.str.contains("#", regex=False).to_numpy()
        for event_id, code in zip(ids[marked].tolist(), arn_codes[marked].tolist()):
            out_arn.append(arns[code])
            out_link.append("t" + event_id.split("#", 1)[0])
            out_rows.append(0)
    return pd.DataFrame(
        {
            "alarm_arn": pd.Series(out_arn, dtype=object).astype(str),
            "link": out_link,
            "rows": np.asarray(out_rows, dtype=np.int64),
        }
    )


def _ids_of(frame: pd.DataFrame, wanted: frozenset[str]) -> pd.DataFrame:
    """The rows of a partition whose event_id is one of ``wanted``, as (alarm ARN, "t" + id) links."""
    ids = frame["event_id"].astype(str)
    hit = ids.isin(wanted).to_numpy()
    return pd.DataFrame(
        {
            "alarm_arn": frame["alarm_arn"].astype(str).to_numpy()[hit],
            "link": ("t" + ids[hit]).to_numpy(dtype=object),
            "rows": np.zeros(int(hit.sum()), dtype=np.int64),
        }
    )


def plan_partitions(
    links: pd.DataFrame, partition_rows: int = DEFAULT_PARTITION_ROWS, npartitions: int | None = None
) -> tuple[dict[str, int], dict[str, Any]]:
    """Which partition each alarm ARN goes to, so that alarms joined by a dedupe slot or a token share one.

    Parameters
    ----------
    links : DataFrame
        ``alarm_arn``, ``link`` and ``rows`` as the links pass makes them (rows counted under link "").
    partition_rows : int
        Rows a partition aims at.
    npartitions : int, optional
        Exactly this many partitions (some may be empty when there are fewer components).

    Returns
    -------
    (dict, dict)
        Alarm ARN -> partition number, and figures about the split (``components``,
        ``largest_component_rows``, ``partitions``, ``rows_per_partition``).

    Examples
    --------
    >>> links = pd.DataFrame({"alarm_arn": ["a", "b", "c", "a", "b"], "link": ["", "", "", "s1", "s1"],
    ...                       "rows": [5, 3, 4, 0, 0]})
    >>> parts, figures = plan_partitions(links, partition_rows=6)
    >>> parts["a"] == parts["b"] != parts["c"], figures["components"], figures["rows_per_partition"]
    (True, 2, [8, 4])
    """
    arns = pd.unique(links["alarm_arn"].astype(str).to_numpy())
    index = {arn: k for k, arn in enumerate(arns.tolist())}
    parent = list(range(len(index)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    first_of: dict[str, int] = {}
    for arn, link in zip(links["alarm_arn"].astype(str).tolist(), links["link"].tolist()):
        if not link:
            continue
        k = index[arn]
        other = first_of.setdefault(link, k)
        a, b = root(k), root(other)
        if a != b:
            parent[max(a, b)] = min(a, b)
    roots = np.asarray([root(k) for k in range(len(index))], dtype=np.int64)
    counted = links[links["link"] == ""]
    rows = np.zeros(len(index), dtype=np.int64)
    np.add.at(
        rows,
        np.asarray([index[a] for a in counted["alarm_arn"].astype(str).tolist()], dtype=np.int64),
        counted["rows"].to_numpy(dtype=np.int64),
    )
    component_rows = np.bincount(roots, weights=rows, minlength=len(index)).astype(np.int64)
    components = np.unique(roots)
    total = int(rows.sum())
    if npartitions is None:
        npartitions = max(1, min(len(components), -(-total // max(1, int(partition_rows)))))
    # largest component first, each into the partition holding fewest rows so far (ties: the lowest number)
    heap = [(0, p) for p in range(npartitions)]
    part_of_root: dict[int, int] = {}
    load = [0] * npartitions
    for component in sorted(components.tolist(), key=lambda c: (-component_rows[c], c)):
        held, p = heapq.heappop(heap)
        part_of_root[component] = p
        load[p] = held + int(component_rows[component])
        heapq.heappush(heap, (load[p], p))
    parts = {arn: part_of_root[int(roots[k])] for arn, k in index.items()}
    figures = {
        "components": len(components),
        "largest_component_rows": int(component_rows.max()) if len(components) else 0,
        "partitions": npartitions,
        "rows_per_partition": load,
    }
    return parts, figures


def _assign(frame: pd.DataFrame, parts: Mapping[str, int]) -> pd.DataFrame:
    arns = frame["alarm_arn"].astype(str)
    part = arns.map(parts)
    if part.isna().any():  # pragma: no cover - every ARN was counted by the links pass
        raise DaskEngineError(
            f"alarm {arns[part.isna()].iloc[0]!r} appeared after the history was planned; was it changed meanwhile?"
        )
    return frame.assign(**{_PART: part.astype("int64").to_numpy()})


# ---------------------------------------------------------------------------- one partition


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    """A partition's table with the same dtypes in every partition: categoricals as Arrow strings,
    except ``outcome`` and ``dedup_reason`` (fixed categories)."""
    out = {}
    for column in table.columns:
        values = table[column]
        if column in ("outcome", "dedup_reason"):
            fixed = list(OUTCOMES) if column == "outcome" else list(_DEDUP_REASONS)
            if isinstance(values.dtype, pd.CategoricalDtype):
                out[column] = values.cat.set_categories(fixed).array
            else:
                out[column] = pd.Categorical(values.astype(str), categories=fixed)
        elif column == "alarm_names":
            out[column] = values.map(lambda names: ";".join(names)).astype(_TEXT)
        elif isinstance(values.dtype, pd.CategoricalDtype):
            out[column] = _arrow_text(values)
        elif values.dtype == object or isinstance(values.dtype, pd.StringDtype):
            out[column] = values.astype(_TEXT)
        else:
            out[column] = values
    return pd.DataFrame(out, index=pd.RangeIndex(len(table)))


def _arrow_text(values: pd.Series) -> pd.Series:
    """A categorical column as Arrow strings, decoded by Arrow from its codes (missing stays missing)."""
    import pyarrow as pa

    codes = values.cat.codes.to_numpy()
    dictionary = pa.array([str(c) for c in values.cat.categories.tolist()], type=pa.string())
    decoded = pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), dictionary).cast(pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(decoded), index=values.index)


def replay_partition(frame: pd.DataFrame, policy: Policy) -> ReplayResult:
    """The fast engine over one partition of the shuffled history (whole components, any order)."""
    from .fast import run_fast

    return run_fast(_conformed(frame), policy)


def _events_of(result: ReplayResult) -> pd.DataFrame:
    return _plain(result.events)


def _incidents_of(result: ReplayResult) -> pd.DataFrame:
    return _plain(result.incidents)


def _counts_of(result: ReplayResult) -> dict[str, Any]:
    by_plan = (
        result.incidents.groupby("response_plan", observed=True).size()
        if len(result.incidents)
        else pd.Series(dtype="int64")
    )
    return {
        "summary": result.summary(),
        "rejections": result.meta.get("rejections", []),
        "by_plan": {str(k): int(v) for k, v in by_plan.items()},
    }


def _read_incidents(folder: Path) -> pd.DataFrame:
    files = sorted(folder.glob("part.*.parquet"))
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True) if files else pd.DataFrame()


def _part_work(
    result: ReplayResult,
    number: int,
    wanted: Sequence[tuple[str, Mapping[str, Any]]],
    span: tuple[pd.Timestamp, pd.Timestamp] | None,
    writes: Sequence[str] | None,
) -> dict[str, Any]:
    """One partition's share of a pass: its counts, its part of each analysis wanted, its tables written."""
    from ..analysis import parts

    if writes is not None:
        name = f"part.{number:05d}.parquet"
        _events_of(result).to_parquet(Path(writes[0]) / name, index=False)
        _incidents_of(result).to_parquet(Path(writes[1]) / name, index=False)
    return {"counts": _counts_of(result), "analyses": [parts.part(n, result, span, kwargs) for n, kwargs in wanted]}


def _merge_counts(found: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    found = list(found)
    by_plan: dict[str, int] = {}
    for part in found:
        for plan, count in part["by_plan"].items():
            by_plan[plan] = by_plan.get(plan, 0) + count
    return {
        "summary": _sum_summaries(part["summary"] for part in found),
        "rejections": _sum_rejections(part["rejections"] for part in found),
        "by_plan": by_plan,
    }


def _sum_summaries(parts: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    total = {key: 0 for key in SUMMARY_KEYS if key != "dedup_ratio"}
    for part in parts:
        for key in total:
            total[key] += int(part[key])
    accepted = total["created"] + total["deduplicated"]
    return {**total, "dedup_ratio": round(total["deduplicated"] / accepted, 4) if accepted else 0.0}


def _sum_rejections(parts: Iterable[Sequence[Mapping[str, Any]]], keep: int = 10) -> list[dict[str, Any]]:
    merged: dict[tuple[str, ...], int] = {}
    for groups in parts:
        for group in groups:
            key = (group["outcome"], group["route"], group["error_code"], group["reason"])
            merged[key] = merged.get(key, 0) + int(group["triggers"])
    ordered = sorted(merged.items(), key=lambda item: (-item[1], *item[0]))[:keep]
    return [{"outcome": o, "route": r, "error_code": e, "reason": why, "triggers": n} for (o, r, e, why), n in ordered]


# ---------------------------------------------------------------------------- the result


class DaskReplayResult:
    """What a replay on a Dask cluster produced: lazy tables, summaries computed on the cluster.

    Attributes
    ----------
    events : dask.dataframe.DataFrame
        The events table, as :attr:`ReplayResult.events` documents it (text columns as Arrow
        strings), partition by partition: rows of one component in time order.
    incidents : dask.dataframe.DataFrame
        The incidents table; ``alarm_names`` is the names joined by ``;``.
    engine : str
        ``"dask"``.
    meta : dict
        How the history was split (``components``, ``partitions``, ``rows_per_partition``...).

    Each method that computes runs the replay's tasks again unless the result was
    :meth:`persist`-ed first; :meth:`to_parquet` writes everything in one pass.
    """

    engine = "dask"

    def __init__(
        self,
        parts: list[Any],
        policy_name: str,
        meta: dict[str, Any],
        events_meta: pd.DataFrame,
        incidents_meta: pd.DataFrame,
        client: Any = None,
        span: tuple[pd.Timestamp, pd.Timestamp] | None = None,
    ):
        self._parts = parts
        self._client = client
        self.span = span
        self._known: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}
        self._incident_frame: pd.DataFrame | None = None
        self._summary: dict[str, Any] | None = None
        self._by_plan: dict[str, int] = {}
        self._owns_client = False
        self.policy_name = policy_name
        self.meta = dict(meta)
        self._events_meta = events_meta
        self._incidents_meta = incidents_meta

    @property
    def npartitions(self) -> int:
        return len(self._parts)

    @property
    def events(self) -> Any:
        import dask
        import dask.dataframe as dd

        return dd.from_delayed(
            [dask.delayed(_events_of)(p) for p in self._parts], meta=self._events_meta, verify_meta=False
        )

    @property
    def incidents(self) -> Any:
        import dask
        import dask.dataframe as dd

        return dd.from_delayed(
            [dask.delayed(_incidents_of)(p) for p in self._parts], meta=self._incidents_meta, verify_meta=False
        )

    def persist(self) -> DaskReplayResult:
        """Keep every partition's result in the cluster's memory, so that further tables and summaries reuse it."""
        import dask

        self._parts = list(dask.persist(*self._parts, scheduler=self._client))
        return self

    def summary(self) -> dict[str, Any]:
        """The headline counts of :meth:`ReplayResult.summary`, summed on the cluster (once)."""
        if self._summary is None:
            self._compute_parts([])
        assert self._summary is not None
        return dict(self._summary)

    def summary_text(self) -> str:
        """The summary as the sentences of :meth:`ReplayResult.summary_text` (computed on the cluster)."""
        summary = self.summary()
        groups = self.meta.get("rejections", [])
        return summary_sentences(
            summary,
            self.policy_name,
            "dask",
            pd.Series(self._by_plan, dtype="int64"),
            lambda kind, total: refusal_lines([g for g in groups if g["outcome"] == kind], kind, total),
        )

    def compute(self) -> ReplayResult:
        """The whole result in this process as a :class:`ReplayResult` (for histories that fit in memory)."""
        import dask

        results = dask.compute(*self._parts, scheduler=self._client)
        events = pd.concat([r.events for r in results], ignore_index=True) if results else self._events_meta
        incidents = pd.concat([r.incidents for r in results], ignore_index=True) if results else self._incidents_meta
        events = events.sort_values("timestamp", kind="stable", ignore_index=True)
        incidents = incidents.sort_values(["creation_time", "incident_arn"], kind="stable", ignore_index=True)
        rejections = _sum_rejections(r.meta.get("rejections", []) for r in results)
        return ReplayResult(
            events=events,
            incidents=incidents,
            engine="dask",
            policy_name=self.policy_name,
            meta={**self.meta, "rejections": rejections},
        )

    def to_parquet(
        self,
        folder: str | Path,
        extra: Mapping[str, Any] | None = None,
        analyses: Sequence[tuple[str, Mapping[str, Any]]] = (),
        progress: bool = False,
    ) -> dict[str, Path]:
        """Write ``events.parquet/`` and ``incidents.parquet/`` (Parquet datasets, one file per partition)
        and ``summary.json`` into ``folder`` in one pass over the cluster, computing the event
        ``analyses`` (name and parameters, as :mod:`incidentsim.analysis.parts` names them) in the
        same pass; ``extra`` adds keys to summary.json; ``progress`` shows a bar of the partitions done.

        :meth:`ReplayResult.read` and ``incidentsim report`` read the folder back.
        """
        folder = Path(folder)
        paths = {
            "events": folder / "events.parquet",
            "incidents": folder / "incidents.parquet",
            "summary": folder / "summary.json",
        }
        for kind in ("events", "incidents"):
            if paths[kind].is_file():
                paths[kind].unlink()
            paths[kind].mkdir(parents=True, exist_ok=True)
            for old in paths[kind].glob("part.*.parquet"):
                old.unlink()
        self._compute_parts(list(analyses), writes=(str(paths["events"]), str(paths["incidents"])), progress=progress)
        if not self._parts:  # an empty history still leaves readable datasets
            self._events_meta.to_parquet(paths["events"] / "part.00000.parquet", index=False)
            self._incidents_meta.to_parquet(paths["incidents"] / "part.00000.parquet", index=False)
        self._incident_frame = _read_incidents(paths["incidents"])
        summary = {**self.summary(), "engine": "dask", "policy": self.policy_name, **self.meta, **dict(extra or {})}
        paths["summary"].write_text(json.dumps(summary, indent=2, default=str) + "\n")
        return paths

    # ------------------------------------------------------------------ analyses on the cluster

    def __incidentsim_analysis__(self, name: str, **kwargs: Any) -> Any:
        """The analysis ``name`` (an :mod:`incidentsim.analysis` function) of this result: the events'
        analyses partition by partition on the cluster, then combined; the incidents' analyses on the
        incidents table.  Each answer is kept, so asking again computes nothing."""
        from .. import analysis
        from ..analysis import parts

        key = (name, tuple(sorted(kwargs.items())))
        if key in self._known:
            return self._known[key]
        if name in parts.EVENT_ANALYSES:
            self._compute_parts([(name, kwargs)])
            return self._known[key]
        view = self._incident_view()
        if name == "headline":
            summary = self.summary()
            found = analysis.headline(view, **kwargs)
            found.update(events=summary["events"], triggers=summary["triggers"], dedup_ratio=summary["dedup_ratio"])
        else:
            found = getattr(analysis, name)(view, **kwargs)
        self._known[key] = found
        return found

    def _compute_parts(
        self,
        wanted: Sequence[tuple[str, Mapping[str, Any]]],
        writes: Sequence[str] | None = None,
        progress: bool = False,
    ) -> None:
        """Compute the event analyses ``wanted`` (and the counts) in one pass; with ``writes`` (two folders),
        write the tables there in the same pass."""
        import dask

        from ..analysis import parts

        tasks = [dask.delayed(_part_work)(p, k, wanted, self.span, writes) for k, p in enumerate(self._parts)]
        if progress and self._client is not None and hasattr(self._client, "compute") and tasks:
            from distributed import as_completed
            from tqdm.auto import tqdm

            futures = self._client.compute(tasks)
            for _ in tqdm(as_completed(futures), total=len(futures), unit="partition", desc="replay", file=sys.stderr):
                pass
            found = self._client.gather(futures)
        else:
            found = dask.compute(*tasks, scheduler=self._client)
        counts = _merge_counts(part["counts"] for part in found)
        self._summary = counts["summary"]
        self.meta["rejections"] = counts["rejections"]
        self._by_plan = counts["by_plan"]
        for k, (name, kwargs) in enumerate(wanted):
            key = (name, tuple(sorted(kwargs.items())))
            self._known[key] = parts.combine(name, [part["analyses"][k] for part in found], self.span, kwargs)

    def _incident_view(self) -> Any:
        from ..analysis.parts import Part

        if self._incident_frame is None:
            self._incident_frame = (
                self.incidents.compute(scheduler=self._client) if self._parts else self._incidents_meta
            )
        events = pd.DataFrame(
            {"timestamp": pd.Series([], dtype="datetime64[ns, UTC]"), "outcome": pd.Series([], dtype=object)}
        )
        return Part(events, self._incident_frame, self.span)

    def close(self) -> None:
        """Shut down the local cluster the replay started for itself (a client given to it stays open)."""
        if self._owns_client and self._client is not None:
            cluster = getattr(self._client, "cluster", None)
            self._client.close()
            if cluster is not None:
                cluster.close()
            self._owns_client = False

    def __repr__(self) -> str:
        return (
            f"DaskReplayResult(policy={self.policy_name!r}, partitions={self.npartitions}, "
            f"components={self.meta.get('components')}; lazy: call summary(), to_parquet() or compute())"
        )


# ---------------------------------------------------------------------------- the engine


#: A LocalCluster on loopback without a dashboard. Its scheduler still serves a small HTTP API (health,
#: metrics): on a free loopback port, not 8787, which another cluster on the machine may hold.
LOCAL_CLUSTER: dict[str, Any] = {
    "host": "127.0.0.1",
    "dashboard_address": None,
    "scheduler_kwargs": {"dashboard_address": "127.0.0.1:0"},
}


def _client(client: Any) -> tuple[Any, bool]:
    """The client to compute with: ``client``, else the process's default Dask client, else a new
    :class:`~distributed.LocalCluster` on loopback (kept for the life of the result); and whether it is new."""
    if client is not None:
        return client, False
    try:
        from distributed import Client, LocalCluster, default_client
    except ImportError:  # pragma: no cover - depends on the installation
        raise DaskEngineError("engine='dask' needs distributed: pip install 'incidentsim[dask]'") from None
    try:
        return default_client(), False
    except ValueError:
        pass
    logging.getLogger("distributed.shuffle._scheduler_plugin").setLevel(logging.ERROR)
    return Client(LocalCluster(processes=True, **LOCAL_CLUSTER)), True


def run_dask(
    history: Any,
    policy: Policy,
    *,
    client: Any = None,
    partition_rows: int = DEFAULT_PARTITION_ROWS,
    npartitions: int | None = None,
) -> DaskReplayResult:
    """Replay ``history`` under ``policy`` on a Dask cluster; see :func:`incidentsim.replay`.

    The links pass runs at once (it decides how to shuffle); the replay itself is lazy.
    """
    import dask

    if not isinstance(partition_rows, (int, np.integer)) or isinstance(partition_rows, bool) or partition_rows < 1:
        raise DaskEngineError(
            f"The 'partition_rows' parameter of replay must be an int >= 1. Got {partition_rows!r} instead."
        )
    if npartitions is not None and (
        not isinstance(npartitions, (int, np.integer)) or isinstance(npartitions, bool) or npartitions < 1
    ):
        raise DaskEngineError(
            f"The 'npartitions' parameter of replay must be an int >= 1 or None. Got {npartitions!r} instead."
        )
    frame = as_dask_history(history)
    client, made = _client(client)
    frame = frame.map_partitions(_numbered, meta={**frame.dtypes.to_dict(), _SEQ: "int64"})
    found, first, last = dask.compute(
        frame.map_partitions(_links, policy, meta=_LINK_META),
        frame["timestamp"].min(),
        frame["timestamp"].max(),
        scheduler=client,
    )
    span = None if pd.isna(first) else (_utc(first), _utc(last))
    if policy.client_token.strategy == "per_event":
        wanted = frozenset(t[1:] for t in found["link"].tolist() if t.startswith("t"))
        if wanted:
            (more,) = dask.compute(frame.map_partitions(_ids_of, wanted, meta=_LINK_META), scheduler=client)
            found = pd.concat([found, more], ignore_index=True)
    parts, figures = plan_partitions(found, partition_rows=partition_rows, npartitions=npartitions)
    total = int(found.loc[found["link"] == "", "rows"].sum())
    p = figures["partitions"]
    # the plan goes to the workers once, not inside every task (it has an entry per alarm)
    shared = dask.delayed(parts, traverse=False)
    assigned = frame.map_partitions(_assign, shared, meta={**frame.dtypes.to_dict(), _PART: "int64"})
    pieces = assigned.set_index(_PART, divisions=[*range(p), p - 1]).to_delayed() if total else []
    results = [dask.delayed(replay_partition)(piece, policy) for piece in pieces]
    sample = replay_partition(assigned._meta.iloc[:0], policy)
    meta = {**figures, "rows": total, "emulator": "none (dask engine)"}
    result = DaskReplayResult(results, policy.name, meta, _plain(sample.events), _plain(sample.incidents), client, span)
    result._owns_client = made
    return result


def _utc(moment: Any) -> pd.Timestamp:
    moment = pd.Timestamp(moment)
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
