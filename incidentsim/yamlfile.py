"""Reading incidentsim's YAML files: plain data, the line of every path, and bounded aliases.

Policies (:meth:`~incidentsim.policy.Policy.from_yaml`), game-day scenarios
(:meth:`~incidentsim.gameday.Scenario.from_yaml`) and alarm definitions
(:func:`~incidentsim.datasets.metrics.load_alarm_definitions`) are all read by
:func:`read_document`, which gives the data and the 1-based line of every path in it
(``"routes[0].impact"`` -> 12, ``"MetricAlarms[0].Period"`` -> 9), and all name the
place of a problem one way, ``file:line key: problem``::

    policy.yaml:12 routes[0].impact: expected an impact from 1 (critical) to 5 (no impact), got 9

:func:`line_of` finds the line of a path (or of the nearest enclosing path written in
the file), :func:`where` words the place (``policy.yaml:12 routes[0].impact``) and
:func:`located` the whole message; :meth:`YamlDocument.where` and
:meth:`YamlDocument.located` do the same for a document read.

Anchors and aliases (``&defaults`` ... ``*defaults``) and merge keys
(``<<: *defaults``) work as YAML defines them, within limits that no real file
comes near but that stop a small hostile or mistaken file from hanging a reader:

- aliases may copy in at most :data:`MAX_ALIAS_VALUES` values in all, counted as if
  every alias were written out in place (a 400-byte file of aliases nested nine deep
  would otherwise expand to hundreds of millions of values);
- an alias may not sit inside the value it names (``plans: &p [*p]`` never ends);
- lists and mappings nest at most :data:`MAX_DEPTH` levels, aliases included.

The limits are checked on the composed document, each distinct value visited once,
before anything walks the expanded data.  Every refusal is a :class:`YamlFileError`
naming the file and line::

    policy.yaml:3: aliases expand to more than 100000 values (an alias bomb?); write the values out instead

Mapping keys are kept as the text written (``on:`` is the key ``"on"``, ``2024:`` the
key ``"2024"``): every incidentsim file is JSON-shaped data whose keys are names.
Each alias gives its own copy of the value, so changing one place of the data never
changes another.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.events import AliasEvent

__all__ = [
    "MAX_ALIAS_VALUES",
    "MAX_DEPTH",
    "YamlDocument",
    "YamlFileError",
    "describe_value",
    "line_of",
    "located",
    "read_document",
    "where",
]

MAX_ALIAS_VALUES = 100_000
"""Most values (scalars, lists, mappings and keys) that aliases may copy into one document.

A policy, scenario or alarm file reuses a few anchors of a few dozen values each; the
limit is a thousand times that, and reading 100,000 values takes well under a second."""

MAX_DEPTH = 100
"""Most levels of lists and mappings inside each other (the top-level mapping is level 1).

The deepest path in a policy, ``routes[0].impact_rules[0].when.alarm_name.regex``, is 7
levels; ``describe-alarms`` output reaches about 8."""


class YamlFileError(ValueError):
    """A YAML file that cannot be read; the message names the file, the line and the problem.

    Attributes
    ----------
    label : str
        The file's name as messages show it, e.g. ``"policy.yaml"``.
    line : int or None
        The 1-based line of the problem, when known.
    problem : str
        What is wrong, e.g. ``"not valid YAML (found undefined alias 'base')"``.
    reason : str or None
        For text that is not valid YAML, the parser's own words (``"found undefined
        alias 'base'"``), so a reader can word the message its own way; None for the
        limits above.
    """

    def __init__(self, label: str, line: int | None, problem: str, reason: str | None = None):
        self.label = label
        self.line = line
        self.problem = problem
        self.reason = reason
        super().__init__(f"{self.where}: {problem}")

    @property
    def where(self) -> str:
        """``label:line``, or the label alone when the line is not known."""
        return f"{self.label}:{self.line}" if self.line is not None else self.label


# --------------------------------------------------------------------------- places


_LAST_STEP = re.compile(r"(\.[^.\[]+|\[\d+\])$")


def line_of(lines: Mapping[str, int], path: str) -> int | None:
    """The 1-based line of ``path``, else of the nearest enclosing path in ``lines``, else of the document.

    ``lines`` is :attr:`YamlDocument.lines`; a value that is missing (``routes[0].plan`` in a
    route without one) takes the line of what holds it.  None when ``lines`` is empty (data
    that did not come from a file).

    Examples
    --------
    >>> lines = {"": 1, "routes": 3, "routes[0]": 4, "routes[0].name": 4}
    >>> (line_of(lines, "routes[0].name"), line_of(lines, "routes[0].plan"), line_of(lines, "unmatched"),
    ...  line_of({}, "routes"))
    (4, 4, 1, None)
    """
    probe = path
    while probe:
        if probe in lines:
            return lines[probe]
        shorter = _LAST_STEP.sub("", probe)
        if shorter == probe:
            break
        probe = shorter
    return lines.get("")


def where(label: str, lines: Mapping[str, int], path: str) -> str:
    """The place of ``path`` as messages name it: ``policy.yaml:12 routes[0].impact``.

    The line is left out when it is not known (``policy client_token.template`` for data
    that did not come from a file), the path when it is ``""`` (``policy.yaml:1``).
    """
    line = line_of(lines, path)
    place = f"{label}:{line}" if line is not None else label
    return f"{place} {path}" if path else place


def located(place: str, problem: str) -> str:
    """The one wording of a problem at a place: ``policy.yaml:12 routes[0].impact: <problem>``.

    Examples
    --------
    >>> located(where("policy.yaml", {"": 1, "routes[0].impact": 12}, "routes[0].impact"),
    ...         "expected an impact from 1 to 5, got 9")
    'policy.yaml:12 routes[0].impact: expected an impact from 1 to 5, got 9'
    """
    return f"{place}: {problem}" if place else problem


def describe_value(value: Any) -> str:
    """A value as a file reader's message shows what it found: ``nothing``, ``a dict``, ``a list`` or its repr."""
    if value is None:
        return "nothing"
    if isinstance(value, (dict, list)):
        return f"a {type(value).__name__}"
    return repr(value)


@dataclass(frozen=True)
class YamlDocument:
    """What :func:`read_document` read.

    Attributes
    ----------
    data : Any
        The document as plain data (dicts, lists, str, int, float, bool, None, dates);
        None for an empty document.
    lines : dict of str to int
        The 1-based line of every path: ``""`` is the document itself, ``"a.b"`` the line
        of the key ``b`` in the mapping under ``a``, ``"a[0]"`` the line of the first item
        of the list under ``a`` (of the ``*alias``, when the item is one).  Paths inside
        an aliased value take the lines where the anchored value is written.
    """

    data: Any
    lines: dict[str, int]
    label: str = ""

    @property
    def empty(self) -> bool:
        """True when the text holds no document at all (only blank lines or comments)."""
        return not self.lines

    def line(self, path: str) -> int | None:
        """The line of ``path`` (:func:`line_of`)."""
        return line_of(self.lines, path)

    def where(self, path: str) -> str:
        """The place of ``path``, ``policy.yaml:12 routes[0].impact`` (:func:`where`)."""
        return where(self.label, self.lines, path)

    def located(self, path: str, problem: str) -> str:
        """A problem at ``path``, ``policy.yaml:12 routes[0].impact: <problem>`` (:func:`located`)."""
        return located(self.where(path), problem)


def read_document(text: str, label: str) -> YamlDocument:
    """Read one YAML document as plain data, with the line of every path in it.

    Parameters
    ----------
    text : str
        The YAML text.
    label : str
        The file's name as error messages should show it, e.g. ``"policy.yaml"``.

    Returns
    -------
    YamlDocument

    Raises
    ------
    YamlFileError
        naming ``label`` and the line, for text that is not valid YAML, for aliases that
        would copy in more than :data:`MAX_ALIAS_VALUES` values, for a recursive alias
        and for nesting deeper than :data:`MAX_DEPTH` levels.

    Examples
    --------
    >>> document = read_document("base: &base {impact: 2}\\nroutes:\\n  - *base\\n", "policy.yaml")
    >>> document.data
    {'base': {'impact': 2}, 'routes': [{'impact': 2}]}
    >>> document.lines["routes[0]"], document.lines["routes[0].impact"]
    (3, 1)
    >>> document.located("routes[0].title", "expected text, got nothing")
    'policy.yaml:3 routes[0].title: expected text, got nothing'
    >>> try:
    ...     read_document("plans: &p [*p]\\n", "policy.yaml")
    ... except YamlFileError as error:
    ...     message = f"{type(error).__name__}: {error}"
    >>> message == ("YamlFileError: policy.yaml:1: the alias *p is used inside the value it names, so that value never "
    ...             "ends (a recursive alias); write the values out instead")
    True
    """
    _refuse_unprintable(text, label)
    loader = _Loader(text, label)
    try:
        try:
            root = loader.get_single_node()
        except RecursionError:
            # PyYAML composes nested values recursively; MAX_DEPTH keeps it far from Python's
            # limit, but a caller already deep in its own calls could still reach it.
            raise _too_deep(label, loader.mark) from None
        if root is None:
            return YamlDocument(None, {}, label)
        _check_aliases(root, loader.aliases, label)
        lines = {"": root.start_mark.line + 1}
        data = _Builder(loader, label, lines).build(root, "")
        return YamlDocument(data, lines, label)
    except YamlFileError:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        reason = str(error.problem or error.context)
        raise YamlFileError(label, _line(mark), f"not valid YAML ({reason})", reason) from None
    except yaml.YAMLError as error:
        raise YamlFileError(label, None, f"not valid YAML ({error})", str(error)) from None
    except ValueError as error:  # a scalar Python cannot hold, e.g. an integer of 5000 digits
        raise YamlFileError(label, _line(loader.mark), f"not valid YAML ({error})", str(error)) from None
    finally:
        loader.dispose()


# --------------------------------------------------------------------------- composing


def _line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


def _refuse_unprintable(text: str, label: str) -> None:
    """Refuse characters YAML does not allow, naming their line (PyYAML names an offset)."""
    match = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if match is None:
        return
    line = text.count("\n", 0, match.start()) + 1
    reason = f"character #x{ord(match.group()):04x} is not allowed in YAML"
    raise YamlFileError(label, line, f"not valid YAML ({reason})", reason)


def _too_deep(label: str, mark: Any) -> YamlFileError:
    return YamlFileError(
        label, _line(mark), f"lists and mappings nested more than {MAX_DEPTH} levels deep; write the values out flatter"
    )


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, keeping where each alias is used and refusing deep nesting while composing.

    ``aliases`` maps (id of the list or mapping, position of the child) to the alias event
    that put the child there; a mapping's children are numbered key, value, key, value ...
    """

    def __init__(self, text: str, label: str):
        super().__init__(text)
        self.label = label
        self.aliases: dict[tuple[int, int], AliasEvent] = {}
        self.depth = 0
        self.mark: Any = None

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        self.mark = event.start_mark
        if isinstance(event, AliasEvent) and parent is not None:
            if isinstance(parent, yaml.SequenceNode):
                position = int(index)
            else:  # a mapping's pairs are appended once both key and value are composed
                position = 2 * len(parent.value) + (0 if index is None else 1)
            self.aliases[(id(parent), position)] = event
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _too_deep(self.label, event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_aliases(root: yaml.Node, aliases: dict[tuple[int, int], AliasEvent], label: str) -> None:
    """Refuse a recursive alias, aliases that copy in too many values, and aliases that nest too deep.

    Each value written in the file is visited once; an alias adds the remembered size of the
    value it names, so the check is linear in the file however far the aliases would expand.
    """
    size: dict[int, int] = {}  # values in the expanded node, at most MAX_ALIAS_VALUES + 1
    height: dict[int, int] = {}  # levels in the expanded node, a scalar being 1
    unfinished: set[int] = set()
    copied = 0

    def visit(node: yaml.Node, depth: int) -> None:
        nonlocal copied
        unfinished.add(id(node))
        total, tallest = 1, 0
        for position, child in enumerate(_children(node)):
            alias = aliases.get((id(node), position))
            if alias is None:
                visit(child, depth + 1)
            elif id(child) in unfinished:
                raise YamlFileError(
                    label,
                    _line(alias.start_mark),
                    f"the alias *{alias.anchor} is used inside the value it names, so that value never ends "
                    "(a recursive alias); write the values out instead",
                )
            else:
                if depth + height[id(child)] > MAX_DEPTH:
                    raise _too_deep(label, alias.start_mark)
                copied += size[id(child)]
                if copied > MAX_ALIAS_VALUES:
                    raise YamlFileError(
                        label,
                        _line(alias.start_mark),
                        f"aliases expand to more than {MAX_ALIAS_VALUES} values (an alias bomb?); "
                        "write the values out instead",
                    )
            total += size[id(child)]
            tallest = max(tallest, height[id(child)])
        unfinished.discard(id(node))
        size[id(node)] = min(total, MAX_ALIAS_VALUES + 1)
        height[id(node)] = tallest + 1

    visit(root, 1)


# --------------------------------------------------------------------------- building


class _Builder:
    """Plain data from a checked document, recording the line of every path."""

    def __init__(self, loader: _Loader, label: str, lines: dict[str, int]):
        self.loader = loader
        self.label = label
        self.lines = lines

    def build(self, node: yaml.Node, path: str) -> Any:
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # merge keys (<<: *defaults), as PyYAML's constructor does
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    kind = "a mapping" if isinstance(key_node, yaml.MappingNode) else "a list"
                    raise YamlFileError(
                        self.label, _line(key_node.start_mark), f"a mapping key must be text, not {kind}"
                    )
                key = str(key_node.value)
                child = f"{path}.{key}" if path else key
                self.lines[child] = key_node.start_mark.line + 1
                mapping[key] = self.build(value_node, child)
            return mapping
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                child = f"{path}[{index}]"
                alias = self.loader.aliases.get((id(node), index))
                self.lines[child] = (alias.start_mark if alias is not None else item.start_mark).line + 1
                items.append(self.build(item, child))
            return items
        self.loader.mark = node.start_mark
        return self.loader.construct_object(node, deep=True)
