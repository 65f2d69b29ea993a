"""YAML files that would expand without end: every reader refuses them quickly, naming the file and line.

Each hostile input here would take minutes (or never finish) if its aliases were expanded:
9 levels of 9-fold aliases are 9**9 (about 387 million) values.  The readers must refuse
them from the composed document, before anything walks the expanded data.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from incidentsim import yamlfile
from incidentsim.cli import main
from incidentsim.datasets import load_alarm_definitions
from incidentsim.datasets.evaluation import AlarmDefinitionError
from incidentsim.gameday import Scenario, ScenarioError
from incidentsim.policy import Policy, PolicyError
from incidentsim.yamlfile import MAX_ALIAS_VALUES, MAX_DEPTH, YamlFileError, read_document

ROOT = Path(__file__).resolve().parents[1]
HISTORY = ROOT / "data" / "alarm-events.jsonl"


@dataclass(frozen=True)
class Reader:
    """One of incidentsim's YAML readers: a valid file's opening lines, its list key, how to read it, its error."""

    file_name: str
    opening: str  # a valid start of such a file; the hostile part follows it
    list_key: str  # a top-level key whose value is a list in this kind of file
    read: Callable[[Path], Any]
    error: type[ValueError]


READERS = {
    "policy": Reader(
        "policy.yaml",
        "name: hostile\nresponse_plans:\n  - {name: web, title: Web down, impact: 3}\n",
        "routes",
        Policy.from_yaml,
        PolicyError,
    ),
    "scenario": Reader(
        "scenario.yaml",
        "name: hostile\nspeed: max\npolicy:\n  response_plans: [{name: web, title: Web down, impact: 3}]\n",
        "events",
        Scenario.from_yaml,
        ScenarioError,
    ),
    "alarms": Reader(
        "alarms.yaml",
        "AlarmName: cpu-high\nNamespace: AWS/EC2\nMetricName: CPUUtilization\n",
        "Dimensions",
        load_alarm_definitions,
        AlarmDefinitionError,
    ),
}


def line_of(text: str, start: str) -> int:
    """The 1-based line of the first line of ``text`` that starts with ``start``."""
    return next(number for number, line in enumerate(text.splitlines(), 1) if line.startswith(start))


def billion_laughs() -> str:
    """The classic: nine keys, each a list of nine aliases of the one before (9**9 "lol"s)."""
    keys = "abcdefghi"
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{key}: &{key} [{','.join([f'*{before}'] * 9)}]" for before, key in zip(keys, keys[1:])]
    return "\n".join(lines) + "\n"


def nested_aliases(list_key: str) -> str:
    """About 400 bytes: a list in the file's own structure whose items repeat the item before nine times."""
    items = ["  - &p0 [x,x,x,x,x,x,x,x,x]"]
    items += [f"  - &p{level} [{','.join([f'*p{level - 1}'] * 9)}]" for level in range(1, 9)]
    return f"{list_key}:\n" + "\n".join(items) + "\n"


def refused(reader: Reader, tmp_path: Path, text: str) -> str:
    """Write ``text`` as the reader's file, read it, and return the message of the reader's own error."""
    path = tmp_path / reader.file_name
    path.write_text(text)
    with pytest.raises(reader.error) as excinfo:
        reader.read(path)
    return str(excinfo.value)


@pytest.mark.parametrize("kind", READERS)
def test_billion_laughs_is_refused_at_the_alias_that_goes_over_the_limit(kind, tmp_path):
    reader = READERS[kind]
    text = reader.opening + billion_laughs()
    message = refused(reader, tmp_path, text)
    # a..e copy in 74,718 values between them; the first *e on the f line (66,430 more) goes over
    line = line_of(text, "f: &f")
    assert message == (
        f"{reader.file_name}:{line}: aliases expand to more than {MAX_ALIAS_VALUES} values (an alias bomb?); "
        "write the values out instead"
    )


@pytest.mark.parametrize("kind", READERS)
def test_a_short_file_of_nested_aliases_is_refused_at_its_line(kind, tmp_path):
    reader = READERS[kind]
    text = reader.opening + nested_aliases(reader.list_key)
    message = refused(reader, tmp_path, text)
    assert message.startswith(
        f"{reader.file_name}:{line_of(text, '  - &p5')}: aliases expand to more than {MAX_ALIAS_VALUES} values"
    )


@pytest.mark.parametrize("kind", READERS)
def test_a_recursive_alias_is_refused_with_a_sentence_not_a_recursion_error(kind, tmp_path):
    reader = READERS[kind]
    text = reader.opening + f"{reader.list_key}: &loop [*loop]\n"
    message = refused(reader, tmp_path, text)
    assert message == (
        f"{reader.file_name}:{line_of(text, reader.list_key)}: the alias *loop is used inside the value it names, "
        "so that value never ends (a recursive alias); write the values out instead"
    )


@pytest.mark.parametrize("kind", READERS)
def test_deep_nesting_is_refused_at_its_line(kind, tmp_path):
    reader = READERS[kind]
    text = reader.opening + f"{reader.list_key}: " + "[" * 5000 + "]" * 5000 + "\n"
    message = refused(reader, tmp_path, text)
    assert message.startswith(
        f"{reader.file_name}:{line_of(text, reader.list_key)}: lists and mappings nested more than {MAX_DEPTH} "
        "levels deep"
    )


@pytest.mark.parametrize("kind", READERS)
def test_a_recursion_error_while_composing_becomes_the_same_clear_error(kind, tmp_path, monkeypatch):
    # without the depth limit PyYAML's composer recurses once per level and runs out of stack
    monkeypatch.setattr(yamlfile, "MAX_DEPTH", 1_000_000)
    reader = READERS[kind]
    text = reader.opening + "\n" + f"{reader.list_key}: " + "[" * 5000 + "]" * 5000 + "\n"
    message = refused(reader, tmp_path, text)
    assert message.startswith(
        f"{reader.file_name}:{line_of(text, reader.list_key)}: lists and mappings nested more than"
    )


def test_aliases_that_nest_too_deep_are_refused_at_the_alias(tmp_path):
    # each line is 60 levels deep as written; the alias on line 2 puts line 1's 60 levels inside 60 more
    text = "a: &a " + "[" * 59 + "1" + "]" * 59 + "\nb: " + "[" * 59 + "*a" + "]" * 59 + "\n"
    with pytest.raises(YamlFileError) as excinfo:
        read_document(text, "deep.yaml")
    assert (excinfo.value.label, excinfo.value.line) == ("deep.yaml", 2)
    assert "nested more than 100 levels deep" in str(excinfo.value)
    shallower = read_document(text.replace("[" * 59, "[" * 30).replace("]" * 59, "]" * 30), "deep.yaml").data
    inner = shallower["b"]
    for _ in range(30):
        inner = inner[0]
    assert inner == shallower["a"] and str(inner) == "[" * 30 + "1" + "]" * 30


def test_a_recursive_merge_key_is_refused(tmp_path):
    with pytest.raises(YamlFileError, match=r"^base\.yaml:3: the alias \*base is used inside the value it names"):
        read_document("base: &base\n  impact: 2\n  <<: *base\n", "base.yaml")


def test_aliases_up_to_the_limit_are_read(tmp_path):
    # 99 aliases of a 1,000-value list copy in 99,000 values: under the limit, read in full
    text = "a: &a [" + ", ".join(["x"] * 999) + "]\nb: [" + ", ".join(["*a"] * 99) + "]\n"
    document = read_document(text, "big.yaml")
    assert len(document.data["b"]) == 99 and document.data["b"][98] == ["x"] * 999
    with pytest.raises(YamlFileError, match=r"^big\.yaml:2: aliases expand to more than"):
        read_document(text.replace("*a]", "*a, *a, *a]"), "big.yaml")


def test_paths_have_the_line_of_their_key_and_alias_items_the_line_of_the_alias():
    text = "plans:\n  - &web\n    name: web\n    impact: 3\nroutes:\n  - plan: web\n    impact: 2\n  - *web\n"
    document = read_document(text, "policy.yaml")
    assert document.lines == {
        "": 1,
        "plans": 1,
        "plans[0]": 2,
        "plans[0].name": 3,
        "plans[0].impact": 4,
        "routes": 5,
        "routes[0]": 6,
        "routes[0].plan": 6,
        "routes[0].impact": 7,
        "routes[1]": 8,
        "routes[1].name": 3,
        "routes[1].impact": 4,
    }
    assert document.data["routes"][1] == {"name": "web", "impact": 3}
    assert document.data["routes"][1] is not document.data["plans"][0]  # each alias is its own copy
    assert read_document("# nothing but a comment\n", "x.yaml").empty


ALIASED_POLICY = """\
response_plans:
  - &web {name: web, title: Web down, impact: 3, tags: &team {team: web}}
  - {name: api, title: API down, impact: 2, tags: *team}
routes:
  - &route
    name: web-errors
    match: {alarm_name: "web-*"}
    plan: web
  - <<: *route
    name: api-errors
    match: {alarm_name: "api-*"}
    plan: api
"""

WRITTEN_OUT_POLICY = """\
response_plans:
  - {name: web, title: Web down, impact: 3, tags: {team: web}}
  - {name: api, title: API down, impact: 2, tags: {team: web}}
routes:
  - name: web-errors
    match: {alarm_name: "web-*"}
    plan: web
  - name: api-errors
    match: {alarm_name: "api-*"}
    plan: api
"""


def test_ordinary_aliases_give_the_same_policy_as_written_out(tmp_path):
    aliased = Policy.from_yaml(ALIASED_POLICY)
    assert aliased == Policy.from_yaml(WRITTEN_OUT_POLICY)
    assert [route.plan for route in aliased.routes] == ["web", "api"]
    assert aliased.plans["api"].tags == {"team": "web"}


def test_ordinary_aliases_give_the_same_scenario_as_written_out():
    def scenario(policy: str) -> str:
        events = (
            '  - &alarm {timestamp: "2024-05-01T09:00:00Z", alarm_name: web-5xx, state: ALARM}\n'
            '  - {<<: *alarm, timestamp: "2024-05-01T09:05:00Z", state: OK}\n'
        )
        return (
            "name: aliased\nspeed: max\nevents:\n"
            + events
            + "policy:\n"
            + "".join(f"  {line}\n" for line in policy.splitlines())
        )

    aliased, written = Scenario.from_yaml(scenario(ALIASED_POLICY)), Scenario.from_yaml(scenario(WRITTEN_OUT_POLICY))
    assert aliased.policy == written.policy
    assert aliased.alarms.equals(written.alarms)
    assert aliased.alarms["state"].astype(str).tolist() == ["ALARM", "OK"]
    assert aliased.alarms["alarm_name"].tolist() == ["web-5xx", "web-5xx"]


def test_ordinary_aliases_give_the_same_alarm_definitions_as_written_out(tmp_path):
    aliased = tmp_path / "aliased.yaml"
    aliased.write_text(
        "- &cpu\n  AlarmName: cpu-high\n  Namespace: AWS/EC2\n  MetricName: CPUUtilization\n"
        "  Dimensions: &instance [{Name: InstanceId, Value: i-0c986c72}]\n  Statistic: Average\n  Period: 300\n"
        "  EvaluationPeriods: 5\n  Threshold: 70\n  ComparisonOperator: GreaterThanThreshold\n"
        "- <<: *cpu\n  AlarmName: cpu-low\n  Threshold: 5\n  ComparisonOperator: LessThanThreshold\n"
        "  Dimensions: *instance\n"
    )
    written = tmp_path / "written.yaml"
    common = (
        "  Namespace: AWS/EC2\n  MetricName: CPUUtilization\n  Dimensions: [{Name: InstanceId, Value: i-0c986c72}]\n"
        "  Statistic: Average\n  Period: 300\n  EvaluationPeriods: 5\n"
    )
    written.write_text(
        "- AlarmName: cpu-high\n" + common + "  Threshold: 70\n  ComparisonOperator: GreaterThanThreshold\n"
        "- AlarmName: cpu-low\n" + common + "  Threshold: 5\n  ComparisonOperator: LessThanThreshold\n"
    )
    assert list(load_alarm_definitions(aliased)) == list(load_alarm_definitions(written))
    assert load_alarm_definitions(aliased)["cpu-low"].threshold == 5.0


def test_alarm_errors_inside_an_alias_name_the_line_where_the_value_is_written(tmp_path):
    path = tmp_path / "alarms.yaml"
    path.write_text(
        "base: &base\n  Period: 45\nMetricAlarms:\n  - AlarmName: cpu-high\n    Namespace: AWS/EC2\n"
        "    MetricName: CPUUtilization\n    Statistic: Average\n    EvaluationPeriods: 1\n    Threshold: 70\n"
        "    ComparisonOperator: GreaterThanThreshold\n    <<: *base\n"
    )
    with pytest.raises(
        AlarmDefinitionError,
        match=r"^alarms\.yaml:2 MetricAlarms\[0\]\.Period: must be 10, 20, 30 or a multiple of 60, got 45$",
    ):
        load_alarm_definitions(path)


def test_a_scenario_naming_an_alias_bomb_policy_file_is_refused(tmp_path):
    (tmp_path / "bomb.yaml").write_text(billion_laughs())
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(f"name: x\nspeed: max\nhistory: {HISTORY}\npolicy: bomb.yaml\n")
    with pytest.raises(ScenarioError, match=r"^bomb\.yaml:6: aliases expand to more than"):
        Scenario.from_yaml(scenario)


def test_gameday_command_refuses_an_alias_bomb_in_one_line(tmp_path, capsys):
    scenario = tmp_path / "bomb.yaml"
    scenario.write_text("name: x\nspeed: max\n" + billion_laughs())
    assert main(["gameday", str(scenario), "--quiet", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"incidentsim gameday: bomb.yaml:{2 + 6}: aliases expand to more than {MAX_ALIAS_VALUES} values "
        "(an alias bomb?); write the values out instead"
    ]


def test_replay_command_refuses_an_alias_bomb_in_one_line_without_a_traceback(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(billion_laughs())
    command = [
        sys.executable,
        "-m",
        "incidentsim.cli",
        "replay",
        str(HISTORY),
        "--policy",
        str(bomb),
        "--quiet",
        "--out",
        str(tmp_path / "o"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"incidentsim replay: bomb.yaml:6: aliases expand to more than {MAX_ALIAS_VALUES} values (an alias bomb?); "
        "write the values out instead"
    ]
    assert not (tmp_path / "o").exists()
