"""Citizens' social network, built as sparse arrays without networkx.

Four kinds (MODEL.md §2): a small world within neighbourhoods plus long ties (default),
scale-free (Chung-Lu with power-law weights), random (Erdos-Renyi G(n, m)) and neighbourhood
blocks (a stochastic block model). Every generator is vectorised and draws only from the
``rng`` passed in, so the same seed gives the same graph at any size. The low social
connectedness barrier cuts degree and clustering (000@18271).

A networkx graph is built on demand by :func:`to_networkx`, for small N only.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .state import Network

NETWORKX_LIMIT = 200_000
"""Largest citizen count for which :func:`to_networkx` agrees to build a graph."""


def _from_edges(n: int, src: np.ndarray, dst: np.ndarray) -> Network:
    keep = src != dst
    src, dst = src[keep], dst[keep]
    rows = np.concatenate([src, dst])
    cols = np.concatenate([dst, src])
    data = np.ones(rows.shape[0], dtype=np.float64)
    adj = sp.csr_matrix((data, (rows, cols)), shape=(n, n))
    adj.sum_duplicates()
    adj.data[:] = 1.0  # duplicate ties count once
    adj.sort_indices()
    degree = np.diff(adj.indptr).astype(np.float64)
    inv = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
    weights = inv.repeat(np.diff(adj.indptr))
    mean_of = sp.csr_matrix((weights, adj.indices, adj.indptr), (n, n))
    return Network(adjacency=adj, mean_of_neighbours=mean_of, degree=degree)


def _small_world(n, neighbourhood, block_start, block_size, half_degree, p_long, rng):
    """Ring lattice inside each neighbourhood, each tie rewired to anyone w.p. ``p_long``.

    Each citizen ties to its ``floor(half_degree)`` next neighbours on the ring, and to one
    more with probability equal to the fractional part, so that any mean degree is met.
    """
    idx = np.arange(n)
    pos = idx - block_start[neighbourhood]
    size = block_size[neighbourhood]
    whole = int(np.floor(half_degree))
    frac = half_degree - whole
    srcs, dsts = [], []
    for j in range(1, whole + 2):
        ok = size > j  # a ring of s citizens has at most s-1 distinct neighbours
        if j == whole + 1:
            if frac <= 0:
                break
            ok &= rng.random(n) < frac
        dst = block_start[neighbourhood] + (pos + j) % np.maximum(size, 1)
        srcs.append(idx[ok])
        dsts.append(dst[ok])
    src = np.concatenate(srcs) if srcs else np.empty(0, np.int64)
    dst = np.concatenate(dsts) if dsts else np.empty(0, np.int64)
    rewire = rng.random(src.shape[0]) < p_long
    dst = dst.copy()
    dst[rewire] = rng.integers(0, n, int(rewire.sum()))
    return src, dst


def _blocks(n, neighbourhood, block_start, block_size, m, p_long, rng):
    src = rng.integers(0, n, m)
    within = rng.random(m) >= p_long
    nb = neighbourhood[src]
    offset = (rng.random(m) * block_size[nb]).astype(np.int64)
    dst = np.where(within, block_start[nb] + offset, rng.integers(0, n, m))
    return src, dst


def _scale_free(n, m, rng):
    # Chung-Lu: endpoints drawn in proportion to Pareto weights (tail exponent ~2.5).
    weights = rng.pareto(1.5, n) + 1.0
    cdf = np.cumsum(weights)
    cdf /= cdf[-1]
    src = np.searchsorted(cdf, rng.random(m), side="right")
    dst = np.searchsorted(cdf, rng.random(m), side="right")
    return np.minimum(src, n - 1), np.minimum(dst, n - 1)


def build(
    kind: str,
    neighbourhood: np.ndarray,
    n_neighbourhoods: int,
    mean_degree: float,
    long_tie_share: float,
    connectedness_barrier: float,
    rng: np.random.Generator,
) -> Network:
    """Build the citizens' network. ``neighbourhood`` must be sorted (contiguous blocks)."""
    n = neighbourhood.shape[0]
    # The barrier thins ties and breaks up clustering (000@18271).
    degree = mean_degree * (1.0 - 0.6 * connectedness_barrier)
    p_long = long_tie_share + (1.0 - long_tie_share) * 0.3 * connectedness_barrier
    block_size = np.bincount(neighbourhood, minlength=n_neighbourhoods).astype(np.int64)
    block_start = np.concatenate([[0], np.cumsum(block_size)[:-1]])
    m = round(n * degree / 2.0)
    if kind == "small_world":
        half = degree / 2.0
        src, dst = _small_world(n, neighbourhood, block_start, block_size, half, p_long, rng)
    elif kind == "neighbourhood_blocks":
        src, dst = _blocks(n, neighbourhood, block_start, block_size, m, p_long, rng)
    elif kind == "scale_free":
        src, dst = _scale_free(n, m, rng)
    elif kind == "random":
        src, dst = rng.integers(0, n, m), rng.integers(0, n, m)
    else:
        raise ValueError(f"unknown network kind {kind!r}")
    return _from_edges(n, src.astype(np.int64), dst.astype(np.int64))


def to_networkx(network: Network, limit: int = NETWORKX_LIMIT):
    """The citizens' network as an undirected ``networkx.Graph`` (nodes 0..N-1)."""
    import networkx as nx

    n = network.adjacency.shape[0]
    if n > limit:
        raise ValueError(
            f"to_networkx builds graphs of at most {limit:,} citizens; this one has {n:,}. "
            "Use the sparse adjacency (state.network.adjacency) instead."
        )
    upper = sp.triu(network.adjacency, k=1).tocoo()
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(upper.row.tolist(), upper.col.tolist(), strict=True))
    return graph


def clustering(network: Network) -> float:
    """Average local clustering coefficient, computed with sparse products."""
    a = network.adjacency
    triangles = np.asarray((a @ a).multiply(a).sum(axis=1)).ravel() / 2.0
    d = network.degree
    pairs = d * (d - 1) / 2.0
    local = np.divide(triangles, pairs, out=np.zeros_like(pairs), where=pairs > 0)
    return float(local.mean()) if local.size else 0.0
