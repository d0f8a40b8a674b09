"""Designs: the parameter points of an experiment and the runs (points x replications).

``grid`` is the full factorial of the axes' values; ``lhs`` a Latin hypercube (SciPy's
``qmc.LatinHypercube``); ``sobol`` Saltelli's extension of Sobol' sequences and ``morris``
Morris trajectories, both from SALib, so that :mod:`SALib.analyze` can read the results.
Every run gets its own seed from ``numpy.random.SeedSequence(root)`` keyed by its run id, so
the results do not depend on which worker runs what, or in which order.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.stats import qmc

from .spec import Experiment, n_points


def problem(ex: Experiment) -> dict:
    """The SALib problem definition of the experiment's ranged axes."""
    return {
        "num_vars": len(ex.axes),
        "names": [a.name for a in ex.axes],
        "bounds": [[a.low, a.high] for a in ex.axes],
    }


def points(ex: Experiment) -> pd.DataFrame:
    """One row per parameter point (columns: the axes), in the sampler's order."""
    names = [a.name for a in ex.axes]
    if ex.sampler == "grid":
        rows = list(itertools.product(*(a.values for a in ex.axes)))
        frame = pd.DataFrame(rows, columns=names)
    else:
        values = _sampled(ex)
        low = np.array([a.low for a in ex.axes])
        high = np.array([a.high for a in ex.axes])
        if ex.sampler == "lhs":
            values = low + values * (high - low)  # SALib scales its own samples
        frame = pd.DataFrame(values, columns=names)
        for axis in ex.axes:  # integer parameters take whole values
            if axis.spec.type is int:
                frame[axis.name] = frame[axis.name].round().astype(np.int64)
    assert len(frame) == n_points(ex)
    return frame


def _sampled(ex: Experiment) -> np.ndarray:
    if ex.sampler == "lhs":
        return qmc.LatinHypercube(d=len(ex.axes), seed=np.random.default_rng(ex.seed)).random(
            ex.samples
        )
    if ex.sampler == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem(ex), ex.samples, calc_second_order=True, seed=ex.seed)
    from SALib.sample import morris

    return morris.sample(problem(ex), ex.samples, num_levels=ex.levels, seed=ex.seed)


def run_seed(root: int, run_id: int) -> int:
    """The seed of run ``run_id``: child ``run_id`` of ``SeedSequence(root)``, as an integer.

    ``SeedSequence(root, spawn_key=(i,))`` is exactly ``SeedSequence(root).spawn(n)[i]``, so no
    run needs the others' seeds.
    """
    child = np.random.SeedSequence(root, spawn_key=(run_id,))
    return int(child.generate_state(1, np.uint64)[0] >> np.uint64(1))  # < 2**63


def runs(ex: Experiment) -> pd.DataFrame:
    """One row per run: run id, point, replicate, seed and the axis values."""
    pts = points(ex)
    reps = ex.replications
    frame = pts.loc[pts.index.repeat(reps)].reset_index(drop=True)
    run_id = np.arange(len(frame), dtype=np.int64)
    frame.insert(0, "seed", [run_seed(ex.seed, i) for i in run_id])
    frame.insert(0, "replicate", np.tile(np.arange(reps, dtype=np.int64), len(pts)))
    frame.insert(0, "point", np.repeat(np.arange(len(pts), dtype=np.int64), reps))
    frame.insert(0, "run_id", run_id)
    return frame
