"""Scenario files: presets, inheritance, events, the resolved form, and a fuzzed loader."""

from __future__ import annotations

import contextlib
import math
import tomllib

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coprod_sim import CoproductionModel, params, scenario_files

PRESETS = scenario_files.presets()
REQUIRED_PRESETS = {
    "baseline",
    "austerity",
    "pandemic",
    "risk_averse_council",
    "risk_enabling_council",
    "consultation_without_feedback",
    "feedback_loop_closed",
    "digital_first",
    "community_development",
    "star_programme",
    "workshop_virtuous_circle",
}


def test_every_required_preset_exists():
    assert set(PRESETS) >= REQUIRED_PRESETS


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_preset_loads_documented_and_runs_24_steps(name):
    sc = scenario_files.load(name)
    assert sc.title and sc.description and sc.question
    assert sc.sources and all("@" in s for s in sc.sources)  # seed@offset citations
    model = CoproductionModel(scenario=sc.replace(n_citizens=300))
    model.run_for(24)
    frame = model.metrics_frame()
    assert len(frame) == 25
    assert frame.notna().all().all()


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_extends_merges_parameters_sources_and_events(tmp_path):
    _write(
        tmp_path,
        "parent.toml",
        'title = "P"\nsources = ["000@1: a"]\nseed = 5\n[parameters]\nsteps = 48\n'
        'staff_training = 0.3\ntime_poverty = 0.2\n[[shocks]]\nkind = "scandal"\nstart = 10\n',
    )
    child = _write(
        tmp_path,
        "child.toml",
        'extends = "parent.toml"\ntitle = "C"\nsources = ["000@2: b"]\n[parameters]\n'
        'staff_training = 0.9\n[[shocks]]\nkind = "unavailability"\nstart = 12\nend = 18\n'
        'share = 0.25\n[[policy_changes]]\nstart = 20\nnote = "loop"\n'
        "[policy_changes.set]\nfeedback_loop_closed = 0.8\n",
    )
    sc = scenario_files.load(child)
    assert sc.name == "child" and sc.title == "C"
    assert sc.sources == ("000@1: a", "000@2: b")
    assert sc.rng == 5 and sc.steps == 48
    assert sc.staff_training == 0.9 and sc.time_poverty == 0.2
    kinds = [(e.kind, e.start, e.duration) for e in sc.events]
    assert kinds == [("scandal", 10, 0), ("unavailability", 12, 6), ("policy", 20, 0)]
    assert sc.events[2].set == {"feedback_loop_closed": 0.8} and sc.events[2].note == "loop"


def test_overrides_seed_and_replications_replace_the_files(tmp_path):
    path = _write(tmp_path, "s.toml", "seed = 3\nreplications = 4\n[parameters]\nsteps = 10\n")
    sc = scenario_files.load(
        path, overrides={"steps": 20, "staff_training": 0.7}, seed=9, replications=2
    )
    assert (sc.steps, sc.staff_training, sc.rng, sc.replications) == (20, 0.7, 9, 2)


def test_resolved_document_round_trips_exactly(tmp_path):
    sc = scenario_files.load("pandemic", seed=11)
    text = scenario_files.dumps(sc, command="coprod run pandemic")
    doc = tomllib.loads(text)
    assert set(doc["parameters"]) == set(params.PARAMS_BY_NAME)
    assert doc["provenance"]["version"] and doc["provenance"]["command"] == "coprod run pandemic"
    again = scenario_files.loads(text, source=str(tmp_path / "pandemic.resolved.toml"))
    assert again.parameters() == sc.parameters()
    assert again.events == sc.events
    assert again.rng == 11 and again.name == "pandemic"  # the run's label survives


def test_cross_key_problem_is_reported_after_merging(tmp_path):
    path = _write(
        tmp_path,
        "s.toml",
        "[parameters]\nshare_age_18_34 = 0.6\nshare_age_55_74 = 0.5\n",
    )
    with pytest.raises(scenario_files.ScenarioError, match="allowed: at most 1"):
        scenario_files.load(path)


def test_policy_change_of_a_build_time_parameter_is_refused(tmp_path):
    path = _write(
        tmp_path,
        "s.toml",
        "[parameters]\nsteps = 24\n[[policy_changes]]\nstart = 3\n"
        "[policy_changes.set]\nn_citizens = 50\n",
    )
    with pytest.raises(scenario_files.ScenarioError) as info:
        scenario_files.load(path)
    assert "line 6" in str(info.value) and "n_citizens" in str(info.value)


def test_duration_and_end_together_are_refused(tmp_path):
    path = _write(
        tmp_path,
        "s.toml",
        '[[shocks]]\nkind = "budget_cut"\nstart = 3\nduration = 2\nend = 9\nshare = 0.1\n',
    )
    with pytest.raises(scenario_files.ScenarioError, match="both given"):
        scenario_files.load(path)


def test_problems_are_listed_together_in_line_order(tmp_path):
    path = _write(
        tmp_path, "s.toml", "[parameters]\nsteps = 0\nstaff_training = 2\nmean_degree = -1\n"
    )
    with pytest.raises(scenario_files.ScenarioError) as info:
        scenario_files.load(path)
    lines = str(info.value).splitlines()
    assert "3 problems" in lines[0]
    assert [line.split(",")[0].strip() for line in lines[1:]] == ["line 2", "line 3", "line 4"]


# ------------------------------------------------------------------------------ fuzzing

_names = st.sampled_from(
    [*params.PARAMS_BY_NAME, *scenario_files.TOP_LEVEL, "kind", "start", "set", "x"]
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["baseline.toml", "unavailability", "budget_cut", "scandal"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(_names, inner, max_size=4)
    ),
    max_leaves=12,
)
_documents = st.dictionaries(_names, _values, max_size=6)


def _toml(doc):
    """TOML text for a document (TOML has no null: drop Nones)."""

    def clean(x):
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items() if v is not None}
        if isinstance(x, list):
            return [clean(v) for v in x if v is not None]
        return x

    return tomli_w.dumps(clean(doc))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_documents)
def test_random_documents_raise_only_scenario_errors(tmp_path_factory, doc):
    base = tmp_path_factory.getbasetemp()
    try:
        text = _toml(doc)
    except (TypeError, ValueError):  # not representable in TOML (mixed arrays are fine)
        return
    try:
        sc = scenario_files.loads(text, source="fuzz.toml", base_dir=base)
    except scenario_files.ScenarioError as err:
        assert str(err).startswith("fuzz.toml")
        return
    values = sc.parameters()
    assert all(not isinstance(v, float) or math.isfinite(v) for v in values.values())


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text_raises_only_scenario_errors(text):
    with contextlib.suppress(scenario_files.ScenarioError):
        scenario_files.loads(text, source="fuzz.toml")
