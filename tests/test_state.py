"""The engine state's typed parts: what is derived once at build cannot be rebound."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from coprod_sim import population
from coprod_sim.params import defaults
from coprod_sim.state import Derived, Episodes, State


@pytest.fixture(scope="module")
def built() -> State:
    settings = SimpleNamespace(**{**defaults(), "n_citizens": 300})
    return population.build(settings, np.random.default_rng(5))


def test_derived_is_a_frozen_record_of_the_population(built: State) -> None:
    derived = built.derived
    assert isinstance(derived, Derived)
    assert not hasattr(built, "static")  # the string-keyed side channel is gone
    with pytest.raises(dataclasses.FrozenInstanceError):
        derived.users = np.arange(3)  # type: ignore[misc]
    # Consistent with the population it was derived from.
    assert derived.need_by_team.sum() == pytest.approx(derived.need.sum())
    assert derived.nb_sizes.sum() == built.citizens.n
    assert np.array_equal(derived.users, np.flatnonzero(built.citizens.vulnerable))


def test_running_values_start_where_build_puts_them(built: State) -> None:
    """Running values have one starting point (population.build), not a default scattered
    over every reader's ``.get``; a misspelt name is an error, not a silent new key."""
    assert (built.running.voice_record, built.running.visible_success) == (0.5, 0.5)
    assert (built.running.scandal_pressure, built.running.economic_value_mean) == (0.0, 0.0)
    assert built.totals.initiatives_stopped == 0.0
    with pytest.raises(AttributeError):
        built.running.scandal_presure = 1.0  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        built.totals.volunteers = 1.0  # type: ignore[attr-defined]


def test_episodes_are_written_by_outcomes_over_the_participants() -> None:
    """After a month the episode results sit on ``state.episodes``, one entry per
    participant, and no longer in a string-keyed dict."""
    from coprod_sim.model import CoproductionModel

    model = CoproductionModel(rng=7, n_citizens=300)
    for _ in range(3):
        model.step()
    episodes = model.state.episodes
    assert isinstance(episodes, Episodes)
    assert episodes.participants.size > 0
    assert np.all(np.diff(episodes.participants) > 0)  # sorted citizen indices, once each
    for name in ("n_modes", "success", "failure", "heard", "unheard", "effort"):
        assert getattr(episodes, name).shape == episodes.participants.shape
    assert not hasattr(model.state, "scratch")
