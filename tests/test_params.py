"""The one parameter schema (coprod_sim.params): declarations, validation and error messages."""

from __future__ import annotations

import math

import numpy as np
import pydantic
import pytest

from coprod_sim import CoproductionModel, Scenario, params
from coprod_sim.params import PARAMETERS, ParameterError, ParamSpec

NUMERIC = [p for p in PARAMETERS if p.type in (int, float)]
ENUMS = [p for p in PARAMETERS if p.choices is not None]


def _ids(specs):
    return [p.name for p in specs]


# ---------------------------------------------------------------------------- declarations


def test_parameters_are_declared_once():
    names = [p.name for p in PARAMETERS]
    assert len(names) == len(set(names)), "duplicate parameter names"
    assert set(params.PARAMS_BY_NAME) == set(names)
    assert len(PARAMETERS) > 50


def test_groups_are_unique_and_all_used():
    assert len(params.GROUPS) == len(set(params.GROUPS))
    used = {p.group for p in PARAMETERS}
    assert used == set(params.GROUPS), f"groups declared but unused: {set(params.GROUPS) - used}"


@pytest.mark.parametrize("spec", PARAMETERS, ids=_ids(PARAMETERS))
def test_spec_is_complete(spec: ParamSpec):
    assert isinstance(spec.name, str) and spec.name.isidentifier()
    assert spec.type in (int, float, bool, str)
    assert spec.group in params.GROUPS
    assert isinstance(spec.unit, str) and spec.unit.strip()
    assert isinstance(spec.help, str) and spec.help.strip()
    assert isinstance(spec.source, str) and spec.source.strip()
    assert spec.default is not None
    if spec.type is bool:
        assert isinstance(spec.default, bool)
    elif spec.type is int:
        assert isinstance(spec.default, int) and not isinstance(spec.default, bool)
    elif spec.type is float:
        assert isinstance(spec.default, float)
    else:
        assert isinstance(spec.default, str)
        assert spec.choices, f"{spec.name}: a str parameter needs choices"


@pytest.mark.parametrize("spec", NUMERIC, ids=_ids(NUMERIC))
def test_numeric_default_within_range(spec: ParamSpec):
    assert spec.low is not None and spec.high is not None, f"{spec.name} has no range"
    assert math.isfinite(spec.low) and math.isfinite(spec.high)
    assert spec.low <= spec.default <= spec.high
    assert spec.low < spec.high


@pytest.mark.parametrize("spec", ENUMS, ids=_ids(ENUMS))
def test_enum_default_in_choices(spec: ParamSpec):
    assert spec.default in spec.choices
    assert len(set(spec.choices)) == len(spec.choices)


def test_allowed_text():
    assert params.PARAMS_BY_NAME["staff_feedback"].allowed == "a number in [0, 1]"
    assert params.PARAMS_BY_NAME["n_citizens"].allowed == "an integer in [10, 2000000]"
    assert params.PARAMS_BY_NAME["charter"].allowed == "true or false"
    assert params.PARAMS_BY_NAME["network_kind"].allowed.startswith("one of 'small_world'")


def test_defaults_and_by_group():
    d = params.defaults()
    assert d["staff_feedback"] == 0.2 and d["network_kind"] == "small_world"
    assert len(d) == len(PARAMETERS)
    total = sum(len(params.by_group(g)) for g in params.GROUPS)
    assert total == len(PARAMETERS)
    assert all(p.group == "levers" for p in params.by_group("levers"))
    with pytest.raises(KeyError, match="unknown group"):
        params.by_group("nonsense")
    assert params.names(["shocks"]) == [p.name for p in params.by_group("shocks")]
    assert params.names() == [p.name for p in PARAMETERS]


# ---------------------------------------------------------------------------- validate


def test_validate_empty_gives_defaults():
    validated = params.validate({})
    assert validated.model_dump() == params.defaults()
    assert params.validate().model_dump() == params.defaults()
    assert params.validate(None).model_dump() == params.defaults()


def test_validated_params_are_frozen():
    validated = params.validate({})
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        validated.staff_feedback = 0.9  # type: ignore[misc]


AGE_SHARES = ("share_age_18_34", "share_age_55_74", "share_age_75_plus")
EDUCATION_SHARES = ("share_high_education", "share_low_education")


@pytest.mark.parametrize("spec", PARAMETERS, ids=_ids(PARAMETERS))
def test_validate_accepts_the_default_and_the_bounds(spec: ParamSpec):
    # Shares that must add up to at most 1 are tested at their bounds with their siblings at 0.
    others: dict[str, float] = {}
    for group in (AGE_SHARES, EDUCATION_SHARES):
        if spec.name in group:
            others = {name: 0.0 for name in group if name != spec.name}
    values = [spec.default]
    if spec.type in (int, float):
        values += [spec.type(spec.low), spec.type(spec.high)]
    elif spec.choices:
        values += list(spec.choices)
    else:
        values += [True, False]
    for value in values:
        assert getattr(params.validate({**others, spec.name: value}), spec.name) == value


def test_validate_accepts_numpy_scalars_and_integral_floats():
    validated = params.validate(
        {"n_citizens": np.int64(300), "staff_feedback": np.float64(0.7), "steps": 12.0}
    )
    assert validated.n_citizens == 300 and type(validated.n_citizens) is int
    assert validated.steps == 12 and type(validated.steps) is int
    assert validated.staff_feedback == 0.7
    assert params.validate({"charter": np.bool_(True)}).charter is True
    assert (
        params.validate({"staff_feedback": 1}).staff_feedback == 1.0
    )  # an int for a float is fine


def _error(values) -> ParameterError:
    with pytest.raises(ParameterError) as info:
        params.validate(values)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.problems and str(err)
    return err


def test_unknown_key_suggests_a_close_name():
    err = _error({"staf_feedback": 0.1})
    msg = str(err)
    assert "'staf_feedback'" in msg
    assert "unknown key" in msg
    assert "did you mean 'staff_feedback'?" in msg


def test_unknown_key_without_a_close_name():
    msg = str(_error({"zzzzqqqq": 1}))
    assert "unknown key 'zzzzqqqq'" in msg
    assert "did you mean" not in msg


def test_suggest():
    assert params.suggest("n_citizen") == " (did you mean 'n_citizens'?)"
    assert params.suggest("xyzzy") == ""


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("staff_feedback", "0.5", "a number in [0, 1]"),  # a string for a float
        ("staff_feedback", True, "a number in [0, 1]"),  # a bool is not a number
        ("n_citizens", 300.5, "an integer in [10, 2000000]"),  # a fraction for an int
        ("n_citizens", "300", "an integer in [10, 2000000]"),
        ("charter", 1, "true or false"),  # an int for a bool
        ("charter", "true", "true or false"),
        ("staff_feedback", 1.5, "a number in [0, 1]"),  # out of range
        ("staff_feedback", -0.01, "a number in [0, 1]"),
        ("n_citizens", -5, "an integer in [10, 2000000]"),  # a negative count
        ("n_commissioners", 0, "an integer in [1, 50]"),
        ("n_politicians", -1, "an integer in [1, 101]"),
        ("mean_degree", 200.5, "a number in [0, 200]"),
        ("participatory_budgeting", 0.3, "a number in [0, 0.2]"),
        ("risk_strategy", "yolo", "one of 'none', 'portfolio'"),
        ("network_kind", 3, "one of 'small_world'"),
    ],
)
def test_bad_value_names_key_value_and_range(key, value, allowed):
    err = _error({key: value})
    msg = str(err)
    assert len(err.problems) == 1
    assert f"key {key!r}" in msg
    assert f"value {value!r}" in msg
    assert f"allowed: {allowed}" in msg


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("key", ["staff_feedback", "mean_degree", "willingness_intercept"])
def test_nan_and_inf_are_rejected(key, value):
    msg = str(_error({key: value}))
    assert f"key {key!r}" in msg
    assert repr(value) in msg
    assert "not a finite number" in msg
    assert f"allowed: {params.PARAMS_BY_NAME[key].allowed}" in msg


def test_nan_for_an_int_is_rejected():
    msg = str(_error({"n_citizens": math.nan}))
    assert "'n_citizens'" in msg and "nan" in msg


def test_every_problem_is_reported():
    err = _error({"staff_feedback": 2.0, "n_citizens": 3, "bogus_key": 1})
    assert len(err.problems) == 3
    msg = str(err)
    for part in ("'staff_feedback'", "'n_citizens'", "'bogus_key'"):
        assert part in msg


def test_error_names_its_source():
    with pytest.raises(ParameterError) as info:
        params.validate({"staff_feedback": 2.0}, source="scenario.toml")
    assert info.value.source == "scenario.toml"
    assert str(info.value).startswith("in scenario.toml: ")


def test_age_shares_over_one_are_rejected():
    err = _error({"share_age_18_34": 0.5, "share_age_55_74": 0.4, "share_age_75_plus": 0.3})
    msg = str(err)
    for key in ("share_age_18_34", "share_age_55_74", "share_age_75_plus"):
        assert key in msg
    assert "1.2" in msg
    assert "at most 1" in msg


def test_age_shares_summing_to_one_are_fine():
    validated = params.validate(
        {"share_age_18_34": 0.5, "share_age_55_74": 0.3, "share_age_75_plus": 0.2}
    )
    assert validated.share_age_18_34 == 0.5


def test_education_shares_over_one_are_rejected():
    msg = str(_error({"share_high_education": 0.7, "share_low_education": 0.5}))
    assert "share_high_education" in msg and "share_low_education" in msg
    assert "1.2" in msg and "at most 1" in msg


# ---------------------------------------------------------------------------- coerce


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("n_citizens", "500", 500),
        ("n_citizens", " 42 ", 42),
        ("n_citizens", "1e3", 1000),  # a whole number, as in a scenario file
        ("steps", "120.0", 120),
        ("staff_feedback", "0.5", 0.5),
        ("staff_feedback", "1", 1.0),
        ("mean_degree", "1e1", 10.0),
        ("charter", "true", True),
        ("charter", "True", True),
        ("charter", "FALSE", False),
        ("risk_strategy", "portfolio", "portfolio"),
        ("risk_strategy", '"portfolio"', "portfolio"),
    ],
)
def test_coerce_then_validate(name, text, expected):
    """Command-line text is read as a TOML value: the same rules as scenario files."""
    value = getattr(params.validate({name: params.coerce(name, text)}), name)
    assert value == expected
    assert type(value) is type(expected)


def test_coerce_then_validate_round_trip():
    values = {p.name: params.coerce(p.name, str(p.default)) for p in PARAMETERS}
    assert params.validate(values).model_dump() == params.defaults()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("n_citizens", "4.5"),
        ("n_citizens", "many"),
        ("staff_feedback", "half"),
        ("charter", "y?"),
        ("charter", "yes"),  # a file rejects charter = yes, and so does the command line
        ("charter", "1"),
        ("staff_feedback", '"0.5"'),
    ],
)
def test_coerce_rejects_bad_text(name, text):
    with pytest.raises(ParameterError) as info:
        params.validate({name: params.coerce(name, text)})
    msg = str(info.value)
    assert f"key {name!r}" in msg
    assert params.PARAMS_BY_NAME[name].allowed in msg


def test_coerce_unknown_key():
    with pytest.raises(ParameterError, match=r"unknown key 'stafffeedback'.*did you mean"):
        params.coerce("stafffeedback", "0.1")


def test_coerce_does_not_check_range():
    assert params.coerce("staff_feedback", "7") == 7.0
    with pytest.raises(ParameterError, match="allowed: a number in"):
        params.validate({"staff_feedback": params.coerce("staff_feedback", "7")})


# ---------------------------------------------------------------------------- the model


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"staf_feedback": 0.1}, "did you mean 'staff_feedback'?"),
        ({"staff_feedback": 1.5}, "key 'staff_feedback': value 1.5"),
        ({"n_citizens": 0}, "key 'n_citizens': value 0"),
        ({"n_citizens": 250.5}, "key 'n_citizens': value 250.5"),
        ({"charter": 1}, "key 'charter': value 1"),
        ({"mean_degree": math.nan}, "not a finite number"),
        ({"network_kind": "lattice"}, "key 'network_kind'"),
        (
            {"share_age_18_34": 0.6, "share_age_55_74": 0.6},
            "age shares",
        ),
    ],
)
def test_model_rejects_bad_kwargs(kwargs, fragment):
    with pytest.raises(ParameterError) as info:
        CoproductionModel(rng=1, **{"n_citizens": 300, **kwargs})
    assert fragment in str(info.value)


def test_model_rejects_bad_scenario_mapping():
    with pytest.raises(ParameterError, match="did you mean 'staff_training'"):
        CoproductionModel(rng=1, scenario={"staff_trainin": 0.2})


def test_scenario_rejects_bad_values():
    with pytest.raises(ParameterError, match="key 'staff_feedback'"):
        Scenario(staff_feedback=-1.0)


def test_model_keeps_validated_params():
    model = CoproductionModel(rng=1, n_citizens=300, staff_feedback=0.7, steps=7.0)
    assert isinstance(model.params, params.Params)
    assert model.params.staff_feedback == 0.7
    assert model.params.steps == 7 and type(model.params.steps) is int
    assert model.params.staff_training == params.PARAMS_BY_NAME["staff_training"].default


# ---------------------------------------------------------------------------- scheduled events


def test_scenario_accepts_valid_events():
    scenario = Scenario(
        n_citizens=300,
        events=[
            {"kind": "policy", "start": 2, "set": {"staff_feedback": 0.9}},
            {"kind": "budget_cut", "start": 3, "share": 0.2},
        ],
    )
    model = CoproductionModel(scenario=scenario, rng=1)
    model.run_for(3)
    assert model.state.policy.staff_feedback == 0.9


def test_scenario_rejects_unknown_event_kind():
    with pytest.raises(ValueError, match="unknown event kind 'flood'"):
        Scenario(events=[{"kind": "flood", "start": 2}])


@pytest.mark.parametrize(
    ("event", "fragment"),
    [
        ({"kind": "policy", "start": 2, "set": {"staf_feedback": 0.9}}, "staf_feedback"),
        ({"kind": "policy", "start": 2, "set": {"staff_feedback": 5.0}}, "staff_feedback"),
        ({"kind": "policy", "start": 2, "set": {"risk_appetite_staff": "high"}}, "risk_appetite"),
        ({"kind": "budget_cut", "start": 2, "share": 1.5}, "1.5"),
        ({"kind": "budget_cut", "start": -3, "share": 0.5}, "-3"),
    ],
    ids=["unknown-key", "out-of-range", "wrong-type", "share-over-1", "negative-start"],
)
def test_scenario_rejects_bad_events(event, fragment):
    with pytest.raises(ParameterError, match=fragment):
        CoproductionModel(scenario=Scenario(n_citizens=300, events=[event]), rng=1)
