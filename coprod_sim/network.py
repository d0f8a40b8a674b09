"""Citizens' social network, built as sparse arrays without networkx.

Four kinds (ODD §2.6 and §5.4): a small world within neighbourhoods plus long ties (default),
scale-free (Chung-Lu with power-law weights), random (Erdos-Renyi G(n, m)) and neighbourhood
blocks (a stochastic block model). Every generator is vectorised and draws only from the
``rng`` passed in, so the same seed gives the same graph at any size. The low social
connectedness barrier cuts degree and clustering (000@18271).

A networkx graph is built on demand by :func:`to_networkx`, for small N only.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from itertools import pairwise

import numpy as np
import scipy.sparse as sp

from . import parallel
from .state import Network

NETWORKX_LIMIT = 200_000
"""Largest citizen count for which :func:`to_networkx` agrees to build a graph."""

PARALLEL_MIN_TIES = 200_000
"""Nonzeros of the network from which :func:`neighbour_mean` splits its product over threads
(about 25,000 citizens at the default degree); below it, starting threads costs more."""


def _row_blocks(network: Network, threads: int) -> list[tuple[int, int, sp.csr_matrix]]:
    """``threads`` row blocks of the mean-of-neighbours matrix with about equal nonzeros."""
    blocks = network.row_blocks
    if blocks is None or len(blocks) != threads:
        matrix = network.mean_of_neighbours
        cuts = np.searchsorted(matrix.indptr, np.linspace(0, matrix.nnz, threads + 1))
        cuts[0], cuts[-1] = 0, matrix.shape[0]
        blocks = [(int(a), int(b), matrix[a:b]) for a, b in pairwise(cuts)]
        network.row_blocks = blocks
    return blocks


SCATTER_MAX_SHARE = 0.25
"""Largest share of nonzero rows for which :func:`neighbour_means` scatters from
them instead of multiplying the whole matrix."""


def neighbour_means(
    network: Network, columns: Sequence[np.ndarray], rows: np.ndarray | None = None
) -> list[np.ndarray]:
    """Each citizen's mean of its neighbours' values, for each array of N values >= 0.

    ``rows`` (ascending), if given, are the only citizens whose values may be nonzero: the
    participants, a few percent of citizens in most months. Then each of them adds its values
    to its neighbours' means, which costs participants x degree instead of citizens x degree.
    Otherwise the matrix multiplies all the columns at once, and for a large network its row
    blocks are multiplied on several threads (scipy releases the GIL in the product).

    Every way gives the same result to the bit: each citizen's sum takes the same nonzero
    terms in the same order (ascending neighbour, as the CSR product does), and the zero
    terms it skips change nothing, as every sum starts at +0.0 (values outside ``rows`` must
    be exactly zero).
    """
    matrix = network.mean_of_neighbours
    if rows is not None and rows.size <= SCATTER_MAX_SHARE * matrix.shape[0]:
        return _scatter_means(network, columns, rows)
    x = np.column_stack(columns).astype(np.float64, copy=False)
    threads = parallel.threads() if matrix.nnz >= PARALLEL_MIN_TIES else 1
    if threads == 1:
        y = matrix @ x
    else:
        y = np.empty(x.shape)

        def block(a: int, b: int, part: sp.csr_matrix) -> None:
            y[a:b] = part @ x

        blocks = _row_blocks(network, threads)
        parallel.concurrently(matrix.shape[0], *(partial(block, *blk) for blk in blocks))
    return [np.ascontiguousarray(y[:, j]) for j in range(y.shape[1])]


def _scatter_means(
    network: Network, columns: Sequence[np.ndarray], rows: np.ndarray
) -> list[np.ndarray]:
    """:func:`neighbour_means` from the nonzero rows only.

    The transposed matrix's rows for ``rows``, multiplied transposed (scipy's CSC product),
    add each row's values to its neighbours' sums in ascending row order: for every citizen,
    the same terms in the same order as the CSR product of the whole matrix.
    """
    part = _transposed(network)[rows]
    return [part.T @ values[rows] for values in columns]


def _transposed(network: Network) -> sp.csr_matrix:
    """The mean-of-neighbours matrix transposed, as CSR: row j holds 1 / degree(i) for each
    neighbour i of j (the network is symmetric, so it shares the matrix's structure)."""
    if network.transposed is None:
        matrix = network.mean_of_neighbours
        # Each row's weight (every entry of row i is 1 / degree(i)); 0 for isolated rows.
        row_weight = np.zeros(matrix.shape[0])
        has = np.diff(matrix.indptr) > 0
        row_weight[has] = matrix.data[matrix.indptr[:-1][has]]
        weight = row_weight[matrix.indices]
        network.transposed = sp.csr_matrix((weight, matrix.indices, matrix.indptr), matrix.shape)
    return network.transposed


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
