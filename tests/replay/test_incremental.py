"""The tuning replay redoes only what a change reaches, and its answer is a full replay's after any sequence of
changes."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidentsim import analysis, load_alarms, replay
from incidentsim.policy import ClientTokenStrategy, Policy, ResolveStrategy, Template, parse_duration
from incidentsim.replay.incremental import TuningReplay

from ..fuzzing import examples

DATA = Path(__file__).resolve().parents[2] / "data"
ALARMS = load_alarms(DATA / "alarm-events.jsonl").alarms
POLICY = Policy.from_yaml(DATA / "sample-policy.yaml")
TUNABLE = [k for k, route in enumerate(POLICY.routes) if not route.ignore]
DAYS = sorted(ALARMS["timestamp"].dt.date.unique())
TITLES = [
    None,
    "{{ alarm_name }}",
    "{{ alarm_name }} in {{ region }} ({{ account_id }})",
    "Page: {{ response_plan }}",
    "{{ alarm_name }} {{ reason }} {{ reason }}",  # over the 200-character limit for most alarms
    "{{ alarm_name }} at {{ time }}",
    "{{ service }}",  # an undefined variable: a template error on every trigger of the route
]


def with_route(policy: Policy, k: int, **changes) -> Policy:
    routes = list(policy.routes)
    routes[k] = dataclasses.replace(routes[k], **changes)
    return policy.replace(routes=tuple(routes))


changes = st.one_of(
    st.tuples(st.just("impact"), st.sampled_from(TUNABLE), st.sampled_from([None, 1, 2, 3, 4, 5])),
    st.tuples(st.just("title"), st.sampled_from(TUNABLE), st.sampled_from(TITLES)),
    st.tuples(st.just("token"), st.sampled_from(["per_event", "30m", "6h", "none", "template"])),
    st.tuples(st.just("resolve"), st.sampled_from(["on_ok 0m", "on_ok 15m", "on_ok 2h", "after 1h", "never"])),
    st.tuples(st.just("overflow"), st.sampled_from(["reject", "truncate"])),
    st.tuples(st.just("dates"), st.integers(0, len(DAYS) - 1), st.integers(0, len(DAYS) - 1)),
)


def apply(policy: Policy, dates: tuple, change: tuple) -> tuple[Policy, tuple]:
    kind = change[0]
    if kind == "impact":
        return with_route(policy, change[1], impact=change[2]), dates
    if kind == "title":
        source = change[2]
        return with_route(policy, change[1], title=Template(source, "title") if source else None), dates
    if kind == "token":
        if change[1] in ("per_event", "none"):
            token = ClientTokenStrategy(change[1])
        elif change[1] == "template":
            token = ClientTokenStrategy("template", template=Template("{{ alarm_name }}-{{ date }}", "token"))
        else:
            token = ClientTokenStrategy("per_alarm_window", window=parse_duration(change[1]), on_mismatch="conflict")
        return policy.replace(client_token=token), dates
    if kind == "resolve":
        words = change[1].split()
        if words[0] == "on_ok":
            return policy.replace(resolve=ResolveStrategy("on_ok", delay=parse_duration(words[1]))), dates
        if words[0] == "after":
            return policy.replace(resolve=ResolveStrategy("after", after=parse_duration(words[1]))), dates
        return policy.replace(resolve=ResolveStrategy("never")), dates
    if kind == "overflow":
        return policy.replace(title_overflow=change[1]), dates
    first, last = sorted(change[1:])
    return policy, (DAYS[first], DAYS[last])


def assert_matches_a_full_replay(tuning: TuningReplay, policy: Policy, dates: tuple) -> None:
    lo, hi = tuning.rows_between(*dates)
    history = ALARMS.iloc[lo:hi].reset_index(drop=True)
    full = replay(history, policy, engine="fast")
    mine = tuning.result()
    pd.testing.assert_frame_equal(mine.events.reset_index(drop=True), full.events)
    pd.testing.assert_frame_equal(mine.incidents, full.incidents)
    # the panel's figures, counted from the arrays, are the analysis functions' on the full result
    pd.testing.assert_frame_equal(tuning.trigger_volume("1D"), analysis.trigger_volume(full, freq="1D"))
    pd.testing.assert_frame_equal(tuning.incidents_by_impact("1D"), analysis.incidents_by_impact(full, freq="1D"))
    assert tuning.headline(tz="Europe/Berlin") == analysis.headline(full, tz="Europe/Berlin")


@pytest.mark.long
@settings(
    max_examples=examples(12, 200),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(steps=st.lists(changes, min_size=1, max_size=5))
def test_the_tuning_replay_equals_a_full_replay_after_any_changes(steps):
    policy, dates = POLICY, (DAYS[0], DAYS[-1])
    tuning = TuningReplay(ALARMS, POLICY)
    for step in steps:
        policy, dates = apply(policy, dates, step)
        tuning.update(policy, rows=tuning.rows_between(*dates))
    assert_matches_a_full_replay(tuning, policy, dates)


def test_an_impact_change_rebuilds_the_tables_without_a_scan():
    tuning = TuningReplay(ALARMS, POLICY)
    payments = next(k for k, r in enumerate(POLICY.routes) if r.name == "payments")
    tuned = with_route(POLICY, payments, impact=3)
    assert (tuning.update(tuned), tuning.scans, tuning.decides) == ("tables", 1, 1)
    assert set(tuning.result().incidents.query("response_plan == 'payments-critical'")["impact"]) == {3}
    assert_matches_a_full_replay(tuning, tuned, (DAYS[0], DAYS[-1]))


def test_what_each_change_redoes():
    tuning = TuningReplay(ALARMS, POLICY)
    search = next(k for k, r in enumerate(POLICY.routes) if r.name == "search")
    policy = with_route(POLICY, search, title=Template("Search: {{ alarm_name }}", "title"))
    assert tuning.update(policy) == "tables"  # titles within the limit: the same outcomes
    policy = with_route(policy, search, title=Template("{{ alarm_name }} {{ reason }} {{ reason }}", "title"))
    assert tuning.update(policy) == "scan"  # over the limit: refused requests appear
    assert (tuning.result().events["error_code"] == "ValidationException").any()
    policy = with_route(policy, search, title=Template("{{ service }}", "title"))
    assert tuning.update(policy) == "decide"  # a template error takes the triggers out
    policy = policy.replace(resolve=ResolveStrategy("never"))
    assert tuning.update(policy) == "scan"
    assert tuning.update(policy) == "none"
    assert (
        tuning.update(policy.replace(client_token=ClientTokenStrategy("none"))) == "decide"
    )  # errors before: decided anew
    assert_matches_a_full_replay(tuning, policy.replace(client_token=ClientTokenStrategy("none")), (DAYS[0], DAYS[-1]))
    policy = with_route(policy, search, title=None).replace(client_token=ClientTokenStrategy("none"))
    assert tuning.update(policy) == "decide"
    windows = ClientTokenStrategy("per_alarm_window", window=parse_duration("6h"), on_mismatch="conflict")
    assert (
        tuning.update(policy.replace(client_token=windows)) == "scan"
    )  # tokens alone: the triggers keep their decisions
    assert_matches_a_full_replay(tuning, policy.replace(client_token=windows), (DAYS[0], DAYS[-1]))


def test_title_previews_count_what_the_result_holds():
    tuning = TuningReplay(ALARMS, POLICY)
    events = tuning.result().events
    for plan in ("checkout-critical", "search-degraded"):
        mine = events[(events["outcome"] != "ignored") & (events["response_plan"] == plan)]
        preview = tuning.title_preview(plan)
        assert preview["triggers"] == len(mine)
        assert preview["distinct_titles"] == mine["title"].nunique()
        assert preview["first"] == list(dict.fromkeys(mine["title"].astype(str)))[:5]
        assert preview["collisions"] == int((mine.groupby("title", observed=True)["alarm_arn"].nunique() > 1).sum())


@pytest.mark.parametrize("overflow", ["reject", "truncate"])
@pytest.mark.parametrize("template", TITLES[1:])
def test_title_previews_are_the_title_cardinality_of_the_result(template, overflow):
    """The panel's previews and the report's table count titles by one rule (analysis.titles.title_counts)."""
    capacity = next(k for k, route in enumerate(POLICY.routes) if route.name == "capacity")
    policy = with_route(POLICY, capacity, title=Template(template, "capacity title")).replace(title_overflow=overflow)
    tuning = TuningReplay(ALARMS, policy)
    table = analysis.title_cardinality(tuning.result()).set_index("response_plan")
    counts = ["triggers", "distinct_titles", "collisions", "undefined_variables", "cut_titles", "over_limit"]
    for plan in table.index.drop("all"):
        preview = tuning.title_preview(plan)
        assert {key: preview[key] for key in counts} == table.loc[plan, counts].to_dict(), plan


def test_an_unknown_period_is_refused_with_the_choices():
    with pytest.raises(
        ValueError,
        match=r"The 'freq' parameter of TuningReplay must be one of \{15min, 1h, 1D, 1W\}. Got '2D' instead.",
    ):
        TuningReplay(ALARMS.iloc[:50], POLICY).trigger_volume("2D")
