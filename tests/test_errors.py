"""Bad input has one base class, :class:`~coprod_sim.errors.InputError`, and the command line
catches it once for exit code 2; every other error class in the package is named here with
the reason it is not bad input."""

from __future__ import annotations

import ast
import importlib
import socket
from pathlib import Path

import pytest
import typer

from coprod_sim import cli
from coprod_sim.errors import InputError, PortUnavailableError
from coprod_sim.params import ParameterError

PACKAGE = Path(cli.__file__).parent

NOT_INPUT: dict[str, str] = {
    "coprod_sim.experiments.sweep.SweepLost": (
        "the cluster lost batches: exit code 1 with the command that resumes the sweep"
    ),
    "coprod_sim.dashboard.session.CompareStopped": (
        "a comparison stopped from the page: control flow inside the dashboard"
    ),
}
"""Error classes that are not the user's input, with the reason."""


def exception_classes(source: str) -> list[str]:
    """The classes defined at the top of ``source`` whose base is named like an exception
    (``...Error``, ``...Exception``, ``...Lost``, ``...Stopped``, or an ``InputError``)."""
    found = []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = [ast.unparse(base).rsplit(".", 1)[-1] for base in node.bases]
        if any(name.endswith(("Error", "Exception", "Lost", "Stopped")) for name in bases):
            found.append(node.name)
    return found


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_error_classes() -> dict[str, type]:
    """Every exception class defined in the package, by dotted name."""
    classes: dict[str, type] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        names = exception_classes(path.read_text(encoding="utf-8"))
        if names:
            module = importlib.import_module(_module_name(path))
            for name in names:
                classes[f"{module.__name__}.{name}"] = getattr(module, name)
    return classes


def not_input(classes: dict[str, type]) -> list[str]:
    """The classes that are neither an :class:`InputError` nor named in :data:`NOT_INPUT`."""
    return sorted(
        name
        for name, cls in classes.items()
        if not issubclass(cls, InputError) and name not in NOT_INPUT
    )


def test_every_error_class_is_bad_input_or_named_with_a_reason():
    classes = package_error_classes()
    assert "coprod_sim.params.ParameterError" in classes  # the scan finds the classes
    assert not_input(classes) == []
    assert set(NOT_INPUT) <= set(classes), "a class named in NOT_INPUT no longer exists"


def test_the_check_catches_a_planted_error_class():
    planted = "class Planted(RuntimeError):\n    pass\nclass Fine(P.ParameterError): ...\n"
    assert exception_classes(planted) == ["Planted", "Fine"]
    namespace: dict = {"P": importlib.import_module("coprod_sim.params")}
    exec(compile(planted, "<planted>", "exec"), namespace)
    found = {f"planted.{n}": namespace[n] for n in exception_classes(planted)}
    assert not_input(found) == ["planted.Planted"]


@pytest.mark.parametrize(
    "name",
    [
        "coprod_sim.params.ParameterError",
        "coprod_sim.scenario_files.ScenarioError",
        "coprod_sim.scenario_files.ExtendsChainError",
        "coprod_sim.runs.OutputExistsError",
        "coprod_sim.experiments.store.StoreError",
        "coprod_sim.experiments.executors.SchedulerError",
        "coprod_sim.dashboard.session.DashboardError",
        "coprod_sim.errors.PortUnavailableError",
    ],
)
def test_each_exit_2_error_is_an_input_error(name):
    module, _, cls = name.rpartition(".")
    assert issubclass(getattr(importlib.import_module(module), cls), InputError)


def test_an_existing_output_folder_is_still_a_file_exists_error():
    from coprod_sim.runs import OutputExistsError

    assert issubclass(OutputExistsError, FileExistsError)  # callers may catch it as OSError


def test_the_cli_turns_any_input_error_into_exit_2(capsys):
    class Planted(InputError):
        pass

    with pytest.raises(typer.Exit) as exit_, cli._clean_errors():
        raise Planted("--planted: value 3 is not allowed; allowed: 1 or 2")
    assert exit_.value.exit_code == 2
    assert "--planted: value 3 is not allowed" in capsys.readouterr().err


def test_the_cli_lets_a_programming_error_through():
    with pytest.raises(ValueError, match="a bug"), cli._clean_errors():
        raise ValueError("a bug")  # not bad input: no exit 2, the traceback stays


def test_a_busy_port_is_not_a_parameter_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortUnavailableError) as err:
            cli._check_port("127.0.0.1", port)
    assert not isinstance(err.value, ParameterError)
    assert str(err.value).startswith(f"--host '127.0.0.1' --port {port}: cannot listen there")


def test_a_port_out_of_range_is_a_parameter_error():
    with pytest.raises(ParameterError, match="--port: value 0 is not allowed"):
        cli._check_port("127.0.0.1", 0)
