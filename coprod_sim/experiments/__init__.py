"""Experiments: designs (samplers), executors, the results store, sweeps and their analysis.

As in EMA Workbench, the model (:class:`~coprod_sim.model.CoproductionModel`), the sampler
(:mod:`.design`) and the evaluator (:mod:`.evaluate`, run by an executor from
:mod:`.executors`) are kept apart; :mod:`.sweep` joins them and :mod:`.store` keeps the rows.
"""

from .spec import Axis, Experiment, Output, load

__all__ = ["Axis", "Experiment", "Output", "load"]
