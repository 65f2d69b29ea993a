"""Templates are checked before the replay: Policy.check, the CLI's stop (or --keep-going), and a summary that names
route and reason."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import incidentsim
from incidentsim.cli import main
from incidentsim.policy import Policy
from incidentsim.replay import ReplayResult, replay

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLE_POLICY = DATA / "sample-policy.yaml"
CHECKOUT_TITLE = (
    '"{{ alarm_name }} in {{ region }} ({{ account_id }})"'  # the checkout route's, then the payments route's
)


@pytest.fixture(scope="module")
def alarms() -> pd.DataFrame:
    return incidentsim.load_alarms(DATA / "alarm-events.jsonl").alarms


@pytest.fixture(scope="module")
def checkout_triggers(alarms) -> int:
    """Triggers the sample policy sends through the checkout route, counted from a replay of the good policy."""
    events = replay(alarms, SAMPLE_POLICY, engine="fast").event_table(explanations=False)
    reached = events["outcome"].isin(["created", "deduplicated", "rejected", "failed"])
    return int((reached & (events["response_plan"] == "checkout-critical")).sum())


def sample_with_checkout_title(tmp_path: Path, title: str) -> tuple[Path, int]:
    """The sample policy with the checkout route's title replaced; the file and the line of that title."""
    text = SAMPLE_POLICY.read_text()
    assert text.count(CHECKOUT_TITLE) == 2
    text = text.replace(CHECKOUT_TITLE, title, 1)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    line = next(number for number, content in enumerate(text.splitlines(), 1) if title in content)
    return path, line


def test_check_names_route_place_reason_and_count(alarms, checkout_triggers, tmp_path):
    path, line = sample_with_checkout_title(tmp_path, '"{{ alarm_name }} for {{ owner }}"')
    check = Policy.from_yaml(path).check(alarms)
    assert not check.ok
    assert check.failed == checkout_triggers > 0
    (route,) = check.routes
    assert (route.route, route.plan, route.failed, route.kinds) == (
        "checkout",
        "checkout-critical",
        checkout_triggers,
        1,
    )
    (problem,) = route.problems
    assert problem.where == f"bad.yaml:{line} routes[2].title"
    assert problem.problem == "undefined variable: 'owner' is undefined"
    assert problem.triggers == checkout_triggers and problem.first_alarm.startswith("checkout-")
    text = check.summary_text()
    assert f"templates fail on {checkout_triggers:,} of " in text
    assert f"route 'checkout': {checkout_triggers:,} triggers" in text
    assert f"bad.yaml:{line} routes[2].title: undefined variable: 'owner' is undefined" in text


def test_check_reports_a_filter_that_fails_on_the_data(alarms, tmp_path):
    path, line = sample_with_checkout_title(tmp_path, '"{{ alarm_name | round }}"')
    (route,) = Policy.from_yaml(path).check(alarms).routes
    assert route.route == "checkout"
    assert route.problems[0].where == f"bad.yaml:{line} routes[2].title"
    assert route.problems[0].problem == "TypeError: type str doesn't define __round__ method"


def test_check_lists_the_first_errors_and_counts_them_all(alarms, checkout_triggers, tmp_path):
    # a different missing key per alarm: one distinct error per checkout alarm
    path, _ = sample_with_checkout_title(tmp_path, '"{{ dimensions[alarm_name] }}"')
    (route,) = Policy.from_yaml(path).check(alarms, limit=2).routes
    assert route.failed == checkout_triggers
    assert len(route.problems) == 2 and route.kinds > 2
    assert sum(problem.triggers for problem in route.problems) < checkout_triggers
    assert (
        f"and {route.kinds - 2:,} more distinct errors on this route"
        in Policy.from_yaml(path).check(alarms, limit=2).summary_text()
    )


def test_the_sample_policy_passes_the_check(alarms):
    check = Policy.from_yaml(SAMPLE_POLICY).check(alarms)
    assert check.ok and check.failed == 0 and check.routes == ()
    assert check.summary_text() == "policy 'sample-policy': every template renders for all 1,470 triggers"


def history(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "event_id": f"e{i}",
                "timestamp": pd.Timestamp("2024-05-01", tz="UTC") + pd.Timedelta(minutes=i),
                "alarm_name": name,
                "alarm_arn": f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{name}",
                "account_id": "123456789012",
                "region": "us-east-1",
                "state": state,
                "previous_state": previous,
                "reason": "",
                "source": "aws.cloudwatch",
                "raw": "{}",
                "origin": f"test:{i}",
            }
            for i, (name, state, previous) in enumerate(rows)
        ]
    )


def test_a_failing_token_template_on_unmatched_alarms_is_named_so_by_check_and_both_engines():
    policy = Policy.from_dict(
        {
            "response_plans": [
                {"name": "web", "title": "Web", "impact": 3},
                {"name": "other", "title": "Other", "impact": 4},
            ],
            "routes": [{"name": "web", "match": {"alarm_name": "web-*"}, "plan": "web"}],
            "unmatched": "other",
            "client_token": {"strategy": "template", "template": "{{ alarm_name }}-{{ ticket }}"},
        }
    )
    events = history(
        ("db-cpu", "ALARM", "OK"), ("db-cpu", "OK", "ALARM"), ("db-cpu", "ALARM", "OK"), ("web-5xx", "ALARM", "OK")
    )
    check = policy.check(events)
    assert check.triggers == 3 and check.failed == 3
    assert [(route.route, route.plan, route.failed) for route in check.routes] == [("web", "web", 1), ("", "other", 2)]
    assert "alarms no route matched (sent to 'other'): 2 triggers" in check.summary_text()
    assert (
        "policy client_token.template: undefined variable: 'ticket' is undefined (2 triggers; first db-cpu)"
        in check.summary_text()
    )
    for engine in ("fast", "emulator"):
        text = replay(events, policy, engine=engine, progress=False).summary_text()
        assert (
            "rejected: 2 x TemplateError on alarms no route matched (policy client_token.template: undefined variable"
            in text
        ), engine
        assert "rejected: 1 x TemplateError on route 'web' (policy client_token.template:" in text, engine


def test_replay_stops_before_any_call_and_names_the_problems(checkout_triggers, tmp_path, capsys, monkeypatch):
    import importlib

    replay_module = importlib.import_module(
        "incidentsim.replay"
    )  # the package (``incidentsim.replay`` is also the function)
    path, line = sample_with_checkout_title(tmp_path, '"{{ alarm_name }} for {{ owner }}"')

    def no_call(*args, **kwargs):
        raise AssertionError("the replay ran although the templates fail")

    monkeypatch.setattr(replay_module, "replay", no_call)
    out = tmp_path / "out"
    assert main(["replay", "--policy", str(path), "--quiet", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and not out.exists()
    err = captured.err
    assert (
        f"incidentsim replay: policy 'sample-policy': templates fail on {checkout_triggers:,} of 1,470 triggers" in err
    )
    assert f"  route 'checkout': {checkout_triggers:,} triggers\n" in err
    assert (
        f"    bad.yaml:{line} routes[2].title: undefined variable: 'owner' is undefined "
        f"({checkout_triggers:,} triggers; first " in err
    )
    assert err.rstrip().endswith("add --keep-going to replay anyway")


@pytest.mark.parametrize("command", [["compare", "--policy", str(SAMPLE_POLICY), "--policy"], ["report", "--policy"]])
def test_compare_and_report_check_before_they_replay(command, tmp_path, capsys):
    path, _ = sample_with_checkout_title(tmp_path, '"{{ owner }}"')
    assert main([*command, str(path), "--engine", "fast", "--out", str(tmp_path / "out")]) == 2
    assert "route 'checkout'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_keep_going_replays_and_the_summary_names_route_and_reason(checkout_triggers, tmp_path, capsys):
    path, line = sample_with_checkout_title(tmp_path, '"{{ alarm_name }} for {{ owner }}"')
    out = tmp_path / "out"
    assert (
        main(["replay", "--policy", str(path), "--engine", "fast", "--quiet", "--keep-going", "--out", str(out)]) == 0
    )
    captured = capsys.readouterr()
    assert "route 'checkout'" in captured.err  # the check's lines still show
    expected = (
        f"  rejected: {checkout_triggers:,} x TemplateError on route 'checkout' "
        f"(bad.yaml:{line} routes[2].title: undefined variable: 'owner' is undefined)"
    )
    assert expected in captured.out.splitlines()
    events = pd.read_csv(out / "events.csv")
    assert (events["error_code"] == "TemplateError").sum() == checkout_triggers
    # the folder keeps route and reason: a result read back says the same
    assert expected in ReplayResult.read(out).summary_text().splitlines()


def test_a_good_policy_replays_without_a_word_from_the_check(tmp_path, capsys):
    assert main(["replay", "--engine", "fast", "--quiet", "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "templates fail" not in captured.err and "rejected:" not in captured.out
    assert "0 rejected" in captured.out
