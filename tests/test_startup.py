"""Start-up stays light: the engine modules and the command line import no heavy library.

Each check runs in a fresh interpreter, where nothing has been imported yet. The CPU time of
`coprod --help` and `coprod params` is a benchmark (benchmarks/startup.py), not a test.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("mesa", "plotly", "solara", "dask")
ENGINE = (
    "coprod_sim.params",
    "coprod_sim.state",
    "coprod_sim.population",
    "coprod_sim.network",
    "coprod_sim.submodels.events",
    "coprod_sim.submodels.participation",
    "coprod_sim.submodels.learning",
    "coprod_sim.metrics",
)


def _loaded_after(code: str) -> list[str]:
    """The heavy top-level libraries really loaded by ``code`` in a fresh interpreter (a
    lazily imported module sits in sys.modules as a placeholder until first used)."""
    probe = (
        f"{code}\nimport sys, json, importlib.util\n"
        "loaded = [m for m in %r if m in sys.modules\n"
        "          and not isinstance(sys.modules[m], importlib.util._LazyModule)]\n"
        "print(json.dumps(loaded))" % (HEAVY,)
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_engine_modules_leave_heavy_libraries_out() -> None:
    assert _loaded_after("\n".join(f"import {m}" for m in ENGINE)) == []


def test_the_command_line_leaves_heavy_libraries_out_until_a_command_needs_them() -> None:
    assert _loaded_after("import coprod_sim.cli") == []


@pytest.mark.parametrize(
    "name", ["CoproductionModel", "Citizen", "Scenario", "Event", "validate", "__version__"]
)
def test_public_names_still_import_from_the_package(name: str) -> None:
    import coprod_sim

    assert name in coprod_sim.__all__
    assert name in dir(coprod_sim)
    assert getattr(coprod_sim, name) is not None


def test_an_unknown_name_is_an_attribute_error() -> None:
    import coprod_sim

    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = coprod_sim.no_such_thing  # type: ignore[attr-defined]
