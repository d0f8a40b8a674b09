"""Who holds which initiative: counting members and releasing them, in bulk."""

from __future__ import annotations

import numpy as np

from ..state import NO_INITIATIVE, State


def changed(state: State) -> None:
    """Forget the cached views of who holds which place; call after every change of
    ``citizens.initiative_of`` or of an initiative's self-organised flag."""
    for key in _CACHED:
        state.scratch.pop(key, None)


_CACHED = ("_entries", "_entry_codes", "_flags")
"""Scratch keys of the cached views of who holds which place."""


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
    """The citizens ``citizens`` (indices, or a bool mask of length N) leave every
    initiative."""
    held = state.citizens.initiative_of[:, citizens]
    left = held[held >= 0]
    ini = state.initiatives
    ini.members[: ini.n] -= np.bincount(left, minlength=ini.n)[: ini.n].astype(np.int32)
    state.citizens.initiative_of[:, citizens] = NO_INITIATIVE
    changed(state)


INDIVIDUAL, COLLECTIVE, SELF_ORGANISED = 1, 2, 4
"""Bits of a place's code: co-production (individual or collective) or self-organisation."""


def entry_codes(state: State) -> np.ndarray:
    """uint8: the kind of place of each entry of :func:`active_entries` (cached alike)."""
    cached = state.scratch.get("_entry_codes")
    if cached is None:
        ini = state.initiatives
        table = np.where(
            ini.view("self_organised"),
            SELF_ORGANISED,
            np.where(ini.view("collective"), COLLECTIVE, INDIVIDUAL),
        ).astype(np.uint8)
        cached = table[active_entries(state)[2]]
        state.scratch["_entry_codes"] = cached
    return cached


def citizen_flags(state: State) -> np.ndarray:
    """uint8 (N,): the bits of every place each citizen holds (0 = none), cached until
    :func:`changed`.

    Few citizens hold a place in any one month (about 2% of the 4 x N slots), so the bits
    are scattered from the held entries rather than read from every slot: metrics and
    submodels can then ask "who co-produces collectively?" in one pass over N bytes.
    """
    cached = state.scratch.get("_flags")
    if cached is None:
        _, cit, _ = active_entries(state)
        cached = np.zeros(state.citizens.n, dtype=np.uint8)
        np.bitwise_or.at(cached, cit, entry_codes(state))
        state.scratch["_flags"] = cached
    return cached
