"""Small vectorised helpers shared by the submodels."""

from __future__ import annotations

import numpy as np


def logistic(z: np.ndarray) -> np.ndarray:
    """The logistic function, elementwise (stable for large |z|)."""
    out = np.multiply(0.5, z)
    if np.ndim(out) == 0:
        return 0.5 * (1.0 + np.tanh(out))
    np.tanh(out, out=out)  # in place: the same bits as 0.5 * (1 + tanh(0.5 z)), fewer arrays
    out += 1.0
    out *= 0.5
    return out


def clip01(x: np.ndarray) -> np.ndarray:
    """Clip a level array to [0, 1] in place and return it."""
    return np.clip(x, 0.0, 1.0, out=x)


def admit(groups: np.ndarray, capacity: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Which candidates get in, when candidate j asks for group ``groups[j]``.

    ``capacity[g]`` places are open in group g. Candidates are admitted in random order
    until a group is full. Returns a bool mask over candidates. Vectorised: a random
    priority, a stable sort by group and the rank within each group.
    """
    m = groups.shape[0]
    if m == 0:
        return np.zeros(0, dtype=bool)
    order, sorted_groups, first = _random_runs(groups, rng)
    starts = np.flatnonzero(first)
    run_start = np.repeat(starts, np.diff(np.r_[starts, m]))
    rank = np.arange(m) - run_start
    ok = np.empty(m, dtype=bool)
    ok[order] = rank < capacity[sorted_groups]
    return ok


def first_per_key(keys: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Bool mask keeping one random entry per distinct key (used to avoid double joins):
    :func:`admit` with one place per key, without a capacity array as long as the keys'
    range."""
    if keys.shape[0] == 0:
        return np.zeros(0, dtype=bool)
    order, _, first = _random_runs(keys, rng)
    ok = np.empty(keys.shape[0], dtype=bool)
    ok[order] = first
    return ok


def _random_runs(groups: np.ndarray, rng: np.random.Generator):
    """(order, sorted groups, first of each run): the candidates sorted by group, in random
    order within a group."""
    order = np.lexsort((rng.random(groups.shape[0]), groups))
    sorted_groups = groups[order]
    first = np.empty(order.shape[0], dtype=bool)
    first[0] = True
    np.not_equal(sorted_groups[1:], sorted_groups[:-1], out=first[1:])
    return order, sorted_groups, first


def group_mean(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Mean of ``values`` per group (0 for empty groups)."""
    total = np.bincount(groups, weights=values, minlength=n_groups)
    count = np.bincount(groups, minlength=n_groups)
    return np.divide(total, count, out=np.zeros(n_groups), where=count > 0)


def neighbourhood_mean(state, values: np.ndarray) -> np.ndarray:
    """Mean of a per-citizen array in each neighbourhood."""
    return block_mean(state.derived.nb_starts, values, state.derived.nb_sizes)


def block_mean(starts: np.ndarray, values: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Mean of ``values`` over contiguous blocks (neighbourhoods are contiguous)."""
    return np.add.reduceat(values.astype(np.float64, copy=False), starts) / sizes
