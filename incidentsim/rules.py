"""The rules of StartIncident, in one place: the emulator's backend and the fast replay use them both.

* **Limits** come from botocore's ssm-incidents model (:func:`api_limits`);
  none is typed here.
* **The clientToken rule** (:func:`token_verdict`): a token seen before, within its
  time to live, answers the stored incident when the request is the same, and a
  ``ConflictException`` or the stored incident when it differs (``token_mismatch``).
* **The dedupe key** (:func:`dedupe_key`): the plan's dedupe string; else, for a
  trigger from an AWS service with a trigger ARN, that ARN (``trigger_dedupe``);
  else a string of the incident's own, which nothing else matches.
* **Scope** (:func:`dedupe_slot`): an OPEN incident absorbs a new one with the same
  key in the account, or only within its response plan (``dedupe_scope``).
* **Plan defaults** (:func:`incident_title`, :func:`incident_impact`): what the
  request leaves out, the plan's incident template gives.

The functions take plain numbers and strings so that :mod:`incidentsim.replay.scan`
compiles :func:`token_verdict` into its loop unchanged.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import botocore.session
from botocore.model import ServiceModel

#: what :func:`token_verdict` answers
TOKEN_NEW, TOKEN_REPLAY, TOKEN_CONFLICT = 0, 1, 2


@functools.lru_cache(maxsize=1)
def botocore_model() -> ServiceModel:
    """botocore's own ssm-incidents model, the source of every limit the emulator checks."""
    return botocore.session.get_session().get_service_model("ssm-incidents")


@dataclass(frozen=True)
class ApiLimits:
    """The limits of the request members incidentsim fills in, read off botocore's model."""

    title: int
    client_token: int
    source: int
    raw_data: int
    trigger_arn: int
    trigger_arn_pattern: str
    impact_min: int
    impact_max: int
    plan_name: int  # CreateResponsePlan.name
    plan_display_name: int  # CreateResponsePlan.displayName


@functools.lru_cache(maxsize=1)
def api_limits() -> ApiLimits:
    """StartIncident's (and a response plan's name's) limits as botocore's model states them.

    Examples
    --------
    >>> limits = api_limits()
    >>> limits.title, limits.client_token, limits.raw_data, limits.impact_max, limits.plan_name
    (200, 128, 10000, 5, 200)
    """
    model = botocore_model()
    members = model.operation_model("StartIncident").input_shape.members
    plan = model.operation_model("CreateResponsePlan").input_shape.members
    trigger = members["triggerDetails"].members
    arn = trigger["triggerArn"]
    return ApiLimits(
        title=int(members["title"].metadata["max"]),
        client_token=int(members["clientToken"].metadata["max"]),
        source=int(trigger["source"].metadata["max"]),
        raw_data=int(trigger["rawData"].metadata["max"]),
        trigger_arn=int(arn.metadata["max"]),
        trigger_arn_pattern=str(arn.metadata["pattern"]),
        impact_min=int(members["impact"].metadata["min"]),
        impact_max=int(members["impact"].metadata["max"]),
        plan_name=int(plan["name"].metadata["max"]),
        plan_display_name=int(plan["displayName"].metadata["max"]),
    )


@functools.lru_cache(maxsize=1)
def trigger_arn_regex() -> re.Pattern[str]:
    """The model's pattern for ``triggerDetails.triggerArn``, compiled."""
    return re.compile(api_limits().trigger_arn_pattern)


def token_verdict(known: bool, elapsed: float, ttl: float, same_request: bool, conflict_on_mismatch: bool) -> int:
    """What a request carrying a clientToken gets.

    Parameters
    ----------
    known : bool
        The token was stored by an earlier request.
    elapsed : float
        Time since it was stored (any unit, the same as ``ttl``).
    ttl : float
        How long tokens are remembered; negative: for ever.
    same_request : bool
        The earlier request had the same members.
    conflict_on_mismatch : bool
        A different request with the same token is refused (``token_mismatch="conflict"``).

    Returns
    -------
    int
        :data:`TOKEN_NEW` (run the request and store the token), :data:`TOKEN_REPLAY`
        (answer the stored result) or :data:`TOKEN_CONFLICT` (ConflictException).

    Examples
    --------
    >>> token_verdict(True, 10.0, -1.0, False, True) == TOKEN_CONFLICT
    True
    >>> token_verdict(True, 10.0, 5.0, False, True) == TOKEN_NEW
    True
    """
    if not known or (ttl >= 0 and elapsed > ttl):
        return TOKEN_NEW
    if not same_request and conflict_on_mismatch:
        return TOKEN_CONFLICT
    return TOKEN_REPLAY


def dedupe_key(
    plan_dedupe_string: str | None, source: str, trigger_arn: str | None, trigger_dedupe: bool
) -> str | None:
    """The dedupe string a new incident is matched and stored under; None: one of its own.

    Examples
    --------
    >>> dedupe_key("web-outage", "aws.cloudwatch", "arn:aws:cloudwatch:us-east-1:1:alarm:a", True)
    'web-outage'
    >>> dedupe_key(None, "aws.cloudwatch", "arn:aws:cloudwatch:us-east-1:1:alarm:a", True)
    'arn:aws:cloudwatch:us-east-1:1:alarm:a'
    >>> dedupe_key(None, "custom.monitor", "arn:aws:cloudwatch:us-east-1:1:alarm:a", True) is None
    True
    """
    if plan_dedupe_string:
        return str(plan_dedupe_string)
    if trigger_dedupe and trigger_arn and source.startswith("aws."):
        return str(trigger_arn)
    return None


def dedupe_slot(key: str, plan: str, scope: str) -> tuple[str, ...]:
    """The OPEN incident that may absorb a new one is the one in this slot (at most one is open per slot)."""
    return (key,) if scope == "account" else (key, plan)


def incident_title(title: str | None, plan_title: str) -> str:
    """The incident's title: the request's, else the plan's template's."""
    return title if title is not None else plan_title


def incident_impact(impact: int | None, plan_impact: int) -> int:
    """The incident's impact: the request's, else the plan's template's."""
    return impact if impact is not None else plan_impact
