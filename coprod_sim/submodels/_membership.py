"""Who holds which initiative: counting members and releasing them, in bulk."""

from __future__ import annotations

import numpy as np

from ..state import NO_INITIATIVE, State


def changed(state: State) -> None:
    """Forget the cached views of who holds which place; call after every change of
    ``citizens.initiative_of`` or of an initiative's self-organised flag."""
    state.scratch.pop("_entries", None)
    state.scratch.pop("_codes", None)


def active_entries(state: State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mode, citizen, initiative) for every place held, as flat arrays (cached until
    :func:`changed`)."""
    cached = state.scratch.get("_entries")
    if cached is None:
        held = state.citizens.initiative_of.ravel()
        flat = np.flatnonzero(held >= 0)
        n = state.citizens.n
        cached = (flat // n, flat % n, held[flat].astype(np.int64))
        state.scratch["_entries"] = cached
    return cached


def release_initiatives(state: State, stopped: np.ndarray) -> None:
    """Members of the initiatives flagged in bool ``stopped`` (length ini.n) leave them."""
    if not stopped.any():
        return
    held = state.citizens.initiative_of
    mask = np.zeros(held.shape, dtype=bool)
    on = held >= 0
    mask[on] = stopped[held[on]]
    held[mask] = NO_INITIATIVE
    state.initiatives.members[: state.initiatives.n][stopped] = 0
    changed(state)


def release_citizens(state: State, citizens: np.ndarray) -> None:
    """The citizens in bool ``citizens`` (length N) leave every initiative."""
    held = state.citizens.initiative_of[:, citizens]
    left = held[held >= 0]
    ini = state.initiatives
    ini.members[: ini.n] -= np.bincount(left, minlength=ini.n)[: ini.n].astype(np.int32)
    state.citizens.initiative_of[:, citizens] = NO_INITIATIVE
    changed(state)


INDIVIDUAL, COLLECTIVE, SELF_ORGANISED = 1, 2, 4
"""Bits of a place's code: co-production (individual or collective) or self-organisation."""


def place_codes(state: State) -> np.ndarray:
    """uint8 (4, N): the kind of place each citizen holds in each mode (0 = none).

    One gather through a small lookup table, so that metrics and submodels can ask
    "who co-produces collectively?" without several passes over the (4, N) holdings.
    """
    cached = state.scratch.get("_codes")
    if cached is not None:
        return cached
    ini = state.initiatives
    table = np.zeros(ini.n + 1, dtype=np.uint8)
    so = ini.view("self_organised")
    table[1:] = np.where(
        so, SELF_ORGANISED, np.where(ini.view("collective"), COLLECTIVE, INDIVIDUAL)
    )
    codes = table[state.citizens.initiative_of + 1]
    state.scratch["_codes"] = codes
    return codes


def citizen_codes(codes: np.ndarray) -> np.ndarray:
    """uint8 (N,): the bits of every place each citizen holds."""
    return np.bitwise_or.reduce(codes, axis=0)
