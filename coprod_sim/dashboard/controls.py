"""How the dashboard names things: a parameter's label, its value with the unit, its
control, and the scenario dropdown's entries.

Pure rules from the schema (:mod:`coprod_sim.params`), tested without a browser. The rule
that matters most: showing a control must never change its value. A browser slider snaps its
value to ``min + k * step``, so a slider is used only when its step puts the value exactly
on the grid; otherwise the value goes in a number field, which shows it as it is.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Literal

from .. import params
from ..scenario import Scenario

Control = Literal["checkbox", "select", "slider", "number"]

MAX_SLIDER_SPAN = 10.0
"""Float parameters with a wider range get a number field: a slider over [0, 20] or [0, 1000]
is too coarse to set a value by hand."""

MAX_INT_SLIDER_SPAN = 240
"""Integer parameters with a wider range get a number field (one pixel per value at most)."""

MAX_POSITIONS = 10_000
"""A slider with more positions than this cannot be moved to one of them by hand: a value
that needs a finer step goes in a number field."""


def _decimal(x: float) -> Decimal:
    # The shortest decimal that reads back as the same float, as Python and JavaScript print
    # it: 0.012, not 0.01199999999999999955591.
    return Decimal(repr(float(x)))


def places(x: float) -> int:
    """Decimal places of ``x`` as written (0.012 -> 3, 5.0 -> 0)."""
    exponent = _decimal(x).normalize().as_tuple().exponent
    return max(-int(exponent), 0)


def slider_step(spec: params.ParamSpec) -> float:
    """The slider step of a float parameter: about a hundredth of its range, made finer until
    the range's ends and the default are multiples of it (0.012 in [0, 1] gets 0.001)."""
    span = float(spec.high) - float(spec.low)
    coarse = -math.floor(math.log10(span / 100)) if span > 0 else 0
    digits = max(coarse, *(places(x) for x in (spec.low, spec.high, spec.default)))
    return float(Decimal(1).scaleb(-digits))


def on_grid(spec: params.ParamSpec, value: float, step: float) -> bool:
    """Whether a slider from ``spec.low`` by ``step`` has a position exactly at ``value``."""
    offset = _decimal(value) - _decimal(spec.low)
    return offset % _decimal(step) == 0 and float(spec.low) <= value <= float(spec.high)


def control(spec: params.ParamSpec, value: Any) -> Control:
    """The control that shows ``value`` of ``spec`` exactly."""
    if spec.type is bool:
        return "checkbox"
    if spec.choices is not None:
        return "select"
    span = float(spec.high) - float(spec.low)
    if spec.type is int:
        return "slider" if span <= MAX_INT_SLIDER_SPAN else "number"
    step = slider_step(spec)
    fits = span <= MAX_SLIDER_SPAN and span / step <= MAX_POSITIONS
    return "slider" if fits and on_grid(spec, float(value), step) else "number"


def param_label(name: str) -> str:
    """The human label of a parameter: its schema name in words ('Feedback loop closed')."""
    words = name.replace("_", " ")
    return words[:1].upper() + words[1:]


def param_item(name: str) -> dict[str, str]:
    """A dropdown entry for a parameter: its label shown, its name as the value."""
    return {"text": param_label(name), "value": name}


def value_text(spec: params.ParamSpec, value: Any) -> str:
    """A value as people read it, with the schema's unit: '0.012 per month', '6 months'."""
    if spec.type is bool:
        return "on" if value else "off"
    if spec.type is float:
        text = repr(float(value))  # exactly the value, never rounded for show
    elif spec.type is int:
        text = f"{int(value):,}"
    else:
        text = str(value)
    return f"{text} {spec.unit}" if spec.unit not in ("switch", "") else text


def setting_text(name: str, value: Any) -> str:
    """'Feedback loop closed: 0.9 level', for banners and the workshop's settings."""
    spec = params.PARAMS_BY_NAME.get(name)
    shown = value_text(spec, value) if spec is not None else str(value)
    return f"{param_label(name)}: {shown}"


CURRENT = "(current)"
"""Dropdown value of a scenario that is not a preset (an uploaded file): it has no preset
name, and a dropdown with no entry for it would go blank."""


def scenario_title(scenario: Scenario) -> str:
    """What people call a scenario: its title, else its name."""
    return scenario.title or scenario.name or "scenario"


def preset_items(presets: dict[str, Scenario]) -> list[dict[str, str]]:
    """Dropdown entries of the presets: the title shown, the name as the value."""
    return [{"text": scenario_title(sc), "value": name} for name, sc in presets.items()]


def scenario_choices(
    presets: dict[str, Scenario], current: Scenario
) -> tuple[list[dict[str, str]], str]:
    """The scenario dropdown's entries (``text``: the preset's title, ``value``: its name)
    and the value selected: the current preset, or an extra entry for an uploaded file."""
    items = preset_items(presets)
    if current.name in presets:  # an upload named like a preset is renamed on reading
        return items, current.name
    return [*items, {"text": f"{scenario_title(current)} (uploaded)", "value": CURRENT}], CURRENT


def message_lines(message: str) -> list[str]:
    """A message's lines without their indent: a file's problems, one per line."""
    return [line.strip() for line in message.splitlines() if line.strip()]


__all__ = [
    "CURRENT",
    "Control",
    "control",
    "message_lines",
    "on_grid",
    "param_item",
    "param_label",
    "places",
    "preset_items",
    "scenario_choices",
    "scenario_title",
    "setting_text",
    "slider_step",
    "value_text",
]
