"""Who holds which initiative: counting members and releasing them, in bulk."""

from __future__ import annotations

import numpy as np

from ..state import NO_INITIATIVE, State


def changed(state: State) -> None:
    """Forget the cached views of who holds which place; call after every change of
    ``citizens.initiative_of`` (unless :func:`vacated` or :func:`taken` says what changed)."""
    for key in _CACHED:
        state.scratch.pop(key, None)


def kinds_changed(state: State) -> None:
    """Forget the kinds of the places held; call after a change of an initiative's
    self-organised flag."""
    for key in _CACHED[1:]:
        state.scratch.pop(key, None)


_CACHED = ("_entries", "_entry_codes", "_flags")
"""Scratch keys of the cached views of who holds which place."""

INCREMENTAL_MIN_CITIZENS = 30_000
"""Citizens from which :func:`vacated` and :func:`taken` update the cached entries in place;
in a smaller model scanning the 4 x N table again is cheaper than the bookkeeping."""


def active_entries(state: State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mode, citizen, initiative) for every place held, as flat int64 arrays in the order of
    ``initiative_of.ravel()`` (mode, then citizen), cached until :func:`changed` and kept up
    to date by :func:`vacated` and :func:`taken`."""
    cached = state.scratch.get("_entries")
    if cached is None:
        held = state.citizens.initiative_of.ravel()
        flat = np.flatnonzero(held >= 0)
        n = state.citizens.n
        cached = (flat // n, flat % n, held[flat].astype(np.int64))
        state.scratch["_entries"] = cached
    return cached


def vacated(state: State, keep: np.ndarray) -> None:
    """The entries of :func:`active_entries` where bool ``keep`` is False were just left:
    update the cached entries (a few thousand) instead of scanning the 4 x N table again."""
    entries = state.scratch.get("_entries")
    if entries is None or state.citizens.n < INCREMENTAL_MIN_CITIZENS:
        changed(state)
        return
    state.scratch["_entries"] = tuple(a[keep] for a in entries)
    codes = state.scratch.get("_entry_codes")
    kinds_changed(state)
    if codes is not None:
        state.scratch["_entry_codes"] = codes[keep]


def taken(state: State, mode: np.ndarray, cit: np.ndarray, k: np.ndarray) -> None:
    """Citizens ``cit`` just took free places in modes ``mode`` of initiatives ``k`` (no pair
    twice): insert them into the cached entries in their order, without a new scan."""
    entries = state.scratch.get("_entries")
    if entries is None or state.citizens.n < INCREMENTAL_MIN_CITIZENS:
        changed(state)
        return
    n = state.citizens.n
    flat = entries[0] * n + entries[1]
    new = mode.astype(np.int64) * n + cit
    order = np.argsort(new, kind="stable")
    at = np.searchsorted(flat, new[order])
    state.scratch["_entries"] = tuple(
        np.insert(old, at, np.asarray(add, dtype=np.int64)[order])
        for old, add in zip(entries, (mode, cit, k), strict=True)
    )
    kinds_changed(state)


def release_initiatives(state: State, stopped: np.ndarray) -> None:
    """Members of the initiatives flagged in bool ``stopped`` (length ini.n) leave them."""
    if not stopped.any():
        return
    mode, cit, k = active_entries(state)
    leave = stopped[k]
    state.citizens.initiative_of[mode[leave], cit[leave]] = NO_INITIATIVE
    state.initiatives.members[: state.initiatives.n][stopped] = 0
    vacated(state, ~leave)


def release_citizens(state: State, citizens: np.ndarray) -> None:
    """The citizens ``citizens`` (indices, or a bool mask of length N) leave every
    initiative."""
    held = state.citizens.initiative_of[:, citizens]
    left = held[held >= 0]
    ini = state.initiatives
    ini.members[: ini.n] -= np.bincount(left, minlength=ini.n)[: ini.n].astype(np.int32)
    state.citizens.initiative_of[:, citizens] = NO_INITIATIVE
    entries = state.scratch.get("_entries")
    if entries is None or state.citizens.n < INCREMENTAL_MIN_CITIZENS:
        changed(state)
        return
    leaving = np.zeros(state.citizens.n, dtype=bool)
    leaving[citizens] = True
    vacated(state, ~leaving[entries[1]])


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
