"""Seeded fault injection, so game days can rehearse throttling, 500s and retries."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import Any

from ..params import Interval, check_params, parameter_error, shown, validate_params

FAULT_KINDS = ("throttle", "server_error", "commit_then_fail")
#: The longest delay a fault rule may add to an answer (SDKs time out after 60 s by default).
MAX_LATENCY_S = 60.0
_PROBABILITY = [Interval(Real, 0, 1)]
#: What each field of :class:`FaultRule` may be; the three probabilities also add up to at most 1.
FAULT_RULE_PARAMETERS: dict[str, list[Any]] = {
    **{kind: _PROBABILITY for kind in FAULT_KINDS},
    "latency_s": [Interval(Real, 0, MAX_LATENCY_S)],
}
#: What the parameters of :class:`FaultInjector` and :meth:`FaultInjector.configure` may be.
FAULT_INJECTOR_PARAMETERS: dict[str, list[Any]] = {
    "rules": [dict, None],
    "seed": [Interval(Integral, None, None)],
}


@dataclass(frozen=True)
class FaultRule:
    """Probabilities of each fault for one operation (or for every operation, ``"*"``).

    ``throttle`` answers ``ThrottlingException`` (429) and ``server_error``
    ``InternalServerException`` (500) before the operation runs; with
    ``commit_then_fail`` the operation runs and commits, then the caller gets a 500
    anyway, as when a response is lost on the way back.  ``latency_s`` delays
    every answer of the operation.
    """

    throttle: float = 0.0
    server_error: float = 0.0
    commit_then_fail: float = 0.0
    latency_s: float = 0.0

    def __post_init__(self) -> None:
        check_params(
            {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}, FAULT_RULE_PARAMETERS, "FaultRule"
        )
        total = 0.0
        for kind in FAULT_KINDS:
            value = getattr(self, kind)
            if total + value > 1.0:
                raise parameter_error(
                    kind,
                    "FaultRule",
                    "add up to at most 1 with the other fault probabilities",
                    f"{shown(value)} ({total + value:g} in all)",
                )
            total += value


@dataclass
class FaultInjector:
    """Draws faults per call from a seeded generator; off until rules are set.

    The same seed and the same sequence of calls give the same faults.

    Examples
    --------
    >>> injector = FaultInjector()
    >>> injector.configure({"StartIncident": {"throttle": 1.0}}, seed=7)
    >>> injector.draw("StartIncident"), injector.draw("GetIncidentRecord")
    ('throttle', None)
    >>> injector.injected["throttle"]
    1
    """

    rules: dict[str, FaultRule] = field(default_factory=dict)
    seed: int = 0
    injected: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        check_params({"seed": self.seed}, FAULT_INJECTOR_PARAMETERS, "FaultInjector")
        self._random = random.Random(self.seed)

    @property
    def enabled(self) -> bool:
        return bool(self.rules)

    @validate_params({"rules": FAULT_INJECTOR_PARAMETERS["rules"], "seed": [*FAULT_INJECTOR_PARAMETERS["seed"], None]})
    def configure(self, rules: dict[str, Any] | None, seed: int | None = None) -> None:
        """Replace the rules, and the seed when one is given.

        Parameters
        ----------
        rules : dict or None
            An operation name (or ``"*"``, every operation) to a :class:`FaultRule` or a dict of
            its fields, e.g. ``{"StartIncident": {"throttle": 0.2}}``.  ``None`` or ``{}`` turns
            faults off.
        seed : int, optional
            The generator's seed; by default the one it has.
        """
        from ..rules import botocore_model

        owner = "FaultInjector.configure"
        operations = set(botocore_model().operation_names)
        misnamed = [name for name in rules or {} if name != "*" and name not in operations]
        if misnamed:
            raise parameter_error(
                "rules", owner, "name ssm-incidents operations such as StartIncident, or '*'", shown(misnamed[0])
            )
        settings = [f.name for f in dataclasses.fields(FaultRule)]
        parsed: dict[str, FaultRule] = {}
        for operation, rule in (rules or {}).items():
            if isinstance(rule, FaultRule):
                parsed[operation] = rule
            elif isinstance(rule, dict):
                unknown = [name for name in rule if name not in settings]
                if unknown:
                    raise parameter_error(
                        "rules",
                        owner,
                        f"give {operation!r} fault settings among {{{', '.join(settings)}}}",
                        shown(unknown[0]),
                    )
                parsed[operation] = FaultRule(**rule)
            else:
                raise parameter_error(
                    "rules", owner, f"map {operation!r} to a FaultRule or a dict of its fields", shown(rule)
                )
        self.rules = parsed
        if seed is not None:
            self.seed = seed
        self._random = random.Random(self.seed)
        self.injected = Counter()

    def rule_for(self, operation: str) -> FaultRule | None:
        return self.rules.get(operation) or self.rules.get("*")

    def draw(self, operation: str) -> str | None:
        """The fault to inject into this call of ``operation``, or None."""
        rule = self.rule_for(operation)
        if rule is None:
            return None
        roll = self._random.random()
        for kind in FAULT_KINDS:
            probability = getattr(rule, kind)
            if roll < probability:
                self.injected[kind] += 1
                return kind
            roll -= probability
        return None

    def describe(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "rules": {op: vars(rule).copy() for op, rule in self.rules.items()},
            "injected": dict(self.injected),
        }
