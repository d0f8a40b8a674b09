"""The engine state's typed parts: what is derived once at build cannot be rebound."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from coprod_sim import population
from coprod_sim.params import defaults
from coprod_sim.state import Derived, State


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
