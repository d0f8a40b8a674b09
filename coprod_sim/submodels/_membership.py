"""Who holds which initiative: counting members and releasing them, in bulk."""

from __future__ import annotations

import numpy as np

from ..state import NO_INITIATIVE, State


def active_entries(state: State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mode, citizen, initiative) for every place held, as flat arrays."""
    held = state.citizens.initiative_of.ravel()
    flat = np.flatnonzero(held >= 0)
    n = state.citizens.n
    return flat // n, flat % n, held[flat].astype(np.int64)


def recount(state: State) -> None:
    """Recompute each initiative's member count from the citizens' holdings."""
    _, _, k = active_entries(state)
    ini = state.initiatives
    ini.members[: ini.n] = np.bincount(k, minlength=ini.n)[: ini.n]


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


def release_citizens(state: State, citizens: np.ndarray) -> None:
    """The citizens in bool ``citizens`` (length N) leave every initiative."""
    state.citizens.initiative_of[:, citizens] = NO_INITIATIVE
