"""coprod-sim: an agent-based simulator of the co-production of public services.

Quick start::

    from coprod_sim import CoproductionModel
    model = CoproductionModel(rng=1)
    model.run_for(120)
    model.metrics_frame().tail()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # for type checkers and editors; at run time the names load on first use
    from ._version import __version__
    from .agents import Citizen, Commissioner, Politician, Staff
    from .metrics import CANONICAL, METRICS, shock_response
    from .model import CoproductionModel
    from .params import PARAMETERS, ParameterError, Params, validate
    from .scenario import Scenario
    from .submodels.events import Event

# The public names and the module each comes from. They are imported on first use (PEP 562),
# so that `import coprod_sim.params` or `coprod --help` does not pay for Mesa, the model and
# pandas (about 2 s of CPU) before anything needs them; even the version, read from the
# installed metadata, costs some 50 ms.
_LAZY: dict[str, str] = {
    "__version__": "._version",
    "CANONICAL": ".metrics",
    "METRICS": ".metrics",
    "shock_response": ".metrics",
    "PARAMETERS": ".params",
    "ParameterError": ".params",
    "Params": ".params",
    "validate": ".params",
    "Citizen": ".agents",
    "Commissioner": ".agents",
    "Politician": ".agents",
    "Staff": ".agents",
    "CoproductionModel": ".model",
    "Scenario": ".scenario",
    "Event": ".submodels.events",
}

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


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use and keep the name here."""
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups do not come back here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
