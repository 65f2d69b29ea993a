"""Game-day scenarios: what to play, under which policy, how fast, with which faults.

A scenario is a YAML file::

    name: checkout-cascade
    description: The payments database overload of 18 April spreading to checkout and search.
    history:
      files: [alarm-events.jsonl]        # relative to this file; anything load_alarms reads
      start: 2024-04-18T13:50:00Z        # optional time slice, start included, end excluded
      end: 2024-04-18T17:00:00Z
      # optional, as load_alarms takes them (and `incidentsim load` as options): format, columns,
      # state_map, id_columns, start_column, end_column, name_template, time_origin, account_id,
      # region, event_source; e.g. for a table from another tool:
      #   columns: {timestamp: TimeStamp, state: Label}
      #   state_map: {0: OK, 1: ALARM}
      #   name_template: checkout-latency
    policy: sample-policy.yaml           # a policy file, or the policy itself inline
    speed: 60x                           # simulated seconds per wall second, or "max"
    seed: 7                              # fault draws; the same seed gives the same faults
    retries: {max_attempts: 5}           # botocore standard retry mode
    faults:                              # for every operation ...
      throttle: 0.05
      server_error: 0.05
      commit_then_fail: 0.05
      latency_s: 0.01
      operations:                        # ... or per operation (overrides the above for it)
        UpdateIncidentRecord: {server_error: 0.1}

Instead of ``history`` a scenario may list its ``events`` inline, each with
``timestamp``, ``alarm_name`` and ``state`` (and optionally ``account_id``,
``region``, ``reason``, ``namespace``, ``metric_name``).  Every problem is
reported with the file, line and key, e.g. ``storm.yaml:9 speed: expected ...``.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from ..emulator.faults import FAULT_KINDS, FaultRule
from ..params import InvalidParameterError
from .. import yamlfile
from ..policy import Policy, PolicyError

SCENARIO_KEYS = ("name", "description", "history", "events", "policy", "speed", "seed", "retries", "faults")
LOAD_KEYS = (
    "columns",
    "state_map",
    "id_columns",
    "start_column",
    "end_column",
    "name_template",
    "time_origin",
    "account_id",
    "region",
    "event_source",
)  # passed to load_alarms as they are
HISTORY_KEYS = ("files", "format", "start", "end", *LOAD_KEYS)
EVENT_KEYS = ("timestamp", "alarm_name", "state", "account_id", "region", "reason", "namespace", "metric_name")
STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
MAX_ATTEMPTS_LIMIT = 20


class ScenarioError(ValueError):
    """A scenario that cannot be played; the message names the file, line and key, and the problem."""


def _operation_names() -> tuple[str, ...]:
    import botocore.session

    return tuple(botocore.session.get_session().get_service_model("ssm-incidents").operation_names)


@dataclass(frozen=True, eq=False)
class Scenario:
    """A validated scenario, ready for :class:`~incidentsim.gameday.GameDay`.

    Attributes
    ----------
    name, description : str
    alarms : DataFrame
        The AlarmFrame to play (the slice of the history, or the inline events).
    policy : Policy
    speed : float
        Simulated seconds per wall-clock second; ``math.inf`` plays as fast as possible.
    seed : int
        Seeds the emulator's fault draws.
    faults : dict
        Operation name (or ``"*"``) -> :class:`~incidentsim.emulator.faults.FaultRule`.
    max_attempts : int
        botocore standard-mode attempts per call (first try included).
    source : str
        Where the scenario came from (its file name), for messages.
    loaded : dict
        The history's accounting: records read, loaded, rejected, skipped, and the rows the
        time slice left out.
    """

    name: str
    alarms: pd.DataFrame
    policy: Policy
    speed: float = 60.0
    seed: int = 0
    faults: dict[str, FaultRule] = field(default_factory=dict)
    max_attempts: int = 5
    description: str = ""
    source: str = "scenario"
    loaded: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_yaml(cls, path_or_text: str | Path) -> Scenario:
        """Load and validate a scenario file (or YAML text; relative paths are then taken from the working
        directory)."""
        is_text = isinstance(path_or_text, str) and "\n" in path_or_text
        if is_text:
            text, label, base = str(path_or_text), "scenario", Path.cwd()
        else:
            path = Path(path_or_text)
            if not path.is_file():
                raise ScenarioError(f"no such scenario file: {path}")
            text, label, base = path.read_text(encoding="utf-8"), path.name, path.resolve().parent
        try:
            document = yamlfile.read_document(text, label)
        except yamlfile.YamlFileError as problem:
            raise ScenarioError(str(problem)) from None
        return _Reader(label, document.lines, base).scenario({} if document.empty else document.data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base: str | Path = ".", source: str = "scenario") -> Scenario:
        """Validate plain data (as from YAML); relative paths are taken from ``base``."""
        return _Reader(source, {}, Path(base)).scenario(dict(data))

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some attributes changed (e.g. ``speed=math.inf``), validated again."""
        if "speed" in changes:
            changes["speed"] = parse_speed(changes["speed"], "speed")
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"Scenario has no attribute(s) {sorted(unknown)}")
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Scenario(**values)

    @property
    def span(self) -> pd.Timedelta:
        """Simulated time from the first to the last event."""
        if self.alarms.empty:
            return pd.Timedelta(0)
        return pd.Timestamp(self.alarms["timestamp"].iloc[-1]) - pd.Timestamp(self.alarms["timestamp"].iloc[0])

    @property
    def wall_duration_s(self) -> float:
        """How long playing takes at :attr:`speed`, without retries and latency (0 at "max")."""
        return 0.0 if math.isinf(self.speed) else self.span.total_seconds() / self.speed

    def fault_rules(self) -> dict[str, dict[str, float]]:
        """The fault rules as the emulator's control API takes them."""
        return {
            operation: {f.name: getattr(rule, f.name) for f in fields(rule)} for operation, rule in self.faults.items()
        }

    def fingerprint(self) -> str:
        """A hash of what is played and how (events, policy), so a resumed run can check it plays the same scenario."""
        digest = hashlib.sha256()
        digest.update("\n".join(self.alarms["event_id"].astype(str)).encode())
        digest.update(self.policy.to_yaml().encode())
        return digest.hexdigest()[:16]

    def describe(self) -> str:
        """One paragraph: what plays, how fast, with which faults."""
        speed = "as fast as possible" if math.isinf(self.speed) else f"at {self.speed:g}x"
        first = self.alarms["timestamp"].iloc[0] if len(self.alarms) else None
        minutes = int(self.span.total_seconds() // 60)
        when = (
            f" from {pd.Timestamp(first):%Y-%m-%d %H:%M} UTC over {minutes // 60} h {minutes % 60:02d} min"
            if first is not None
            else ""
        )
        faults = (
            "; ".join(
                f"{op}: "
                + ", ".join(
                    f"{name} {getattr(rule, name):g}" for name in (*FAULT_KINDS, "latency_s") if getattr(rule, name)
                )
                for op, rule in self.faults.items()
            )
            or "none"
        )
        return (
            f"Scenario '{self.name}': {len(self.alarms):,} alarm state changes{when}, played {speed} under policy "
            f"'{self.policy.name}'; faults: {faults}; up to {self.max_attempts} attempts per call (seed {self.seed})."
        )


def parse_speed(value: Any, where: str) -> float:
    """``60``, ``"60x"``, ``"max"`` or ``"asap"`` -> simulated seconds per wall second (``inf`` for max)."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("max", "asap", "as fast as possible", "inf"):
            return math.inf
        match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*x?", text)
        if match:
            value = float(match.group(1))
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ScenarioError(f"{where}: expected a speed such as 60, '60x' or 'max', got {value!r}")
    return float(value)


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file; see :mod:`incidentsim.gameday.scenario` for the format."""
    return Scenario.from_yaml(path)


def _yaml_hint(hint: str) -> str:
    """A loader's hint (see ``LoadError``) as scenario keys:
    ``columns.alarm_name`` -> ``history.columns: {alarm_name: COLUMN}``."""
    option, dot, key = hint.partition(".")
    value = "STATE" if option == "state_map" else "[COLUMN, ...]" if option == "id_columns" else "COLUMN"
    return f"history.{option}: {{{key}: {value}}}" if dot else f"history.{option}: {value}"


class _Reader:
    """Validates scenario data, naming the file, line and key of every problem."""

    def __init__(self, source: str, lines: Mapping[str, int], base: Path):
        self.source = source
        self.lines = lines
        self.base = base

    def where(self, path: str) -> str:
        return yamlfile.where(self.source, self.lines, path)

    def fail(self, path: str, problem: str) -> ScenarioError:
        return ScenarioError(yamlfile.located(self.where(path), problem))

    def mapping(self, value: Any, path: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path or "(top level)", f"expected a mapping, got {yamlfile.describe_value(value)}")
        for key in value:
            if key not in allowed:
                raise self.fail(
                    f"{path}.{key}" if path else str(key), f"unknown key; expected one of {', '.join(allowed)}"
                )
        return value

    def time(self, value: Any, path: str) -> pd.Timestamp:
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError):
            raise self.fail(path, f"expected a time such as 2024-04-18T14:05:00Z, got {value!r}") from None
        if stamp is pd.NaT:
            raise self.fail(path, f"expected a time, got {value!r}")
        return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")

    def scenario(self, data: Any) -> Scenario:
        data = self.mapping(data, "", SCENARIO_KEYS)
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.fail("name", f"a scenario needs a name (non-empty text), got {yamlfile.describe_value(name)}")
        description = data.get("description", "")
        if not isinstance(description, str):
            raise self.fail("description", f"expected text, got {yamlfile.describe_value(description)}")
        if ("history" in data) == ("events" in data):
            raise self.fail("(top level)", "give exactly one of 'history' (files to play) or 'events' (inline events)")
        alarms, loaded = self.history(data["history"]) if "history" in data else self.events(data["events"])
        if alarms.empty:
            raise self.fail(
                "history" if "history" in data else "events", "there is nothing to play: no alarm state changes"
            )
        if "policy" not in data:
            raise self.fail("(top level)", "a scenario needs a 'policy': a policy file or the policy inline")
        policy = self.policy(data["policy"])
        speed = parse_speed(data.get("speed", 60), self.where("speed"))
        seed = data.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise self.fail("seed", f"expected a whole number >= 0, got {yamlfile.describe_value(seed)}")
        retries = self.mapping(data.get("retries") or {}, "retries", ("max_attempts",))
        attempts = retries.get("max_attempts", 5)
        if isinstance(attempts, bool) or not isinstance(attempts, int) or not 1 <= attempts <= MAX_ATTEMPTS_LIMIT:
            raise self.fail(
                "retries.max_attempts",
                f"expected a whole number from 1 to {MAX_ATTEMPTS_LIMIT}, got {yamlfile.describe_value(attempts)}",
            )
        return Scenario(
            name=name.strip(),
            alarms=alarms,
            policy=policy,
            speed=speed,
            seed=seed,
            faults=self.faults(data.get("faults")),
            max_attempts=attempts,
            description=description.strip(),
            source=self.source,
            loaded=loaded,
        )

    def history(self, value: Any) -> tuple[pd.DataFrame, dict[str, int]]:
        from ..datasets.loaders import LoadError, ParameterError, load_alarms

        if isinstance(value, (str, list)):
            value = {"files": value}
        data = self.mapping(value, "history", HISTORY_KEYS)
        files = data.get("files")
        files = [files] if isinstance(files, str) else files
        if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
            raise self.fail(
                "history.files", f"expected a file name or a list of file names, got {yamlfile.describe_value(files)}"
            )
        paths = []
        for i, name in enumerate(files):
            path = (self.base / name).resolve()
            if not path.exists():
                raise self.fail(f"history.files[{i}]" if len(files) > 1 else "history.files", f"no such file: {path}")
            paths.append(path)
        fmt = data.get("format", "auto")
        if not isinstance(fmt, str):
            raise self.fail("history.format", f"expected a format name, got {yamlfile.describe_value(fmt)}")
        options = {key: data[key] for key in LOAD_KEYS if key in data}
        try:
            load = load_alarms(paths if len(paths) > 1 else paths[0], format=fmt, **options)
        except LoadError as error:
            raise self.fail("history.files", f"cannot be read: {error.worded(_yaml_hint)}") from None
        except ParameterError as error:
            raise self.fail(f"history.{error.parameter}", error.expectation) from None
        except ValueError as error:
            raise self.fail("history.files", str(error)) from None
        frame = load.alarms
        start = self.time(data["start"], "history.start") if "start" in data else None
        end = self.time(data["end"], "history.end") if "end" in data else None
        if start is not None and end is not None and end <= start:
            raise self.fail("history.end", f"the slice ends ({end}) at or before it starts ({start})")
        keep = pd.Series(True, index=frame.index)
        if start is not None:
            keep &= frame["timestamp"] >= start
        if end is not None:
            keep &= frame["timestamp"] < end
        counts = dict(load.counts)
        counts["outside_slice"] = int((~keep).sum())
        counts["played"] = int(keep.sum())
        return frame[keep].reset_index(drop=True), counts

    def events(self, value: Any) -> tuple[pd.DataFrame, dict[str, int]]:
        from ..datasets.loaders import LoadError, load_alarms

        if not isinstance(value, list) or not value:
            raise self.fail("events", f"expected a list of events, got {yamlfile.describe_value(value)}")
        rows = []
        for i, item in enumerate(value):
            path = f"events[{i}]"
            item = self.mapping(item, path, EVENT_KEYS)
            for required in ("timestamp", "alarm_name", "state"):
                if required not in item:
                    raise self.fail(path, f"an event needs '{required}'")
            if item["state"] not in STATES:
                raise self.fail(
                    f"{path}.state",
                    f"expected one of {', '.join(STATES)}, got {yamlfile.describe_value(item['state'])}",
                )
            if not isinstance(item["alarm_name"], str) or not item["alarm_name"]:
                raise self.fail(
                    f"{path}.alarm_name", f"expected non-empty text, got {yamlfile.describe_value(item['alarm_name'])}"
                )
            row = {key: str(v) for key, v in item.items()}
            row["timestamp"] = self.time(item["timestamp"], f"{path}.timestamp").isoformat()
            rows.append(row)
        frame = pd.DataFrame(rows)
        columns = {key: key for key in frame.columns}
        try:
            load = load_alarms(frame, format="table", columns=columns)
        except (LoadError, ValueError) as error:
            raise self.fail("events", str(error)) from None
        return load.alarms, {**load.counts, "outside_slice": 0, "played": len(load.alarms)}

    def policy(self, value: Any) -> Policy:
        try:
            if isinstance(value, str):
                path = self.base / value
                if not path.is_file():
                    raise self.fail("policy", f"no such policy file: {path}")
                return Policy.from_yaml(path)
            if isinstance(value, dict):
                sub_lines = {k[len("policy.") :]: v for k, v in self.lines.items() if k.startswith("policy.")}
                if "policy" in self.lines:
                    sub_lines[""] = self.lines["policy"]  # what the inline policy lacks is placed at its key
                return Policy.from_dict(value, source=f"{self.source} policy", lines=sub_lines)
        except PolicyError as error:
            raise ScenarioError(str(error)) from None
        raise self.fail(
            "policy", f"expected a policy file name or the policy as a mapping, got {yamlfile.describe_value(value)}"
        )

    def faults(self, value: Any) -> dict[str, FaultRule]:
        if value is None:
            return {}
        settings = (*FAULT_KINDS, "latency_s")
        data = self.mapping(value, "faults", (*settings, "operations"))
        rules: dict[str, FaultRule] = {}
        every = {k: v for k, v in data.items() if k in settings}
        if every:
            rules["*"] = self.rule(every, "faults")
        operations = self.mapping(data.get("operations") or {}, "faults.operations", _operation_names())
        for operation, rule in operations.items():
            path = f"faults.operations.{operation}"
            rules[operation] = self.rule(self.mapping(rule, path, settings), path)
        return rules

    def rule(self, data: dict[str, Any], path: str) -> FaultRule:
        for key, number in data.items():
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise self.fail(f"{path}.{key}", f"expected a number, got {yamlfile.describe_value(number)}")
        try:
            return FaultRule(**{k: float(v) for k, v in data.items()})
        except InvalidParameterError as error:
            place = f"{path}.{error.parameter}" if error.parameter in data else path
            raise self.fail(place, error.expectation) from None
        except TypeError as error:  # a key FaultRule does not take
            raise self.fail(path, str(error)) from None
