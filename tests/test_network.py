"""The citizens' social network (coprod_sim.network): structure, degree, clustering, seeds.

Tolerances on the mean degree (requested degree d, n = 5,000 citizens in neighbourhoods of 250):

- ``small_world``: a ring lattice of exactly 2 * round(d / 2) ties per citizen, rewired with a
  small chance; a rewired tie is lost only when it lands on the citizen itself or duplicates a
  tie (chance about d / n each), so for an even d the mean is within 1% of d.
- ``random``: G(n, m) drawn with replacement, m = n d / 2; self loops (1 / n) and duplicate
  pairs (about d / 2n) are dropped, so the loss is O(d / n): within 1%.
- ``neighbourhood_blocks``: most ties fall inside a block of 250, where the chance that a tie
  repeats one already drawn is about d / 500 and a self loop 1 / 250: about 2.5% lost at
  d = 10, so within 5%.
- ``scale_free``: Chung-Lu with Pareto(1.5) weights; the hubs draw many parallel ties and self
  loops that collapse (measured 2-6% lost at d = 10 over seeds), so within 10%. The heavy tail
  is checked separately.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from coprod_sim import CoproductionModel, network, parallel, params, population

KINDS = params.PARAMS_BY_NAME["network_kind"].choices
N_CITIZENS = 5000
NB_SIZE = 250
TOLERANCE = {
    "small_world": 0.01,
    "random": 0.01,
    "neighbourhood_blocks": 0.05,
    "scale_free": 0.10,
}


def build(
    kind: str,
    *,
    n: int = N_CITIZENS,
    mean_degree: float = 10.0,
    long_tie_share: float = 0.05,
    barrier: float = 0.0,
    seed: int = 1,
    nb_size: int = NB_SIZE,
):
    k, neighbourhood = population.neighbourhood_layout(n, nb_size)
    return network.build(
        kind,
        neighbourhood,
        k,
        mean_degree,
        long_tie_share,
        barrier,
        np.random.default_rng(seed),
    )


def test_kinds_match_the_schema():
    assert set(KINDS) == set(TOLERANCE)


def test_unknown_kind_raises():
    with pytest.raises(ValueError, match="unknown network kind"):
        build("lattice")


@pytest.mark.parametrize("kind", KINDS)
def test_adjacency_is_symmetric_binary_without_self_loops(kind):
    net = build(kind, n=1200, mean_degree=12.0, long_tie_share=0.2, barrier=0.3)
    a = net.adjacency
    assert a.shape == (1200, 1200)
    assert a.nnz > 0
    assert (a != a.T).nnz == 0, "adjacency is not symmetric"
    assert np.all(a.data == 1.0), "adjacency is not 0/1"
    assert a.diagonal().sum() == 0, "self loops"
    assert a.has_sorted_indices
    # degree and the row-normalised form agree with the adjacency
    rows = np.asarray(a.sum(axis=1)).ravel()
    assert np.array_equal(net.degree, rows)
    m = net.mean_of_neighbours
    row_sums = np.asarray(m.sum(axis=1)).ravel()
    np.testing.assert_allclose(row_sums[net.degree > 0], 1.0, rtol=1e-12)
    assert np.all(row_sums[net.degree == 0] == 0.0)
    x = np.random.default_rng(0).random(1200)
    i = int(np.argmax(net.degree))
    neighbours = net.indices[net.indptr[i] : net.indptr[i + 1]]
    assert (m @ x)[i] == pytest.approx(x[neighbours].mean())


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("kind", KINDS)
def test_mean_degree_near_requested(kind, seed):
    net = build(kind, mean_degree=10.0, seed=seed)
    mean = net.degree.mean()
    assert mean <= 10.0 + 1e-9, "ties are only ever lost, never added"
    assert mean == pytest.approx(10.0, rel=TOLERANCE[kind])


@pytest.mark.parametrize("mean_degree", [4.0, 20.0])
@pytest.mark.parametrize("kind", KINDS)
def test_mean_degree_follows_the_parameter(kind, mean_degree):
    mean = build(kind, mean_degree=mean_degree).degree.mean()
    # scale-free loses more at higher degree (more parallel ties among hubs)
    tol = 0.15 if kind == "scale_free" else TOLERANCE[kind]
    assert mean == pytest.approx(mean_degree, rel=tol)


@pytest.mark.parametrize("kind", KINDS)
def test_zero_degree_gives_an_empty_graph(kind):
    net = build(kind, n=500, mean_degree=0.0)
    assert net.adjacency.nnz == 0
    assert np.all(net.degree == 0)


@pytest.mark.parametrize("mean_degree", [1.0, 3.0, 5.0, 9.0])
def test_small_world_mean_degree_for_odd_targets(mean_degree):
    mean = build("small_world", mean_degree=mean_degree).degree.mean()
    assert mean == pytest.approx(mean_degree, rel=0.1)


def test_scale_free_has_hubs_and_random_does_not():
    sf = build("scale_free")
    rnd = build("random")
    assert sf.degree.max() > 10 * sf.degree.mean()
    assert rnd.degree.max() < 3 * rnd.degree.mean()
    # Poisson-like degrees for G(n, m): variance close to the mean
    assert rnd.degree.var() == pytest.approx(rnd.degree.mean(), rel=0.2)
    assert sf.degree.var() > 10 * sf.degree.mean()


def test_small_world_clustering_much_higher_than_random():
    sw = network.clustering(build("small_world"))
    rnd = network.clustering(build("random"))
    # A ring lattice with k = 10 has clustering 3(k-2)/(4(k-1)) = 0.67; 5% rewiring keeps most
    # of it. G(n, m) has clustering about d / n = 0.002.
    assert sw > 0.4
    assert rnd < 0.01
    assert sw > 20 * rnd


def test_small_world_ties_stay_mostly_in_the_neighbourhood():
    k, neighbourhood = population.neighbourhood_layout(N_CITIZENS, NB_SIZE)
    for share in (0.0, 0.05, 0.5):
        net = network.build(
            "small_world", neighbourhood, k, 10.0, share, 0.0, np.random.default_rng(4)
        )
        coo = net.adjacency.tocoo()
        within = (neighbourhood[coo.row] == neighbourhood[coo.col]).mean()
        # a rewired tie lands in the same neighbourhood with chance 1/k (k = 20 here)
        assert within == pytest.approx(1.0 - share * (1.0 - 1.0 / k), abs=0.02)


def test_clustering_matches_networkx():
    for kind in KINDS:
        net = build(kind, n=600, mean_degree=8.0, long_tie_share=0.1, barrier=0.2, seed=3)
        graph = network.to_networkx(net)
        assert network.clustering(net) == pytest.approx(nx.average_clustering(graph), abs=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_connectedness_barrier_lowers_mean_degree(kind):
    degrees = [build(kind, barrier=b).degree.mean() for b in (0.0, 0.5, 1.0)]
    assert degrees[0] > degrees[1] > degrees[2]
    # The barrier removes up to 60% of ties (000@18271)
    assert degrees[2] == pytest.approx(0.4 * degrees[0], rel=0.15)


def test_connectedness_barrier_lowers_small_world_clustering():
    values = [network.clustering(build("small_world", barrier=b)) for b in (0.0, 0.5, 1.0)]
    assert values[0] > values[1] > values[2]


def test_connectedness_barrier_in_the_model():
    def degree(barrier):
        model = CoproductionModel(rng=2, n_citizens=2000, low_social_connectedness=barrier)
        return model.state.network.degree.mean()

    assert degree(0.9) < degree(0.5) < degree(0.0)


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_graph(kind):
    a = build(kind, n=2000, long_tie_share=0.2, seed=9)
    b = build(kind, n=2000, long_tie_share=0.2, seed=9)
    assert np.array_equal(a.adjacency.indptr, b.adjacency.indptr)
    assert np.array_equal(a.adjacency.indices, b.adjacency.indices)
    assert np.array_equal(a.degree, b.degree)
    c = build(kind, n=2000, long_tie_share=0.2, seed=10)
    assert (a.adjacency != c.adjacency).nnz > 0


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_graph_in_the_model(kind):
    a = CoproductionModel(rng=4, n_citizens=400, network_kind=kind)
    b = CoproductionModel(rng=4, n_citizens=400, network_kind=kind)
    assert (a.state.network.adjacency != b.state.network.adjacency).nnz == 0
    ga, gb = a.network_graph(), b.network_graph()
    assert nx.utils.graphs_equal(ga, gb)


def test_to_networkx_refuses_huge_graphs():
    net = build("random", n=300, mean_degree=4.0)
    graph = network.to_networkx(net)
    assert graph.number_of_nodes() == 300
    assert graph.number_of_edges() == net.adjacency.nnz // 2
    with pytest.raises(ValueError, match="at most 100"):
        network.to_networkx(net, limit=100)


# ------------------------------------------------------------------ neighbour means (performance)
def _bits(arrays) -> list[np.ndarray]:
    return [np.asarray(a, dtype=np.float64).view(np.uint64) for a in arrays]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("share", [0.0, 0.03, 0.2, 1.0])
def test_neighbour_means_are_the_matrix_product_to_the_bit(kind, share, monkeypatch):
    """The scattering path (few participants) and the threaded row blocks give exactly the
    bits of the plain sparse product, whatever the network and however many are active."""
    net = build(kind, mean_degree=8.0)
    rng = np.random.default_rng(5)
    n = net.degree.shape[0]
    rows = np.flatnonzero(rng.random(n) < share)
    columns = [np.zeros(n) for _ in range(3)]
    columns[0][rows] = 1.0
    columns[1][rows] = rng.random(rows.size)
    columns[2][rows] = rng.random(rows.size) * 1e-3  # small values expose a changed order
    plain = [net.mean_of_neighbours @ col for col in columns]

    scattered = network.neighbour_means(net, columns, rows)  # scatter when few rows
    assert all((a == b).all() for a, b in zip(_bits(scattered), _bits(plain), strict=True))

    monkeypatch.setattr(network, "PARALLEL_MIN_TIES", 0)  # force the threaded blocks
    monkeypatch.setattr(parallel, "PARALLEL_MIN_CITIZENS", 0)
    monkeypatch.setenv("COPROD_THREADS", "3")
    threaded = network.neighbour_means(net, columns)
    assert all((a == b).all() for a, b in zip(_bits(threaded), _bits(plain), strict=True))
    assert net.row_blocks is not None and len(net.row_blocks) == 3


def test_neighbour_means_scatter_only_when_few_rows(monkeypatch):
    """Many participants go through the matrix product; few go through the scatter."""
    net = build("small_world", n=2000, nb_size=200, mean_degree=6.0)
    calls = []
    real = network._scatter_means
    monkeypatch.setattr(network, "_scatter_means", lambda *a: calls.append(1) or real(*a))
    x = [np.ones(2000)]
    network.neighbour_means(net, x, np.arange(2000))
    assert not calls
    network.neighbour_means(net, x, np.arange(100))
    assert calls


def test_product_threads_follows_the_environment(monkeypatch):
    monkeypatch.setenv("COPROD_THREADS", "1")
    assert parallel.threads() == 1
    monkeypatch.setenv("COPROD_THREADS", "nonsense")
    assert 1 <= parallel.threads() <= 4
