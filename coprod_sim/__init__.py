"""coprod-sim: an agent-based simulator of the co-production of public services.

Quick start::

    from coprod_sim import CoproductionModel
    model = CoproductionModel(rng=1)
    model.run_for(120)
    model.metrics_frame().tail()
"""

from ._version import __version__
from .agents import Citizen, Commissioner, Politician, Staff
from .metrics import CANONICAL, METRICS, shock_response
from .model import CoproductionModel
from .params import PARAMETERS, ParameterError, Params, validate
from .scenario import Scenario
from .submodels.events import Event

__all__ = [
    "CANONICAL",
    "METRICS",
    "PARAMETERS",
    "Citizen",
    "Commissioner",
    "CoproductionModel",
    "Event",
    "ParameterError",
    "Params",
    "Politician",
    "Scenario",
    "Staff",
    "__version__",
    "shock_response",
    "validate",
]
