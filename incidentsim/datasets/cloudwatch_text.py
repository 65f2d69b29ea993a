"""CloudWatch's own wording: the reasons and timestamps of alarm states, as CloudWatch writes them.

One place for the texts that both the alarm evaluation (:mod:`.evaluation`) and the sample
generator (:mod:`.synthetic`) produce, so the two cannot drift apart. Pure string functions:
no state, no IO.

The texts follow real alarm histories and events (the ``Threshold Crossed: ...`` strings, the
``Insufficient Data`` and composite-alarm reasons); the sentences for partly filled
evaluations are modelled on the real ones.

Examples
--------
>>> from datetime import datetime, timezone
>>> when = datetime(2024, 4, 14, 10, 15, tzinfo=timezone.utc)
>>> reason = threshold_crossed_reason([(95.0, when)], evaluation_periods=1, minimum=1,
...                                   comparison_operator="GreaterThanThreshold", threshold=70, to_alarm=True)
>>> reason == ("Threshold Crossed: 1 out of the last 1 datapoints [95.0 (14/04/24 10:15:00)] was greater than the "
...            "threshold (70.0) (minimum 1 datapoint for OK -> ALARM transition).")
True
>>> insufficient_data_reason(3), state_timestamp(when)
('Insufficient Data: 3 datapoints were unknown.', '2024-04-14T10:15:00.000+0000')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

__all__ = [
    "COMPARISON_WORDS",
    "INITIAL_REASON",
    "composite_created_reason",
    "composite_transition_reason",
    "datapoint_time",
    "insufficient_data_reason",
    "java_double",
    "long_time",
    "no_datapoints_reason",
    "state_timestamp",
    "threshold_crossed_reason",
]

#: The reason of a new alarm's first state (INSUFFICIENT_DATA).
INITIAL_REASON = "Unchecked: Initial alarm creation"
#: How a reason words each static-threshold comparison operator.
COMPARISON_WORDS = {
    "GreaterThanThreshold": "greater than",
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _plural(count: int, singular: str, plural: str) -> str:
    return singular if count == 1 else plural


def java_double(value: float) -> str:
    """A number as CloudWatch writes it in reasons (Java's ``Double.toString``): ``70.0``, ``1.2345E7``.

    A value as given keeps its digits (``99.50160229693434``), but binary float noise from
    arithmetic or from the file it was read from (``99.24799999999999``, ``51.846000000000004``) is
    dropped: a value that 15 significant digits round to a number of at most 12 is written as that
    number, the datapoint as it was published.

    Examples
    --------
    >>> java_double(70), java_double(99.50160229693434), java_double(12345000.0), java_double(0.0001)
    ('70.0', '99.50160229693434', '1.2345E7', '1.0E-4')
    >>> java_double(99.24799999999999), java_double(0.1 + 0.2), java_double(51846000.000000004)
    ('99.248', '0.3', '5.1846E7')
    """
    x = float(value)
    if math.isfinite(x) and float(f"{x:.12g}") == float(f"{x:.15g}"):
        x = float(f"{x:.12g}")
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    if 1e-3 <= abs(x) < 1e7:
        return repr(x)
    sign, digits, exponent = Decimal(repr(x)).normalize().as_tuple()
    assert isinstance(exponent, int)
    scientific = len(digits) - 1 + exponent
    mantissa = "".join(str(d) for d in digits[1:]) or "0"
    return f"{'-' if sign else ''}{digits[0]}.{mantissa}E{scientific}"


def state_timestamp(when: datetime) -> str:
    """``2024-04-01T09:05:12.345+0000``: a time as an alarm state's ``timestamp`` (and reason data) write it."""
    return f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 1000:03d}+0000"


def datapoint_time(when: datetime) -> str:
    """``01/04/24 09:05:00``: a datapoint's period start as a threshold reason lists it."""
    return f"{when:%d/%m/%y %H:%M:%S}"


def long_time(when: datetime) -> str:
    """``Monday 01 April, 2024 09:05:12 UTC``: a time as a composite alarm's reason writes it (locale-free)."""
    return f"{_WEEKDAYS[when.weekday()]} {when.day:02d} {_MONTHS[when.month - 1]}, {when.year} {when:%H:%M:%S} UTC"


def insufficient_data_reason(unknown: int) -> str:
    """The reason of a metric alarm going to INSUFFICIENT_DATA with ``unknown`` datapoints missing."""
    return f"Insufficient Data: {unknown} {_plural(unknown, 'datapoint was', 'datapoints were')} unknown."


def no_datapoints_reason(evaluation_periods: int, *, breaching: bool) -> str:
    """The reason of a state decided by missing datapoints alone (``TreatMissingData`` breaching or notBreaching)."""
    n = evaluation_periods
    kind = "Breaching" if breaching else "NonBreaching"
    return (
        f"Threshold Crossed: no datapoints were received for {n} periods and {n} missing datapoints were treated as "
        f"[{kind}]."
    )


def threshold_crossed_reason(
    datapoints: Sequence[tuple[float, datetime]],
    *,
    evaluation_periods: int,
    minimum: int,
    comparison_operator: str,
    threshold: float,
    to_alarm: bool,
    filled: int = 0,
) -> str:
    """The ``Threshold Crossed: ...`` reason of a metric alarm going to ALARM (``to_alarm``) or to OK.

    Parameters
    ----------
    datapoints : sequence of (value, period start)
        The real datapoints that count towards the new state, in the order listed (newest first).
    evaluation_periods : int
        N of "M out of N".
    minimum : int
        Datapoints needed for the transition: M for OK -> ALARM, ``N - M + 1`` for ALARM -> OK.
    comparison_operator : str
        A static-threshold operator (a key of :data:`COMPARISON_WORDS`).
    threshold : float
    to_alarm : bool
    filled : int
        Missing datapoints counted towards the new state by the missing-data setting; they add to
        the count and a sentence of their own.
    """
    count = len(datapoints) + filled
    listed = ", ".join(f"{java_double(value)} ({datapoint_time(when)})" for value, when in datapoints)
    words = COMPARISON_WORDS[comparison_operator]
    text = (
        f"Threshold Crossed: {count} out of the last {evaluation_periods} datapoints [{listed}] "
        f"{_plural(count, 'was', 'were')} {words if to_alarm else f'not {words}'} the threshold "
        f"({java_double(threshold)}) "
        f"(minimum {minimum} {_plural(minimum, 'datapoint', 'datapoints')} for "
        f"{'OK -> ALARM' if to_alarm else 'ALARM -> OK'} transition)."
    )
    if filled:
        kind = "Breaching" if to_alarm else "NonBreaching"
        text += f" {filled} missing {_plural(filled, 'datapoint was', 'datapoints were')} treated as [{kind}]."
    return text


def composite_created_reason(alarm_arn: str, state: str) -> str:
    """The reason of a composite alarm's first state."""
    return f"{alarm_arn} was created and its alarm rule evaluates to {state}"


def composite_transition_reason(child_arn: str, child_state: str, when: datetime) -> str:
    """The reason of a composite alarm changing state because the alarm ``child_arn`` did."""
    return f"{child_arn} transitioned to {child_state} at {long_time(when)}"
