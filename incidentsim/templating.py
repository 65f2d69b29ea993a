"""Jinja2 templates that cannot hang a replay or exhaust the machine.

Titles and clientTokens are rendered from user-written templates once per distinct input, sometimes
a million times in a replay, so a template must not be able to run for ever or build a gigabyte
string. On top of Jinja2's sandbox (no access to Python internals, immutable containers), a
:class:`BoundedEnvironment` limits every render:

* **output**: at most :data:`MAX_OUTPUT` characters (a title may have 200, a clientToken 128);
* **values**: no string, list or number a template computes may exceed :data:`MAX_VALUE` characters
  or items (:data:`MAX_INT_BITS` bits for whole numbers); operators and methods that would build a
  bigger one (``'a' * 10**9``, ``'{:>1000000000}'.format(x)``, ``s.center(10**9)``,
  ``'%1000000000d' % 1``, ``9**9**9``) are refused before they allocate;
* **steps**: at most :data:`MAX_STEPS` loop iterations, calls, filters and operators;
* **time**: at most :data:`MAX_SECONDS` of wall time, checked at every step;
* **recursion**: a macro that calls itself too deeply is refused.

A render over a bound raises :class:`TemplateLimitError`; :class:`~incidentsim.policy.Template`
reports it as a ``TemplateError`` naming the template's place and the bound.
"""

from __future__ import annotations

import contextvars
import functools
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import jinja2
import jinja2.meta
import jinja2.nodes as nodes
import jinja2.sandbox
from jinja2.visitor import NodeTransformer

__all__ = [
    "MAX_INT_BITS",
    "MAX_OUTPUT",
    "MAX_SECONDS",
    "MAX_STEPS",
    "MAX_VALUE",
    "BoundedEnvironment",
    "TemplateLimitError",
    "render_bounded",
]

#: Characters a template may render (five times the longest templated member, a 200-character title).
MAX_OUTPUT = 1_000
#: Characters of a string, or items of a list, tuple or mapping, that a template may compute.
MAX_VALUE = 10_000
#: Bits of a whole number a template may compute (about 30,000 decimal digits).
MAX_INT_BITS = 100_000
#: Loop iterations, calls, filters and operators per render.
MAX_STEPS = 100_000
#: Wall-clock seconds per render.
MAX_SECONDS = 1.0

_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill"})
_WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "batch", "slice", "truncate"})
_PERCENT_WIDTH = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


class TemplateLimitError(RuntimeError):
    """A render went over one of the bounds; the message names the bound."""


class _Budget:
    __slots__ = ("deadline", "steps")

    def __init__(self, seconds: float) -> None:
        self.steps = 0
        self.deadline = time.monotonic() + seconds

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise TemplateLimitError(f"takes more than {MAX_STEPS} steps (loop iterations, calls and operations)")
        if time.monotonic() > self.deadline:
            raise TemplateLimitError(f"takes longer than {MAX_SECONDS:g} s to render")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("incidentsim_template_budget", default=None)


def _step(count: int = 1) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.step(count)


def _too_big(what: str) -> TemplateLimitError:
    return TemplateLimitError(f"builds a value of more than {MAX_VALUE} characters or items ({what})")


def _check_size(value: Any, what: str = "a value") -> Any:
    """``value`` if it is within the bounds, else TemplateLimitError."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value.bit_length() > MAX_INT_BITS:
            raise TemplateLimitError(f"builds a whole number of more than {MAX_INT_BITS} bits ({what})")
        return value
    if isinstance(value, (str, bytes)):
        if len(value) > MAX_VALUE:
            raise _too_big(what)
        return value
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        total = len(value)
        if total > MAX_VALUE:
            raise _too_big(what)
        for item in value.values() if isinstance(value, dict) else value:
            if isinstance(item, (str, bytes, list, tuple, dict)):
                total += len(item)
                if total > MAX_VALUE:
                    raise _too_big(what)
    return value


def _length(value: Any) -> int:
    """Characters or items, counting one level of nested strings and lists."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, (list, tuple)):
        return len(value) + sum(len(item) for item in value if isinstance(item, (str, bytes, list, tuple, dict)))
    return 1


def _check_int_argument(value: Any, what: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_VALUE:
        raise TemplateLimitError(f"asks for a width or count over {MAX_VALUE} ({what})")


def _check_format_spec(spec: str, what: str) -> None:
    for digits in re.findall(r"\d+", spec):
        if len(digits) > 5 or int(digits) > MAX_VALUE:
            raise TemplateLimitError(f"asks for a width or precision over {MAX_VALUE} ({what})")


def _check_str_format(text: str, args: Iterable[Any], kwargs: Mapping[str, Any]) -> None:
    """Refuse ``str.format`` fields whose width or precision would build a huge string."""
    nested = False
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        return  # str.format reports it
    for _, _, spec, _ in fields:
        if spec:
            _check_format_spec(spec, "str.format")
            nested = nested or "{" in spec
    if nested:
        for value in [*args, *kwargs.values()]:
            _check_int_argument(value, "str.format")


def _check_percent_format(text: str, argument: Any) -> None:
    for width, precision in _PERCENT_WIDTH.findall(text):
        for part in (width, precision):
            if part == "*":
                values = argument if isinstance(argument, tuple) else (argument,)
                for value in values:
                    _check_int_argument(value, "'%' formatting")
            elif part and (len(part) > 5 or int(part) > MAX_VALUE):
                raise TemplateLimitError(f"asks for a width or precision over {MAX_VALUE} ('%' formatting)")


def _check_binop(operator: str, left: Any, right: Any) -> None:
    sequences = (str, bytes, list, tuple)
    if operator == "*":
        if isinstance(right, sequences):
            left, right = right, left  # the sequence on the left, the count on the right
        if isinstance(left, sequences) and isinstance(right, int):
            if right > 0 and _length(left) * right > MAX_VALUE:
                raise _too_big("'*' repetition")
        elif isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise TemplateLimitError(f"builds a whole number of more than {MAX_INT_BITS} bits ('*')")
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            if right > MAX_INT_BITS or left.bit_length() * right > MAX_INT_BITS:
                raise TemplateLimitError(f"builds a whole number of more than {MAX_INT_BITS} bits ('**')")
    elif operator == "%" and isinstance(left, str):
        _check_percent_format(left, right)


def _check_call(obj: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    target = getattr(obj, "__wrapped__", obj)  # the sandbox wraps str.format
    owner = getattr(target, "__self__", None)
    name = getattr(target, "__name__", "")
    if isinstance(owner, str):
        if name in _WIDTH_METHODS:
            for value in [*args, *kwargs.values()]:
                _check_int_argument(value, f"str.{name}")
        elif name == "expandtabs":
            size = args[0] if args else kwargs.get("tabsize", 8)
            if isinstance(size, int) and size * max(owner.count("\t"), 1) > MAX_VALUE:
                raise _too_big("str.expandtabs")
        elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
            if len(owner) + owner.count(args[0]) * len(args[1]) > MAX_VALUE:
                raise _too_big("str.replace")
        elif name in ("format", "format_map"):
            mapping = args[0] if name == "format_map" and args and isinstance(args[0], Mapping) else kwargs
            _check_str_format(owner, args if name == "format" else (), mapping)
        elif name == "join" and args and isinstance(args[0], (list, tuple)):
            if _length(args[0]) + len(owner) * len(args[0]) > MAX_VALUE:
                raise _too_big("str.join")


def _bounded_range(*args: int) -> range:
    rng = range(*args)
    if len(rng) > MAX_VALUE:
        raise _too_big(f"range({', '.join(map(str, args))})")
    return rng


def _bounded_iter(value: Any) -> Iterator[Any]:
    """The iterable of a ``{% for %}``: every item is a step."""
    budget = _BUDGET.get()
    for item in value:
        if budget is not None:
            budget.step()
        yield item


def _bounded_text(value: Any) -> Any:
    """The result of ``~``: no longer than :data:`MAX_VALUE`."""
    return _check_size(value, "'~' concatenation")


def _guard_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        _step()
        if name in _WIDTH_FILTERS:
            for value in [*args[1:], *kwargs.values()]:
                _check_int_argument(value, f"filter '{name}'")
        elif name == "format" and args and isinstance(args[0], str):
            _check_percent_format(args[0], tuple(args[1:]))
        return _check_size(function(*args, **kwargs), f"filter '{name}'")

    return guarded


class _Bounds(NodeTransformer):
    """Wraps every loop's iterable and every ``~`` in the filters that count and measure them."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "_incidentsim_bounded_iter", [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(node, "_incidentsim_bounded_text", [], [], None, None, lineno=node.lineno)


class BoundedEnvironment(jinja2.sandbox.ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox with the bounds of this module; compile with :meth:`compile_bounded`."""

    intercepted_binops = frozenset({"+", "-", "*", "/", "//", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _guard_filter(name, function) for name, function in self.filters.items()}
        self.filters["_incidentsim_bounded_iter"] = _bounded_iter
        self.filters["_incidentsim_bounded_text"] = _bounded_text
        self.globals = {name: value for name, value in self.globals.items() if name != "lipsum"}
        self.globals["range"] = _bounded_range

    def compile_bounded(self, source: str) -> jinja2.Template:
        """``source`` compiled with its loops and concatenations counted (raises TemplateSyntaxError)."""
        tree = _Bounds().visit(self.parse(source))
        return self.from_string(tree)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _step()
        _check_binop(operator, left, right)
        return _check_size(super().call_binop(context, operator, left, right), f"'{operator}'")

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - as Jinja2 names them
        _step()
        _check_call(__obj, args, kwargs)
        return _check_size(super().call(__context, __obj, *args, **kwargs), "a call's result")

    def getattr(self, obj: Any, attribute: str) -> Any:
        _step()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _step()
        return super().getitem(obj, argument)


@functools.lru_cache(maxsize=1)
def _parser() -> BoundedEnvironment:
    return BoundedEnvironment(undefined=jinja2.StrictUndefined, autoescape=False)


def template_variables(source: str) -> set[str]:
    """The variables a template's text reads (Jinja2's undeclared variables), found by parsing it.

    Raises ``jinja2.TemplateSyntaxError`` for a text that is no template.

    Examples
    --------
    >>> sorted(template_variables("{{ alarm_name }} in {{ region | upper }}"))
    ['alarm_name', 'region']
    """
    return set(jinja2.meta.find_undeclared_variables(_parser().parse(source)))


def render_bounded(template: jinja2.Template, context: Mapping[str, Any], seconds: float = MAX_SECONDS) -> str:
    """Render within the bounds; raises :class:`TemplateLimitError` past one of them."""
    token = _BUDGET.set(_Budget(seconds))
    try:
        pieces: list[str] = []
        length = 0
        for piece in template.generate(context):
            length += len(piece)
            if length > MAX_OUTPUT:
                raise TemplateLimitError(f"renders more than {MAX_OUTPUT} characters")
            pieces.append(piece)
            _step()
        return "".join(pieces)
    except RecursionError:
        raise TemplateLimitError("recurses too deeply (a macro that calls itself?)") from None
    except MemoryError:
        raise TemplateLimitError("needs more memory than a template may use") from None
    finally:
        _BUDGET.reset(token)
