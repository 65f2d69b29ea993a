"""The dask engine gives the fast engine's answer: on the bundled sample, random histories and policies,
the Huawei sets, and partitions of every size, on a LocalCluster of worker processes."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip(
    "distributed", reason="the dask engine's tests need dask and distributed (the test extra installs them)"
)

import dask.dataframe as dd  # noqa: E402
from distributed import Client, LocalCluster  # noqa: E402

from incidentsim import analysis, load_alarms, replay  # noqa: E402
from incidentsim.cli import main  # noqa: E402
from incidentsim.datasets.capture import write_alarm_dataset  # noqa: E402
from incidentsim.policy import Policy  # noqa: E402
from incidentsim.replay import ReplayResult  # noqa: E402
from incidentsim.replay.distributed import (  # noqa: E402
    LOCAL_CLUSTER,
    DaskEngineError,
    DaskReplayResult,
    plan_partitions,
    run_dask,
)

from incidentsim.report import report_analyses, write_report  # noqa: E402

from ..fuzzing import examples  # noqa: E402
from .test_equality import histories, policies  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "data"
ANALYSES = [
    ("trigger_volume", {"freq": "1D"}),
    ("trigger_volume", {"freq": "1h"}),
    ("incidents_by_impact", {"freq": "1W"}),
    ("outcomes_by", {"by": "plan"}),
    ("outcomes_by", {"by": "alarm"}),
    ("impact_mix", {}),
    ("top_noisy_alarms", {"n": 15}),
    ("noise_classes", {}),
    ("noise_classes", {"storm_min": 3, "storm_window": "1h"}),
    ("interruptions", {"tz": "Europe/Paris"}),
    ("interruptions_by_hour", {}),
    ("shift_summary", {"tz": "America/New_York"}),
    ("shifts_over_limit", {"shift_hours": 8}),
    ("title_cardinality", {}),
    ("headline", {"tz": "Europe/Paris"}),
]


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, **LOCAL_CLUSTER) as local:
        with Client(local) as client:
            yield client


@pytest.fixture(scope="module")
def sample():
    return load_alarms(DATA / "alarm-events.jsonl").alarms


@pytest.fixture(scope="module")
def sample_policy():
    return Policy.from_yaml(DATA / "sample-policy.yaml")


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns compared as text (the engines hold them as categoricals, strings or objects)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or isinstance(out[column].dtype, (pd.CategoricalDtype, pd.StringDtype)):
            out[column] = out[column].astype(object).where(out[column].notna(), None).astype("string")
    return out


def assert_same(fast: ReplayResult, dask_result: DaskReplayResult) -> ReplayResult:
    """The dask result holds the fast one's events (every column, row for row by event_id) and incidents."""
    got = dask_result.compute()
    assert dask_result.summary() == fast.summary()
    left = _text(fast.events).sort_values("event_id", ignore_index=True)
    right = _text(got.events).sort_values("event_id", ignore_index=True)
    pd.testing.assert_frame_equal(left, right)
    left = _text(fast.incidents).sort_values("incident_arn", ignore_index=True)
    right = _text(got.incidents).sort_values("incident_arn", ignore_index=True)
    pd.testing.assert_frame_equal(left, right)
    return got


def test_the_sample_on_a_cluster_equals_the_fast_engine(cluster, sample, sample_policy):
    fast = replay(sample, sample_policy, engine="fast")
    result = replay(
        dd.from_pandas(sample, npartitions=3), sample_policy, engine="dask", client=cluster, partition_rows=700
    )
    assert isinstance(result, DaskReplayResult)
    assert result.meta["partitions"] == 5 and sum(result.meta["rows_per_partition"]) == len(sample)
    assert result.meta["components"] > result.meta["partitions"]
    assert_same(fast, result)
    assert result.summary_text().replace("dask engine", "fast engine") == fast.summary_text()
    # the lazy tables hold the same rows
    lazy = result.events.compute()
    assert sorted(lazy["event_id"].tolist()) == sorted(fast.events["event_id"].tolist())
    assert str(lazy["outcome"].dtype) == "category" and lazy["explanation"].str.len().gt(0).all()
    assert result.incidents.npartitions == 5 and len(result.incidents.compute()) == len(fast.incidents)


def test_analyses_aggregate_on_the_cluster_to_the_same_tables(cluster, sample, sample_policy):
    fast = replay(sample, sample_policy, engine="fast")
    result = run_dask(
        dd.from_pandas(sample, npartitions=2), sample_policy, client=cluster, partition_rows=500
    ).persist()
    for name, kwargs in ANALYSES:
        expected, found = getattr(analysis, name)(fast, **kwargs), getattr(analysis, name)(result, **kwargs)
        if isinstance(expected, dict):
            assert found == expected, name
        else:
            pd.testing.assert_frame_equal(found, expected, check_dtype=False, obj=f"{name} {kwargs}")


def test_storms_across_partitions_are_found(cluster):
    """Twelve alarms enter ALARM within a minute; each is a component of its own, so a storm spans partitions."""
    t0 = pd.Timestamp("2024-05-01T00:00:00Z")
    rows = []
    for k in range(12):
        for minute, (state, previous) in enumerate([("ALARM", "OK"), ("OK", "ALARM")]):
            rows.append(
                {
                    "event_id": f"e{k}-{minute}",
                    "timestamp": t0 + pd.Timedelta(seconds=5 * k + 600 * minute),
                    "account_id": "111111111111",
                    "region": "us-east-1",
                    "alarm_name": f"a{k}",
                    "alarm_arn": f"arn:aws:cloudwatch:us-east-1:111111111111:alarm:a{k}",
                    "state": state,
                    "previous_state": previous,
                    "reason": "r",
                    "source": "aws.cloudwatch",
                    "raw": "{}",
                    "origin": f"t:{k}:{minute}",
                }
            )
    frame = pd.DataFrame(rows).sort_values("timestamp", ignore_index=True)
    policy = Policy.from_dict({"response_plans": [{"name": "p", "title": "P", "impact": 3}], "unmatched": "p"})
    result = run_dask(dd.from_pandas(frame, npartitions=2), policy, client=cluster, npartitions=4)
    assert result.meta["components"] == 12 and result.meta["partitions"] == 4
    classes = analysis.noise_classes(result)
    assert classes["storm"].all() and classes["storm_triggers"].eq(1).all()
    pd.testing.assert_frame_equal(classes, analysis.noise_classes(replay(frame, policy, engine="fast")))


@pytest.mark.long
@settings(
    max_examples=examples(6, 100),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
@given(
    frame=histories(),
    policy=policies(),
    pieces=st.integers(1, 4),
    npartitions=st.sampled_from([None, 1, 2, 3, 6]),
    partition_rows=st.integers(1, 40),
)
def test_random_histories_and_policies_equal_the_fast_engine(
    cluster, frame, policy, pieces, npartitions, partition_rows
):
    fast = replay(frame, policy, engine="fast")
    history = dd.from_pandas(frame, npartitions=min(pieces, len(frame)))
    result = run_dask(history, policy, client=cluster, npartitions=npartitions, partition_rows=partition_rows)
    assert_same(fast, result)
    if npartitions is not None:
        assert result.meta["partitions"] == npartitions


@pytest.mark.long
@pytest.mark.parametrize("name", ["18V_55N_Wireless", "24V_439N_Microwave", "25V_474N_Microwave"])
def test_the_huawei_sets_equal_the_fast_engine(cluster, corpus, name, tmp_path):
    """The first 15,000 events of each set (every one under the long profile), in three files and four partitions."""
    load = load_alarms(corpus / "huawei-pcic2021-alarms" / name / "Alarm.csv", time_origin="2024-01-01")
    alarms = load.alarms.iloc[: examples(15_000, len(load.alarms))].reset_index(drop=True)
    policy = Policy.from_dict(
        {
            "response_plans": [{"name": "network", "title": "Network alarm", "impact": 3}],
            "routes": [{"name": "all", "match": {"alarm_name": "*"}, "plan": "network", "title": "{{ alarm_name }}"}],
            "resolve": {"strategy": "on_ok", "delay": "5m"},
        }
    )
    rows = len(alarms)
    write_alarm_dataset(alarms, tmp_path / "ds", partition_rows=max(1, rows // 3))
    result = run_dask(tmp_path / "ds", policy, client=cluster, partition_rows=max(1, rows // 4))
    assert result.meta["rows"] == rows
    assert_same(replay(alarms, policy, engine="fast"), result)


def test_one_key_bigger_than_a_partition_and_empty_partitions(cluster, sample):
    """A dedupe string shared by every alarm makes one component of the whole history: it stays whole."""
    policy = Policy.from_dict(
        {
            "response_plans": [{"name": "all", "title": "All", "impact": 2, "dedupe_string": "one"}],
            "unmatched": "all",
            "resolve": {"strategy": "on_ok", "delay": "10m"},
        }
    )
    result = run_dask(dd.from_pandas(sample, npartitions=4), policy, client=cluster, npartitions=4, partition_rows=100)
    assert result.meta["components"] == 1 and result.meta["largest_component_rows"] == len(sample)
    assert sorted(result.meta["rows_per_partition"]) == [0, 0, 0, len(sample)]
    assert_same(replay(sample, policy, engine="fast"), result)


def test_tokens_shared_by_alarms_join_them(cluster, sample):
    """A clientToken template that two alarms render alike puts them in one component (and the answer holds)."""
    policy = Policy.from_dict(
        {
            "response_plans": [{"name": "p", "title": "P", "impact": 3}],
            "unmatched": "p",
            "client_token": {"strategy": "template", "template": "{{ account_id }}-{{ date }}"},
        }
    )
    result = run_dask(dd.from_pandas(sample, npartitions=2), policy, client=cluster, partition_rows=200)
    assert result.meta["components"] < sample["alarm_arn"].nunique()
    got = assert_same(replay(sample, policy, engine="fast"), result)
    assert (got.events["dedup_reason"] == "client_token").any()


def test_plan_partitions_joins_chains_and_balances():
    links = pd.DataFrame(
        {
            "alarm_arn": ["a", "b", "c", "d", "e", "a", "b", "b", "c", "e"],
            "link": ["", "", "", "", "", "s1", "s1", "tX", "tX", "s9"],
            "rows": [10, 1, 1, 4, 3, 0, 0, 0, 0, 0],
        }
    )
    parts, figures = plan_partitions(links, npartitions=3)
    assert parts["a"] == parts["b"] == parts["c"]  # a-b by a slot, b-c by a token
    assert len({parts["a"], parts["d"], parts["e"]}) == 3
    assert figures == {"components": 3, "largest_component_rows": 12, "partitions": 3, "rows_per_partition": [12, 4, 3]}
    parts, figures = plan_partitions(links, partition_rows=8)
    assert figures["partitions"] == 3
    parts, figures = plan_partitions(links, npartitions=5)
    assert figures["rows_per_partition"].count(0) == 2


def test_a_parquet_dataset_by_folder_and_by_glob(cluster, sample, sample_policy, tmp_path):
    files = write_alarm_dataset(sample, tmp_path / "ds", partition_rows=1000)
    assert len(files) == 4 and sum(len(pd.read_parquet(f)) for f in files) == len(sample)
    fast = replay(sample, sample_policy, engine="fast")
    for source in (tmp_path / "ds", str(tmp_path / "ds" / "part.*.parquet")):
        result = run_dask(source, sample_policy, client=cluster)
        assert result.summary() == fast.summary()


def test_what_the_dask_engine_refuses(cluster, sample, sample_policy, tmp_path):
    with pytest.raises(DaskEngineError, match=r"no-such-folder: no such file or directory"):
        run_dask(tmp_path / "no-such-folder", sample_policy, client=cluster)
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(DaskEngineError, match=r"bad\.parquet: not a readable Parquet dataset"):
        run_dask(tmp_path / "bad.parquet", sample_policy, client=cluster)
    with pytest.raises(DaskEngineError, match=r"no column\(s\) state, previous_state"):
        run_dask(sample.drop(columns=["state", "previous_state"]), sample_policy, client=cluster)
    with pytest.raises(
        DaskEngineError, match=r"The 'partition_rows' parameter of replay must be an int >= 1. Got 0 instead."
    ):
        run_dask(sample, sample_policy, client=cluster, partition_rows=0)
    with pytest.raises(DaskEngineError, match=r"got list"):
        run_dask([1, 2], sample_policy, client=cluster)
    with pytest.raises(ValueError, match=r"partition_rows goes with engine='dask'"):
        replay(sample, sample_policy, engine="fast", partition_rows=10)


def test_an_empty_history_writes_readable_empty_tables(cluster, sample, sample_policy, tmp_path):
    result = run_dask(sample.iloc[:0], sample_policy, client=cluster)
    assert result.summary()["events"] == 0 and result.npartitions == 0
    result.to_parquet(tmp_path / "out")
    back = ReplayResult.read(tmp_path / "out")
    assert len(back.events) == 0 and len(back.incidents) == 0
    assert analysis.headline(result)["incidents"] == 0


def test_to_parquet_writes_everything_in_one_pass_and_the_report_needs_no_other(
    cluster, sample, sample_policy, tmp_path, monkeypatch
):
    fast = replay(sample, sample_policy, engine="fast")
    result = run_dask(dd.from_pandas(sample, npartitions=2), sample_policy, client=cluster, partition_rows=900)
    paths = result.to_parquet(tmp_path / "out", analyses=report_analyses())
    assert len(list(paths["events"].glob("part.*.parquet"))) == result.npartitions

    def no_second_pass(*args, **kwargs):
        raise AssertionError("the report computed on the cluster again")

    monkeypatch.setattr(result, "_compute_parts", no_second_pass)
    write_report(result, tmp_path / "out")
    write_report(fast, tmp_path / "fast")
    for table in ("noisiest_alarms", "outcomes_by_plan", "impact_mix", "interruptions", "shifts_over_limit", "titles"):
        assert (tmp_path / "out" / f"{table}.csv").read_text() == (tmp_path / "fast" / f"{table}.csv").read_text(), (
            table
        )
    summary = json.loads(paths["summary"].read_text())
    assert summary["engine"] == "dask" and summary["created"] == fast.summary()["created"]
    back = ReplayResult.read(tmp_path / "out")
    assert back.summary() == fast.summary() and len(back.incidents) == len(fast.incidents)


def test_a_policy_pickles_with_its_templates(sample_policy):
    policy = Policy.from_dict(
        {
            "response_plans": [{"name": "p", "title": "P", "impact": 3}],
            "routes": [{"match": {"alarm_name": "*"}, "plan": "p", "title": "{{ alarm_name | upper }}"}],
        }
    )
    again = pickle.loads(pickle.dumps(policy))
    assert again == policy
    assert again.routes[0].title.render({"alarm_name": "web"}) == "WEB"


def test_the_command_line_loads_a_dataset_and_replays_it_on_a_scheduler(cluster, sample, tmp_path, capsys):
    assert (
        main(
            [
                "load",
                str(DATA / "alarm-events.jsonl"),
                "--out",
                str(tmp_path / "ds"),
                "--partitioned",
                "--partition-rows",
                "1_000",
            ]
        )
        == 0
    )
    assert "(4 Parquet files of up to 1,000 rows)" in capsys.readouterr().out
    address = cluster.scheduler.address
    code = main(
        [
            "replay",
            str(tmp_path / "ds"),
            "--engine",
            "dask",
            "--scheduler",
            address,
            "--out",
            str(tmp_path / "out"),
            "--quiet",
        ]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    fast = replay(sample, DATA / "sample-policy.yaml", engine="fast").summary()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert {k: summary[k] for k in fast} == fast
    assert (tmp_path / "out" / "report.html").is_file() and summary["provenance"]["history"][0][
        "file"
    ] == "part.00000.parquet"
    assert f"{fast['created']:,} incidents created" in out.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["replay", "--engine", "dask"], "--engine dask replays a Parquet dataset"),
        (["replay", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler goes with --engine dask"),
        (["replay", "x", "--engine", "dask", "--columns", "alarm_name=a"], "--columns applies when loading"),
        (["load", str(DATA / "alarm-events.jsonl"), "--partitioned"], "--partitioned writes a Parquet dataset"),
    ],
)
def test_command_line_mistakes_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_partition_rows_must_be_a_positive_number(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["load", str(DATA / "alarm-events.jsonl"), "--partition-rows", "0"])
    assert stop.value.code == 2 and "expected a whole number >= 1, got '0'" in capsys.readouterr().err


def test_rows_keep_their_input_order_within_a_timestamp(cluster, sample_policy):
    """Rows at one instant are replayed in input order, across the input's partitions, as the fast engine does."""
    t0 = pd.Timestamp("2024-05-01T00:00:00Z")
    arn = "arn:aws:cloudwatch:us-east-1:111111111111:alarm:a"
    states = [("ALARM", "OK"), ("OK", "ALARM"), ("ALARM", "OK"), ("OK", "ALARM")]
    frame = pd.DataFrame(
        [
            {
                "event_id": f"e{k}",
                "timestamp": t0,
                "account_id": "111111111111",
                "region": "us-east-1",
                "alarm_name": "a",
                "alarm_arn": arn,
                "state": s,
                "previous_state": p,
                "reason": "r",
                "source": "aws.cloudwatch",
                "raw": "{}",
                "origin": f"t:{k}",
            }
            for k, (s, p) in enumerate(states)
        ]
    )
    policy = Policy.from_dict(
        {
            "response_plans": [{"name": "p", "title": "P", "impact": 3}],
            "unmatched": "p",
            "resolve": {"strategy": "on_ok", "delay": "0m"},
        }
    )
    result = run_dask(dd.from_pandas(frame, npartitions=4, sort=False), policy, client=cluster)
    assert_same(replay(frame, policy, engine="fast"), result)
    assert np.array_equal(
        result.compute().events["outcome"].astype(str).to_numpy(), ["created", "ignored", "created", "ignored"]
    )
