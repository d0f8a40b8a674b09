"""The Mesa peer: Mesa's own ``virus_on_network`` example, built fairly and timed like ours.

Run from the repository root::

    python benchmarks/peer.py            # 1,000 and 10,000 agents (about half a minute)
    python benchmarks/peer.py --quick    # 1,000 agents, fewer steps

The example is imported from the installed mesa package and used as it is, with two
changes made only while it is built (:func:`fair_build`), by swapping names in the example's
model module and putting them back afterwards:

* its ``Network`` is built with ``layout=None``. Without it, Mesa runs ``nx.spring_layout``
  over the whole graph (minutes at 10,000 nodes): positions the model never uses and ours does
  not compute either;
* its ``nx.erdos_renyi_graph`` gets a seed (the example passes none, so its graph would
  change from run to run). The generator itself is the example's own.

One peer step is ``self.agents.shuffle_do("step")`` (a shuffled loop over all agents in
Python: an infected agent tries to infect each susceptible neighbour with probability 0.4,
then any infected agent is checked with probability 0.4 and recovers with probability 0.3,
gaining resistance with probability 0.5), then ``datacollector.collect`` (counts of infected,
susceptible and resistant, and their ratio: five passes over all cells). Its default
parameters are kept; the infected count at the start and end of the timing shows whether the
epidemic was still running.

Like the other scripts, it prints figures, asserts nothing and exits 0.
"""

from __future__ import annotations

import argparse
import functools
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import networkx as nx
from _harness import Row, environment, progress, table  # benchmarks/ is on sys.path
from mesa.discrete_space import Network
from mesa.examples.basic.virus_on_network import model as virus_model
from mesa.examples.basic.virus_on_network.agents import State
from mesa.examples.basic.virus_on_network.model import VirusOnNetwork

SEED = 1


class _SeededNetworkx:
    """Stands for ``networkx`` in the example's module: the same, but a seeded G(n, p)."""

    def __init__(self, seed: int) -> None:
        self._seed = seed

    def __getattr__(self, name: str) -> Any:
        return getattr(nx, name)

    def erdos_renyi_graph(self, n: int, p: float, seed: Any = None, **kwargs: Any) -> nx.Graph:
        return nx.erdos_renyi_graph(n, p, seed=self._seed if seed is None else seed, **kwargs)


@contextmanager
def fair_build(seed: int = SEED) -> Iterator[None]:
    """While inside, ``VirusOnNetwork(...)`` builds its network with ``layout=None`` and a
    seeded graph. The example's own ``Network`` and ``nx`` are restored on leaving, also
    after an error."""
    saved = virus_model.Network, virus_model.nx
    virus_model.Network = functools.partial(Network, layout=None)
    virus_model.nx = _SeededNetworkx(seed)
    try:
        yield
    finally:
        virus_model.Network, virus_model.nx = saved


def build_peer(n: int, avg_degree: float, seed: int = SEED) -> VirusOnNetwork:
    """The example with ``n`` agents, mean degree ``avg_degree``, default parameters."""
    with fair_build(seed):
        return VirusOnNetwork(num_nodes=n, avg_node_degree=avg_degree, rng=seed)


def peer_degree(model: VirusOnNetwork) -> float:
    """The realised mean degree of the peer's graph."""
    graph = model.grid.G
    return 2.0 * graph.number_of_edges() / graph.number_of_nodes()


def our_degree(n: int, seed: int = SEED) -> float:
    """The realised mean degree of our default network at ``n`` citizens."""
    from coprod_sim import CoproductionModel

    return float(CoproductionModel(rng=seed, n_citizens=n).state.network.degree.mean())


def counts(model: VirusOnNetwork) -> dict[str, int]:
    """Agents in each state."""
    out = {s.name.lower(): 0 for s in State}
    for agent in model.agents:
        out[agent.state.name.lower()] += 1
    return out


@dataclass(frozen=True)
class PeerResult:
    n: int
    degree_ours: float  # realised mean degree of our network at n
    degree_peer: float  # realised mean degree of the peer's graph
    build_s: float  # the peer's build (graph, cells, agents), with layout=None
    rates: tuple[float, ...]  # agent-steps/s of each timed repeat
    steps: int  # steps per repeat
    warmup: int
    start: dict[str, int]  # agents in each state when the timing starts
    end: dict[str, int]  # ... and when it ends

    @property
    def rate(self) -> float:
        """Median agent-steps per second."""
        return statistics.median(self.rates)


def measure(
    n: int, steps: int, repeats: int, warmup: int = 0, seed: int = SEED, degree: float | None = None
) -> PeerResult:
    """Agent-steps/s of ``repeats`` runs of ``steps`` steps, each on a freshly built peer with
    our realised mean degree at ``n`` (or ``degree``), after ``warmup`` untimed steps: the
    same protocol as ours (``engine.citizen_steps_per_second``). The build time is the
    median of the builds; the state counts are those of the last run."""
    ours = our_degree(n, seed) if degree is None else degree
    rates, builds = [], []
    for _ in range(repeats):
        start = perf_counter()
        model = build_peer(n, ours, seed)
        builds.append(perf_counter() - start)
        for _ in range(warmup):
            model.step()
        before = counts(model)
        start = perf_counter()
        for _ in range(steps):
            model.step()
        rates.append(n * steps / (perf_counter() - start))
    return PeerResult(
        n,
        ours,
        peer_degree(model),
        statistics.median(builds),
        tuple(rates),
        steps,
        warmup,
        before,
        counts(model),
    )


def rows(result: PeerResult) -> list[Row]:
    """The peer's figures as table rows (information only: ratios belong to the caller)."""
    n = f"{result.n:,}"
    s, e = result.start, result.end
    return [
        Row(f"Mesa virus_on_network, {n} agents: agent-steps/s", f"{result.rate / 1e6:,.2f} M/s"),
        Row(
            "  mean degree, ours / peer (realised)",
            f"{result.degree_ours:.2f} / {result.degree_peer:.2f}",
        ),
        Row("  peer build (layout=None)", f"{result.build_s:.2f} s"),
        Row(
            "  infected / resistant, start -> end of timing",
            f"{s['infected']:,}/{s['resistant']:,} -> {e['infected']:,}/{e['resistant']:,}",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 agents, fewer steps")
    args = parser.parse_args(argv)
    sizes, steps, repeats = ((1_000,), 12, 3) if args.quick else ((1_000, 10_000), 120, 5)
    out: list[Row] = []
    for n in sizes:
        progress(f"Mesa virus_on_network at {n:,} agents")
        out.extend(rows(measure(n, steps, repeats)))
    env = environment(("mesa", "networkx", "numpy", "coprod-sim"))
    head = [f"{k:<9} {v}" for k, v in env.items()]
    mode = f"{steps} timed steps from a fresh model x {repeats} repeats (median), seed {SEED}"
    print("\n".join(["Mesa peer benchmark", *head, f"mode      {mode}", *table(out)]))


if __name__ == "__main__":
    main()
