"""One way to check a parameter: a constraints table per public function or class, one message.

In the manner of scikit-learn's ``validate_params``: a public function (or a Display's
``from_*`` method) states what each parameter may be in a table, and
:func:`validate_params` checks the arguments given before the body runs; a frozen
dataclass checks its fields with :func:`check_params` in ``__post_init__``.  Every
refusal is an :class:`InvalidParameterError` (a ``ValueError`` and a ``TypeError``, so
existing ``except ValueError`` callers keep working) worded one way::

    The 'freq' parameter of trigger_volume must be one of {15min, 1h, 1D, 1W}. Got '2h' instead.

A table maps each parameter name to a list of constraints; the value must meet at least
one.  A constraint is one of

- a :class:`Constraint` object: :class:`Interval`, :class:`Options`, :class:`Duration`,
  :class:`TimeZone`, :class:`HourWindow`, :class:`Table`;
- a type (or tuple of types): an instance of it (``bool`` is never an ``int`` here);
- ``None``: the value None;
- the builtin ``callable``: anything callable.

Checks that are not about one parameter's own value (one parameter against another, the
rows of a table) use the same message through :func:`parameter_error`.

Examples
--------
>>> from numbers import Integral
>>> @validate_params({"freq": [Options(("1h", "1D"))], "n": [Interval(Integral, 1, None)]})
... def count(freq="1D", n=10):
...     return freq, n
>>> count("1h", n=3)
('1h', 3)
>>> count("2h")
Traceback (most recent call last):
...
incidentsim.params.InvalidParameterError: The 'freq' parameter of count must be one of {1h, 1D}. Got '2h' instead.
>>> count(n=0)
Traceback (most recent call last):
...
incidentsim.params.InvalidParameterError: The 'n' parameter of count must be a positive integer. Got 0 instead.
"""

from __future__ import annotations

import datetime
import functools
import inspect
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from numbers import Integral, Real
from pathlib import PurePath
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

__all__ = [
    "Constraint",
    "Duration",
    "HourWindow",
    "InstanceOf",
    "Interval",
    "InvalidParameterError",
    "Options",
    "Table",
    "TimeZone",
    "check",
    "check_params",
    "parameter_error",
    "shown",
    "validate_params",
]

F = TypeVar("F", bound=Callable[..., Any])


class InvalidParameterError(ValueError, TypeError):
    """A parameter given a value it cannot take.

    Attributes
    ----------
    parameter : str
        The parameter's name, e.g. ``"freq"``.
    owner : str
        The function or class it belongs to, e.g. ``"trigger_volume"``.
    must : str
        What it must do, worded to follow "must": ``"be one of {15min, 1h, 1D, 1W}"``.
    got : str
        What it got, as the message shows it: ``"'2h'"``.
    """

    def __init__(self, parameter: str, owner: str, must: str, got: str):
        self.parameter, self.owner, self.must, self.got = parameter, owner, must, got
        super().__init__(f"The {parameter!r} parameter of {owner} must {must}. Got {got} instead.")

    @property
    def requirement(self) -> str:
        """The message without the parameter and owner, for a reader that names the place its own way
        (``"must be one of {account, response_plan}. Got 'galaxy' instead."``)."""
        return f"must {self.must}. Got {self.got} instead."

    @property
    def expectation(self) -> str:
        """The message as the readers of YAML files word a problem after their ``file:line key:`` mark
        (``"expected one of {account, response_plan}, got 'galaxy'"``)."""
        must = self.must[len("be ") :] if self.must.startswith("be ") else f"to {self.must}"
        return f"expected {must}, got {self.got}"


def parameter_error(parameter: str, owner: str, must: str, got: str) -> InvalidParameterError:
    """The one message builder: ``The 'parameter' parameter of owner must <must>. Got <got> instead.``

    For the checks a constraints table cannot state (one parameter against another, the
    rows of a table); ``got`` is already worded (use :func:`shown` for a value).
    """
    return InvalidParameterError(parameter, owner, must, got)


_SCALARS = (
    str,
    bytes,
    bool,
    int,
    float,
    complex,
    np.generic,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    pd.Timedelta,
    PurePath,
    type(None),
)


def shown(value: Any) -> str:
    """A value as messages show it: the repr of a plain value, the type name of anything bigger.

    Examples
    --------
    >>> shown("2h"), shown((9, 9)), shown(pd.DataFrame())
    ("'2h'", '(9, 9)', 'DataFrame')
    """
    if isinstance(value, _SCALARS) or (isinstance(value, (tuple, list, set, frozenset, dict)) and len(value) <= 10):
        text = repr(value)
        return text if len(text) <= 200 else text[:197] + "..."
    return type(value).__name__


def _listed(values: Iterable[Any]) -> str:
    return "{" + ", ".join(str(value) for value in values) + "}"


# ---------------------------------------------------------------------------- constraints


class Constraint:
    """What a parameter may be: :meth:`is_satisfied_by` a value, worded by ``str()`` to follow "must be"."""

    def is_satisfied_by(self, value: Any) -> bool:  # pragma: no cover - every constraint overrides it
        raise NotImplementedError

    def got(self, value: Any) -> str:
        """What a refused value is called in the message (the constraint that words it best is asked)."""
        return shown(value)


class InstanceOf(Constraint):
    """An instance of a type (a bare type in a table means this): ``InstanceOf(pd.DataFrame)`` -> "a DataFrame"."""

    def __init__(self, kind: type | tuple[type, ...]):
        self.kind = kind

    def is_satisfied_by(self, value: Any) -> bool:
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        if isinstance(value, (bool, np.bool_)) and bool not in kinds:
            return False
        return isinstance(value, kinds)

    def __str__(self) -> str:
        kinds = self.kind if isinstance(self.kind, tuple) else (self.kind,)
        names = [kind.__name__ for kind in kinds]
        return " or ".join(f"{'an' if name[0].lower() in 'aeiou' else 'a'} {name}" for name in names)


class _IsNone(Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return value is None

    def __str__(self) -> str:
        return "None"


class _Callable(Constraint):
    def is_satisfied_by(self, value: Any) -> bool:
        return callable(value)

    def __str__(self) -> str:
        return "a callable"


class Interval(Constraint):
    """A number between two bounds (None: unbounded); bools are no numbers.

    ``kind`` is ``numbers.Integral`` (whole numbers, NumPy's included) or ``numbers.Real``;
    ``closed`` says which bounds are included.

    Examples
    --------
    >>> str(Interval(Integral, 1, None)), str(Interval(Real, 0, 1, closed="right")), str(Interval(Integral, 0, 23))
    ('a positive integer', 'a number in (0, 1]', 'an integer in [0, 23]')
    """

    def __init__(
        self,
        kind: type,
        left: float | None,
        right: float | None,
        closed: Literal["both", "left", "right", "neither"] = "both",
    ):
        if kind not in (Integral, Real):
            raise TypeError("Interval takes numbers.Integral or numbers.Real")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, self.kind):
            return False
        if isinstance(value, (float, np.floating)) and math.isnan(value):
            return False
        number: Any = value  # an int, float or NumPy number: ordered against the bounds
        if self.left is not None and (
            number < self.left or (number == self.left and self.closed in ("right", "neither"))
        ):
            return False
        return not (
            self.right is not None
            and (number > self.right or (number == self.right and self.closed in ("left", "neither")))
        )

    def __str__(self) -> str:
        noun = "integer" if self.kind is Integral else "number"
        open_left = self.closed in ("right", "neither")
        if self.right is None and self.left is not None:
            if self.left == 0:
                return f"a positive {noun}" if open_left else f"a non-negative {noun}"
            if self.left == 1 and self.kind is Integral and not open_left:
                return "a positive integer"
            return f"a{'n' if noun == 'integer' else ''} {noun} {'>' if open_left else '>='} {self.left:g}"
        if self.left is None and self.right is None:
            return f"a{'n' if noun == 'integer' else ''} {noun}"
        low = "-inf" if self.left is None else f"{self.left:g}"
        left_bracket = "(" if open_left or self.left is None else "["
        right_bracket = ")" if self.closed in ("left", "neither") else "]"
        return f"a{'n' if noun == 'integer' else ''} {noun} in {left_bracket}{low}, {self.right:g}{right_bracket}"


class Options(Constraint):
    """One of a few values: ``Options(("1h", "1D"))`` -> "one of {1h, 1D}".

    A bool never stands in for a number, nor a number for a bool (``True == 1`` in Python).
    """

    def __init__(self, choices: Iterable[Any]):
        self.choices = tuple(choices)

    def is_satisfied_by(self, value: Any) -> bool:
        wants_bool = bool(self.choices) and isinstance(self.choices[0], bool)
        try:
            return isinstance(value, (bool, np.bool_)) == wants_bool and bool(value in self.choices)
        except (TypeError, ValueError):  # unhashable, incomparable or array-like
            return False

    def __str__(self) -> str:
        return f"one of {_listed(self.choices)}"


class Duration(Constraint):
    """A positive duration: text pandas reads (``"15min"``, ``"1h"``) or a Timedelta
    -> "a positive duration such as '1h'"."""

    def is_satisfied_by(self, value: Any) -> bool:
        if not isinstance(value, (str, pd.Timedelta, datetime.timedelta)):
            return False
        try:
            duration = pd.Timedelta(value)
        except (ValueError, TypeError):
            return False
        return not pd.isna(duration) and duration > pd.Timedelta(0)

    def __str__(self) -> str:
        return "a positive duration such as '1h'"


class TimeZone(Constraint):
    """An IANA time zone name (``"UTC"``, ``"Europe/London"``) -> "a time zone name such as 'Europe/London'"."""

    def is_satisfied_by(self, value: Any) -> bool:
        if not isinstance(value, str) or not value:
            return False
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return False
        return True

    def __str__(self) -> str:
        return "a time zone name such as 'Europe/London'"


class HourWindow(Constraint):
    """A ``(start, end)`` pair of whole hours 0..24 that differ, ``(0, 24)`` being the whole day and
    ``start > end`` wrapping past midnight -> "a (start, end) pair of different hours 0..24"."""

    def is_satisfied_by(self, value: Any) -> bool:
        return (
            isinstance(value, (tuple, list))
            and len(value) == 2
            and all(
                isinstance(hour, (int, np.integer)) and not isinstance(hour, bool) and 0 <= hour <= 24 for hour in value
            )
            and (value[0] % 24 != value[1] % 24 or (value[0], value[1]) == (0, 24))
        )

    def __str__(self) -> str:
        return "a (start, end) pair of different hours 0..24"


class Table(Constraint):
    """A DataFrame with some columns: ``Table(("start", "end"), what="a windows table")`` ->
    "a windows table, with columns {start, end}"; a table without some says which."""

    def __init__(self, columns: Sequence[str] = (), what: str = "a DataFrame"):
        self.columns, self.what = tuple(columns), what

    def missing(self, value: Any) -> list[str]:
        return [column for column in self.columns if column not in value.columns]

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, pd.DataFrame) and not self.missing(value)

    def got(self, value: Any) -> str:
        if isinstance(value, pd.DataFrame):
            return f"a table without {_listed(self.missing(value))}"
        return type(value).__name__

    def __str__(self) -> str:
        return f"{self.what}, with columns {_listed(self.columns)}" if self.columns else self.what


def _constraint(entry: Any) -> Constraint:
    if isinstance(entry, Constraint):
        return entry
    if entry is None:
        return _IsNone()
    if entry is callable:
        return _Callable()
    if isinstance(entry, type) or (isinstance(entry, tuple) and all(isinstance(kind, type) for kind in entry)):
        return InstanceOf(entry)
    raise TypeError(f"not a parameter constraint: {entry!r}")


def _constraints(table: Mapping[str, Sequence[Any]]) -> dict[str, tuple[Constraint, ...]]:
    return {name: tuple(_constraint(entry) for entry in entries) for name, entries in table.items()}


def check(value: Any, constraints: Sequence[Any], parameter: str, owner: str) -> None:
    """Raise :class:`InvalidParameterError` unless ``value`` meets one of ``constraints``.

    Examples
    --------
    >>> check("2h", [Options(("1h", "1D"))], "freq", "volumes")
    Traceback (most recent call last):
    ...
    incidentsim.params.InvalidParameterError: The 'freq' parameter of volumes must be one of {1h, 1D}. Got '2h' instead.
    """
    _check(value, tuple(_constraint(entry) for entry in constraints), parameter, owner)


def _check(value: Any, constraints: tuple[Constraint, ...], parameter: str, owner: str) -> None:
    if any(constraint.is_satisfied_by(value) for constraint in constraints):
        return
    words = [str(constraint) for constraint in constraints]
    words.sort(key=lambda word: word == "None")
    must = ", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0]
    wording = next((c for c in constraints if not isinstance(c, _IsNone)), constraints[0])
    raise InvalidParameterError(parameter, owner, f"be {must}", wording.got(value))


def check_params(values: Mapping[str, Any], table: Mapping[str, Sequence[Any]], owner: str) -> None:
    """Check each of ``values`` that ``table`` names (a dataclass's fields, in its ``__post_init__``).

    Examples
    --------
    >>> check_params({"n": -1}, {"n": [Interval(Integral, 0, None)]}, "top")
    Traceback (most recent call last):
    ...
    incidentsim.params.InvalidParameterError: The 'n' parameter of top must be a non-negative integer. Got -1 instead.
    """
    for name, constraints in _constraints(table).items():
        if name in values:
            _check(values[name], constraints, name, owner)


def validate_params(table: Mapping[str, Sequence[Any]], *, owner: str | None = None) -> Callable[[F], F]:
    """Check a function's arguments against ``table`` before it runs.

    Parameters
    ----------
    table : mapping of parameter name to list of constraints
        The value must meet one of its constraints (see the module's docstring).  Arguments
        left at their defaults are not checked; every parameter named must exist.
    owner : str, optional
        How messages name the function (default: its qualified name, e.g.
        ``TriggerVolumeDisplay.from_result``).

    Returns
    -------
    decorator
        The wrapped function keeps its name, signature and docstring; its table is
        ``__parameter_constraints__``.
    """
    constraints = _constraints(table)

    def decorate(function: F) -> F:
        signature = inspect.signature(function)
        unknown = set(constraints) - set(signature.parameters)
        if unknown:
            raise TypeError(f"{function.__qualname__} has no parameter(s) {sorted(unknown)} to validate")
        name = owner or function.__qualname__.replace("<locals>.", "")

        @functools.wraps(function)
        def checked(*args: Any, **kwargs: Any) -> Any:
            try:
                given = signature.bind(*args, **kwargs).arguments
            except TypeError:
                return function(*args, **kwargs)  # the call's own error, as Python words it
            for parameter, allowed in constraints.items():
                if parameter in given:
                    _check(given[parameter], allowed, parameter, name)
            return function(*args, **kwargs)

        checked.__parameter_constraints__ = constraints  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate
