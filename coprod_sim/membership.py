"""Who holds which initiative: counting members and releasing them, in bulk.

:class:`Membership` (``state.membership``) caches the views of the (4, N) table
``citizens.initiative_of`` that submodels and metrics read every month, and keeps them up
to date when places are taken and left.

Reads: citizens.initiative_of, citizens.n, initiatives.collective, initiatives.members,
    initiatives.n, initiatives.self_organised, membership, membership.entries,
    membership.entry_code_cache, membership.flag_cache
Writes: citizens.initiative_of, initiatives.members, membership.entries,
    membership.entry_code_cache, membership.flag_cache
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .state import State

NO_INITIATIVE = -1
"""The value of ``citizens.initiative_of`` for a mode in which a citizen holds no place."""

INCREMENTAL_MIN_CITIZENS = 30_000
"""Citizens from which :meth:`Membership.vacated` and :meth:`Membership.taken` update the
cached entries in place; in a smaller model scanning the 4 x N table again is cheaper than
the bookkeeping."""

INDIVIDUAL, COLLECTIVE, SELF_ORGANISED = 1, 2, 4
"""Bits of a place's code: co-production (individual or collective) or self-organisation."""

Entries = tuple[np.ndarray, np.ndarray, np.ndarray]
"""(mode, citizen, initiative) of every place held, flat int64 arrays."""


@dataclass
class Membership:
    """The cached views of who holds which place (None until first asked for)."""

    entries: Entries | None = None  # see active_entries
    entry_code_cache: np.ndarray | None = None  # see entry_codes
    flag_cache: np.ndarray | None = None  # see citizen_flags

    def changed(self) -> None:
        """Forget the cached views of who holds which place; call after every change of
        ``citizens.initiative_of`` (unless :meth:`vacated` or :meth:`taken` says what
        changed)."""
        self.entries = None
        self.kinds_changed()

    def kinds_changed(self) -> None:
        """Forget the kinds of the places held; call after a change of an initiative's
        self-organised flag."""
        self.entry_code_cache = None
        self.flag_cache = None

    def active_entries(self, state: State) -> Entries:
        """(mode, citizen, initiative) for every place held, as flat int64 arrays in the
        order of ``initiative_of.ravel()`` (mode, then citizen), cached until
        :meth:`changed` and kept up to date by :meth:`vacated` and :meth:`taken`."""
        if self.entries is None:
            held = state.citizens.initiative_of.ravel()
            flat = np.flatnonzero(held >= 0)
            n = state.citizens.n
            self.entries = (flat // n, flat % n, held[flat].astype(np.int64))
        return self.entries

    def vacated(self, state: State, keep: np.ndarray) -> None:
        """The entries of :meth:`active_entries` where bool ``keep`` is False were just
        left: update the cached entries (a few thousand) instead of scanning the 4 x N
        table again."""
        if self.entries is None or state.citizens.n < INCREMENTAL_MIN_CITIZENS:
            self.changed()
            return
        self.entries = tuple(a[keep] for a in self.entries)
        codes = self.entry_code_cache
        self.kinds_changed()
        if codes is not None:
            self.entry_code_cache = codes[keep]

    def taken(self, state: State, mode: np.ndarray, cit: np.ndarray, k: np.ndarray) -> None:
        """Citizens ``cit`` just took free places in modes ``mode`` of initiatives ``k`` (no
        pair twice): insert them into the cached entries in their order, without a new
        scan."""
        if self.entries is None or state.citizens.n < INCREMENTAL_MIN_CITIZENS:
            self.changed()
            return
        n = state.citizens.n
        flat = self.entries[0] * n + self.entries[1]
        new = mode.astype(np.int64) * n + cit
        order = np.argsort(new, kind="stable")
        at = np.searchsorted(flat, new[order])
        self.entries = tuple(
            np.insert(old, at, np.asarray(add, dtype=np.int64)[order])
            for old, add in zip(self.entries, (mode, cit, k), strict=True)
        )
        self.kinds_changed()

    def release_initiatives(self, state: State, stopped: np.ndarray) -> None:
        """Members of the initiatives flagged in bool ``stopped`` (length ini.n) leave
        them."""
        if not stopped.any():
            return
        mode, cit, k = self.active_entries(state)
        leave = stopped[k]
        state.citizens.initiative_of[mode[leave], cit[leave]] = NO_INITIATIVE
        state.initiatives.members[: state.initiatives.n][stopped] = 0
        self.vacated(state, ~leave)

    def release_citizens(self, state: State, citizens: np.ndarray) -> None:
        """The citizens ``citizens`` (indices, or a bool mask of length N) leave every
        initiative."""
        held = state.citizens.initiative_of[:, citizens]
        left = held[held >= 0]
        ini = state.initiatives
        ini.members[: ini.n] -= np.bincount(left, minlength=ini.n)[: ini.n].astype(np.int32)
        state.citizens.initiative_of[:, citizens] = NO_INITIATIVE
        if self.entries is None or state.citizens.n < INCREMENTAL_MIN_CITIZENS:
            self.changed()
            return
        leaving = np.zeros(state.citizens.n, dtype=bool)
        leaving[citizens] = True
        self.vacated(state, ~leaving[self.entries[1]])

    def entry_codes(self, state: State) -> np.ndarray:
        """uint8: the kind of place of each entry of :meth:`active_entries` (cached
        alike)."""
        if self.entry_code_cache is None:
            ini = state.initiatives
            table = np.where(
                ini.view("self_organised"),
                SELF_ORGANISED,
                np.where(ini.view("collective"), COLLECTIVE, INDIVIDUAL),
            ).astype(np.uint8)
            self.entry_code_cache = table[self.active_entries(state)[2]]
        return self.entry_code_cache

    def citizen_flags(self, state: State) -> np.ndarray:
        """uint8 (N,): the bits of every place each citizen holds (0 = none), cached until
        :meth:`changed`.

        Few citizens hold a place in any one month (about 2% of the 4 x N slots), so the
        bits are scattered from the held entries rather than read from every slot: metrics
        and submodels can then ask "who co-produces collectively?" in one pass over N bytes.
        """
        if self.flag_cache is None:
            _, cit, _ = self.active_entries(state)
            flags = np.zeros(state.citizens.n, dtype=np.uint8)
            np.bitwise_or.at(flags, cit, self.entry_codes(state))
            self.flag_cache = flags
        return self.flag_cache
