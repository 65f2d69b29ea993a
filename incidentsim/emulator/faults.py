"""Seeded fault injection, so game days can rehearse throttling, 500s and retries."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = ("throttle", "server_error", "commit_then_fail")
#: The longest delay a fault rule may add to an answer (SDKs time out after 60 s by default).
MAX_LATENCY_S = 60.0


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
        for name in FAULT_KINDS:
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
                raise ValueError(f"fault probability {name!r} must be a number from 0 to 1, got {value!r}")
        if sum(getattr(self, name) for name in FAULT_KINDS) > 1.0:
            raise ValueError("fault probabilities of one operation must add up to at most 1")
        latency = self.latency_s
        if isinstance(latency, bool) or not isinstance(latency, (int, float)) or not 0 <= latency <= MAX_LATENCY_S:
            raise ValueError(f"latency_s must be a number of seconds from 0 to {MAX_LATENCY_S:g}, got {latency!r}")


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
        self._random = random.Random(self.seed)

    @property
    def enabled(self) -> bool:
        return bool(self.rules)

    def configure(self, rules: dict[str, Any] | None, seed: int | None = None) -> None:
        """Replace the rules; ``rules`` maps an operation name (or ``"*"``) to a
        :class:`FaultRule` or a dict of its fields.  ``None`` or ``{}`` turns faults off."""
        if rules is not None and not isinstance(rules, dict):
            raise ValueError(f"fault rules must map operation names to fault settings, got {type(rules).__name__}")
        from ..rules import botocore_model

        operations = set(botocore_model().operation_names)
        misnamed = sorted(str(name) for name in rules or {} if name != "*" and name not in operations)
        if misnamed:
            raise ValueError(
                f"no ssm-incidents operation is called {', '.join(misnamed)}; fault rules name operations such as StartIncident, or '*'"
            )
        parsed: dict[str, FaultRule] = {}
        for operation, rule in (rules or {}).items():
            if isinstance(rule, FaultRule):
                parsed[operation] = rule
            elif isinstance(rule, dict):
                unknown = set(rule) - set(FaultRule.__dataclass_fields__)
                if unknown:
                    raise ValueError(
                        f"unknown fault setting(s) {sorted(unknown)} for {operation!r}; "
                        f"expected some of {sorted(FaultRule.__dataclass_fields__)}"
                    )
                parsed[operation] = FaultRule(**rule)
            else:
                raise ValueError(f"fault rule for {operation!r} must be a mapping, got {type(rule).__name__}")
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
