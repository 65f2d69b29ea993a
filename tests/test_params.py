"""The one way to check a parameter (incidentsim.params) and where it is used."""

from __future__ import annotations

import dataclasses
import inspect
from numbers import Integral, Real
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from incidentsim import analysis, backtest, plots, report
from incidentsim.analysis import parts
from incidentsim.datasets import evaluation, loaders, metrics
from incidentsim.emulator.faults import FAULT_INJECTOR_PARAMETERS, FAULT_RULE_PARAMETERS, FaultInjector, FaultRule
from incidentsim.emulator.models import EMULATOR_OPTIONS, EmulatorOptions
from incidentsim.panels import BacktestPanel, TuningPanel
from incidentsim.params import (
    Duration,
    HourWindow,
    Interval,
    InvalidParameterError,
    Options,
    Table,
    TimeZone,
    check,
    check_params,
    parameter_error,
    validate_params,
)


def empty_result() -> SimpleNamespace:
    return SimpleNamespace(
        events=pd.DataFrame({"timestamp": pd.Series([], dtype="datetime64[ns, UTC]"), "outcome": []}),
        incidents=pd.DataFrame({"creation_time": pd.Series([], dtype="datetime64[ns, UTC]")}),
    )


def test_one_wording_names_the_parameter_what_it_must_be_and_what_it_got():
    with pytest.raises(InvalidParameterError) as caught:
        analysis.trigger_volume(empty_result(), freq="2h")
    assert (
        str(caught.value)
        == "The 'freq' parameter of trigger_volume must be one of {15min, 1h, 1D, 1W}. Got '2h' instead."
    )
    error = caught.value
    assert (error.parameter, error.owner, error.must, error.got) == (
        "freq",
        "trigger_volume",
        "be one of {15min, 1h, 1D, 1W}",
        "'2h'",
    )
    assert error.requirement == "must be one of {15min, 1h, 1D, 1W}. Got '2h' instead."
    # existing callers catch ValueError (and TypeError for a wrong kind of value)
    assert isinstance(error, ValueError) and isinstance(error, TypeError)


@pytest.mark.parametrize(
    "constraints, good, bad, wording",
    [
        ([Interval(Integral, 1, None)], [1, np.int64(7)], [0, 2.5, True, "3"], "a positive integer"),
        ([Interval(Integral, 0, None)], [0, 5], [-1, False], "a non-negative integer"),
        ([Interval(Integral, 0, 23)], [0, 23], [24, -1], "an integer in [0, 23]"),
        (
            [Interval(Real, 0, 1, closed="right")],
            [1, 0.5, np.float32(0.1)],
            [0, 1.5, float("nan"), True],
            "a number in (0, 1]",
        ),
        (
            [Interval(Real, 0, 1e12, closed="neither"), None],
            [None, 30, 2.5],
            [0, 1e308, "30"],
            "a number in (0, 1e+12) or None",
        ),
        (
            [Options(("account", "response_plan"))],
            ["account"],
            ["galaxy", ["account"]],
            "one of {account, response_plan}",
        ),
        ([Options((True, False))], [True, False, np.bool_(True)], [1, 0, "yes"], "one of {True, False}"),
        ([Options((1, 2, 24))], [1, 24], [True, 5], "one of {1, 2, 24}"),
        (
            [Duration()],
            ["15min", "1h", pd.Timedelta("2h")],
            ["soon", "-1h", "0min", 5],
            "a positive duration such as '1h'",
        ),
        ([TimeZone()], ["UTC", "Europe/London"], ["", "Mars/Olympus", 3], "a time zone name such as 'Europe/London'"),
        (
            [HourWindow()],
            [(9, 18), [23, 7], (0, 24)],
            [(9,), (9, 9), (23, 25), (True, 5)],
            "a (start, end) pair of different hours 0..24",
        ),
        ([pd.DataFrame, None], [pd.DataFrame(), None], [[], "x"], "a DataFrame or None"),
        ([str, Interval(Real, 0, None), None], ["15m", 0, None], [-1, []], "a str, a non-negative number or None"),
        ([callable], [len], [3], "a callable"),
    ],
)
def test_the_constraint_vocabulary(constraints, good, bad, wording):
    for value in good:
        check(value, constraints, "p", "f")
    for value in bad:
        with pytest.raises(
            InvalidParameterError, match=r"^The 'p' parameter of f must be (.*)\. Got .* instead\.$"
        ) as caught:
            check(value, constraints, "p", "f")
        assert caught.value.must == f"be {wording}"


def test_a_table_says_which_columns_it_lacks():
    table = Table(("start", "end"), "a windows table")
    check(pd.DataFrame(columns=["start", "end", "series"]), [table], "windows", "score")
    with pytest.raises(InvalidParameterError) as caught:
        check(pd.DataFrame(columns=["start"]), [table], "windows", "score")
    assert (
        str(caught.value) == "The 'windows' parameter of score must be a windows table, with columns {start, end}. "
        "Got a table without {end} instead."
    )
    with pytest.raises(InvalidParameterError, match=r"Got list instead\.$"):
        check([1, 2], [table], "windows", "score")


def test_the_decorator_checks_only_what_is_given_and_keeps_the_signature():
    @validate_params({"n": [Interval(Integral, 1, None)]})
    def top(result, n=10):
        """Top n."""
        return n

    assert top(None) == 10 and top(None, 3) == 3 and top(None, n=np.int64(2)) == 2
    assert (
        top.__name__ == "top" and top.__doc__ == "Top n." and list(inspect.signature(top).parameters) == ["result", "n"]
    )
    with pytest.raises(
        InvalidParameterError, match=r"^The 'n' parameter of .*top must be a positive integer\. Got 0 instead\.$"
    ):
        top(None, 0)
    with pytest.raises(TypeError, match="unexpected keyword argument"):  # Python's own words for a wrong call
        top(None, m=3)
    with pytest.raises(TypeError, match="no parameter"):
        validate_params({"m": [int]})(lambda n: n)


def test_check_params_and_the_message_builder():
    check_params({"n": 3, "other": "anything"}, {"n": [Interval(Integral, 1, None)]}, "Thing")
    with pytest.raises(
        InvalidParameterError, match=r"^The 'n' parameter of Thing must be a positive integer\. Got -3 instead\.$"
    ):
        check_params({"n": -3}, {"n": [Interval(Integral, 1, None)]}, "Thing")
    error = parameter_error("grid", "sweep", "give numbers for 'threshold'", "'abc'")
    assert str(error) == "The 'grid' parameter of sweep must give numbers for 'threshold'. Got 'abc' instead."


def _decorated():
    modules = [
        analysis,
        parts,
        backtest,
        *[getattr(plots, name) for name in dir(plots) if name.endswith("Display")],
        report,
        evaluation,
        metrics,
        loaders,
        FaultInjector,
        TuningPanel,
        BacktestPanel,
    ]
    for module in modules:
        for name in dir(module):
            function = inspect.getattr_static(module, name, None)
            function = getattr(function, "__func__", function)  # classmethods
            if callable(function) and hasattr(function, "__parameter_constraints__"):
                yield f"{getattr(module, '__name__', module)}.{name}", function


@pytest.mark.parametrize("name, function", list(_decorated()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_default_meets_its_own_table(name, function):
    signature = inspect.signature(inspect.unwrap(function))
    for parameter, constraints in function.__parameter_constraints__.items():
        default = signature.parameters[parameter].default
        if default is not inspect.Parameter.empty:
            assert any(constraint.is_satisfied_by(default) for constraint in constraints), (name, parameter, default)


@pytest.mark.parametrize(
    "kind, table",
    [
        (EmulatorOptions, EMULATOR_OPTIONS),
        (FaultRule, FAULT_RULE_PARAMETERS),
        (FaultInjector, FAULT_INJECTOR_PARAMETERS),
    ],
    ids=lambda x: x.__name__ if isinstance(x, type) else "",
)
def test_every_dataclass_default_meets_its_table(kind, table):
    defaults = {f.name: f.default for f in dataclasses.fields(kind) if f.default is not dataclasses.MISSING}
    assert set(table) & set(defaults), kind  # the table is about the dataclass's own fields
    for name in set(table) & set(defaults):
        check(defaults[name], table[name], name, kind.__name__)
    kind()


def test_the_tables_cover_the_public_analysis_displays_backtest_and_emulator_options():
    names = {name.rsplit(".", 1)[-1] for name, _ in _decorated()}
    assert {
        "trigger_volume",
        "incidents_by_impact",
        "outcomes_by",
        "noise_classes",
        "top_noisy_alarms",
        "interruptions",
        "interruptions_by_hour",
        "shifts_over_limit",
        "shift_summary",
        "headline",
        "backtest",
        "sweep",
        "from_result",
        "from_results",
        "from_sweep",
        "from_backtest",
        "write_report",
        "write_comparison_report",
        "aggregate",
        "evaluate_periods",
        "evaluate_alarm",
        "default_evaluation_range",
        "load_metric_series",
        "load_alarm_definitions",
        "load_alarms",
        "configure",
        "__init__",
    } <= names
    assert {"TuningPanel.__init__", "BacktestPanel.__init__", "FaultInjector.configure"} <= {
        name for name, _ in _decorated()
    }
    with pytest.raises(
        ValueError,
        match=r"^The 'newest_first' parameter of EmulatorOptions must be one of \{True, False\}\. Got 'yes' instead\.$",
    ):
        EmulatorOptions(newest_first="yes")
    with pytest.raises(
        ValueError, match=r"^The 'include_ignored' parameter of TriggerVolumeDisplay must be one of \{True, False\}"
    ):
        plots.TriggerVolumeDisplay(data=pd.DataFrame(), include_ignored="no")
