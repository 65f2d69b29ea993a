"""Server-side request validation driven by botocore's ssm-incidents service model.

botocore checks only required members, minimum lengths and ranges and the
"exactly one member" rule of unions before it sends a request; the service checks
the rest.  :class:`ServerParamValidator` extends botocore's own ``ParamValidator``
with maximum lengths and ranges, patterns, enums and map sizes, so every limit
comes from the model that ships with botocore and none is typed here by hand.

Messages follow the service's wording, for example::

    1 validation error detected: Value '6' at 'impact' failed to satisfy
    constraint: Member must have value less than or equal to 5
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.model import OperationModel, Shape
from botocore.utils import parse_to_aware_datetime
from botocore.validate import ParamValidator, ValidationErrors

__all__ = ["ServerParamValidator", "validate_request", "wire_params"]


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _shown(value: Any) -> str:
    if isinstance(value, (dict, list)):
        text = json.dumps(value, default=str, sort_keys=True)
    else:
        text = str(value)
    return text if len(text) <= 100 else text[:97] + "..."


class _ServerErrors(ValidationErrors):
    """Collects problems as (member path, constraint sentence) pairs."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[tuple[str, str]] = []

    def report(self, name: str, reason: str, **kwargs: Any) -> None:
        path = name.lstrip(".")
        self.problems.append((path, _sentence(path, reason, kwargs)))

    def has_errors(self) -> bool:
        return bool(self.problems)

    def generate_report(self) -> str:
        count = len(self.problems)
        noun = "error" if count == 1 else "errors"
        details = "; ".join(sentence for _, sentence in self.problems)
        return f"{count} validation {noun} detected: {details}"


_TYPE_NAMES = {
    "<class 'int'>": "integer",
    "<class 'float'>": "number",
    "<class 'decimal.Decimal'>": "number",
    "<class 'str'>": "string",
    "<class 'bool'>": "boolean",
    "<class 'dict'>": "structure",
    "<class 'list'>": "list",
    "<class 'tuple'>": "list",
    "<class 'datetime.datetime'>": "timestamp",
    "timestamp-string": "timestamp",
}


def _sentence(path: str, reason: str, kw: Mapping[str, Any]) -> str:
    at = path or "request"
    if reason == "missing required field":
        member = kw["required_name"]
        full = f"{path}.{member}" if path else member
        return f"Value null at '{full}' failed to satisfy constraint: Member must not be null"
    if reason == "unknown field":
        return f"Unknown member '{kw['unknown_param']}' at '{at}'"
    if reason in ("invalid type", "invalid type for document"):
        valid = ", ".join(sorted({_TYPE_NAMES.get(str(t), str(t)) for t in kw.get("valid_types", [])}))
        return (
            f"Value '{_shown(kw.get('param'))}' at '{at}' failed to satisfy constraint: "
            f"Member must be of type {valid or 'document'}"
        )
    if reason == "invalid length":
        return (
            f"Value '{_shown(kw['param'])}' at '{at}' failed to satisfy constraint: "
            f"Member must have length greater than or equal to {kw['min_allowed']}"
        )
    if reason == "invalid range":
        return (
            f"Value '{kw['param']}' at '{at}' failed to satisfy constraint: "
            f"Member must have value greater than or equal to {kw['min_allowed']}"
        )
    if reason == "too long":
        return (
            f"Value '{_shown(kw['param'])}' at '{at}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {kw['max_allowed']}"
        )
    if reason == "too large":
        return (
            f"Value '{kw['param']}' at '{at}' failed to satisfy constraint: "
            f"Member must have value less than or equal to {kw['max_allowed']}"
        )
    if reason == "pattern":
        return (
            f"Value '{_shown(kw['param'])}' at '{at}' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {kw['pattern']}"
        )
    if reason == "enum":
        allowed = ", ".join(kw["allowed"])
        return (
            f"Value '{_shown(kw['param'])}' at '{at}' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{allowed}]"
        )
    if reason in ("empty input", "more than one input"):
        members = ", ".join(kw.get("members", {}))
        return f"Value at '{at}' failed to satisfy constraint: Member must have exactly one of [{members}] set"
    if reason == "timestamp range":
        return (
            f"Value '{_shown(kw['param'])}' at '{at}' failed to satisfy constraint: "
            "Member must be a time between 0001-01-01 and 9999-12-31 (epoch seconds)"
        )
    if reason == "not json":
        return f"Value '{_shown(kw['param'])}' at '{at}' failed to satisfy constraint: Member must be valid JSON"
    return f"Value at '{at}' failed to satisfy constraint: {reason}"


def _upper_bound(shape: Shape, value: float, param: Any, name: str, errors: _ServerErrors, kind: str) -> None:
    maximum = shape.metadata.get("max")
    if maximum is not None and value > maximum:
        errors.report(name, kind, param=param, max_allowed=maximum)


class ServerParamValidator(ParamValidator):
    """botocore's validator, plus the constraints botocore leaves to the service.

    Unknown members are ignored, as the service ignores them, and JSON ``null``
    counts as absent.
    """

    def validate(self, params: Mapping[str, Any], shape: Shape) -> _ServerErrors:
        errors = _ServerErrors()
        self._validate(params, shape, errors, name="")
        return errors

    def _validate_structure(self, params: Any, shape: Shape, errors: Any, name: str) -> None:
        if isinstance(params, dict):
            params = {k: v for k, v in params.items() if k in shape.members and v is not None}
        super()._validate_structure(params, shape, errors, name)

    def _validate_string(self, param: Any, shape: Shape, errors: Any, name: str) -> None:
        super()._validate_string(param, shape, errors, name)
        if not isinstance(param, str):
            return
        _upper_bound(shape, len(param), param, name, errors, "too long")
        enum = shape.metadata.get("enum")
        if enum and param not in enum:
            errors.report(name, "enum", param=param, allowed=enum)
        pattern = shape.metadata.get("pattern")
        if pattern and not _compiled(pattern).search(param):
            errors.report(name, "pattern", param=param, pattern=pattern)

    def _validate_list(self, param: Any, shape: Shape, errors: Any, name: str) -> None:
        super()._validate_list(param, shape, errors, name)
        if isinstance(param, (list, tuple)):
            _upper_bound(shape, len(param), param, name, errors, "too long")

    def _validate_map(self, param: Any, shape: Shape, errors: Any, name: str) -> None:
        super()._validate_map(param, shape, errors, name)
        if isinstance(param, dict):
            minimum = shape.metadata.get("min")
            if minimum is not None and len(param) < minimum:
                errors.report(name, "invalid length", param=param, min_allowed=minimum)
            _upper_bound(shape, len(param), param, name, errors, "too long")

    def _validate_integer(self, param: Any, shape: Shape, errors: Any, name: str) -> None:
        if isinstance(param, bool):
            errors.report(name, "invalid type", param=param, valid_types=["integer"])
            return
        super()._validate_integer(param, shape, errors, name)
        if isinstance(param, int):
            _upper_bound(shape, param, param, name, errors, "too large")

    _validate_long = _validate_integer

    def _validate_timestamp(self, param: Any, shape: Shape, errors: Any, name: str) -> None:
        # On the wire a timestamp is epoch seconds (a JSON number); strings in
        # ISO 8601 are also what botocore would accept.
        if isinstance(param, bool) or not isinstance(param, (int, float, str, datetime)):
            errors.report(name, "invalid type", param=param, valid_types=["timestamp"])
            return
        if isinstance(param, (int, float)):
            if not (isinstance(param, int) or math.isfinite(param)) or not _EARLIEST <= param <= _LATEST:
                errors.report(name, "timestamp range", param=param)
            return
        if isinstance(param, str):
            try:
                parse_to_aware_datetime(param)
            except (TypeError, ValueError, AttributeError, OverflowError, RuntimeError):
                errors.report(name, "invalid type", param=param, valid_types=["timestamp"])
            return
        super()._validate_timestamp(param, shape, errors, name)


#: The epoch seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the times a timestamp member can hold.
_EARLIEST = -62135596800
_LATEST = 253402300799

_VALIDATOR = ServerParamValidator()


def wire_params(
    operation: OperationModel,
    body: Mapping[str, Any],
    query: Mapping[str, list[str]],
    uri: Mapping[str, str],
) -> dict[str, Any]:
    """Gather an operation's input members from where the model puts them on the wire.

    Querystring values stay text unless the member is an integer or boolean that
    parses cleanly, so a malformed value reaches the validator and is reported
    by name rather than failing later.
    """
    shape = operation.input_shape
    params: dict[str, Any] = {}
    if shape is None:
        return params
    for member, member_shape in shape.members.items():
        location = member_shape.serialization.get("location")
        wire_name = member_shape.serialization.get("name", member)
        if location == "querystring":
            values = query.get(wire_name)
            if not values:
                continue
            if member_shape.type_name == "list":
                params[member] = list(values)
            else:
                params[member] = _from_text(values[0], member_shape)
        elif location == "uri":
            if wire_name in uri:
                params[member] = uri[wire_name]
        elif location is None:
            if wire_name in body and body[wire_name] is not None:
                params[member] = body[wire_name]
    return params


def _from_text(text: str, shape: Shape) -> Any:
    if shape.type_name in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            return text
    if shape.type_name == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def validate_request(operation: OperationModel, params: Mapping[str, Any]) -> str | None:
    """Return the service's ValidationException message, or None when ``params`` are valid.

    Members are checked in the model's order, as :func:`wire_params` gathers them from a request, so the
    message lists its errors in the same order whoever builds ``params``.
    """
    shape = operation.input_shape
    if shape is None:
        return None
    ordered = {member: params[member] for member in shape.members if member in params}
    ordered.update((key, value) for key, value in params.items() if key not in ordered)
    errors = _VALIDATOR.validate(ordered, shape)
    return errors.generate_report() if errors.has_errors() else None
