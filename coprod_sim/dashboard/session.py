"""The dashboard's state and actions, without any user interface.

A :class:`Session` holds what one browser tab works on: the scenario it started from, the
settings the user has changed, the seed, and the live :class:`CoproductionModel`. Every
action of the page (step, reset, change a setting, shock now, upload, export) is a method or
function here (the Compare tab's are in :mod:`.compare`), so the logic is tested without a
browser and the Solara components stay thin.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import io
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import params
from ..errors import InputError
from ..model import CoproductionModel
from ..scenario import Scenario
from ..scenario_files import (
    MAX_FILE_BYTES,
    MAX_SEED,
    decode,
    dumps,
    load,
    loads,
    parse_toml,
    presets,
    presets_dir,
)
from ..submodels.events import Event

MAX_CITIZENS = 20_000
"""Interactive runs stop at this many citizens: beyond it a month takes long enough that the
page stops feeling live. Bigger runs belong to ``coprod run`` and ``coprod sweep``."""

MAX_UPLOAD_BYTES = MAX_FILE_BYTES
"""Largest scenario file the page accepts: the same cap as ``coprod run`` reading a file."""

MAX_RUNS_IN_FLIGHT = max(2, os.cpu_count() or 1)
"""Most comparisons the server runs at once, over all sessions: one a core. More would not
finish sooner (each run is CPU-bound), and each holds its runs in memory until it ends."""

BASELINE = "baseline"


@dataclass(frozen=True)
class ShockNow:
    """A shock the "shock now" buttons start at the next month (ODD §7.10)."""

    kind: str
    label: str
    share: float
    duration: int
    note: str


SHOCKS_NOW: dict[str, ShockNow] = {
    s.kind: s
    for s in (
        # Professional unavailability: half the staff away for six months, as in the
        # resilience_chain study (000@53719; ODD 7.10).
        ShockNow(
            "unavailability",
            "Staff unavailable",
            0.5,
            6,
            "half the frontline staff unavailable for 6 months (dashboard)",
        ),
        # A budget cut that stays: austerity substitution, pattern P8 (000@136220-136480).
        ShockNow("budget_cut", "Budget cut", 0.3, 0, "30% budget cut from now on (dashboard)"),
        # A call for volunteers: 20% of citizens asked to step forward, pattern P7 (002@60710).
        ShockNow(
            "volunteer_call",
            "Call for volunteers",
            0.2,
            0,
            "a call for volunteers reaching 20% of citizens (dashboard)",
        ),
    )
}


class DashboardError(InputError):
    """Bad input from the page: the message names the input, the value and what is allowed."""


def preset_scenarios() -> dict[str, Scenario]:
    """Every preset scenario, loaded, by name (the baseline first)."""
    out: dict[str, Scenario] = {}
    names = sorted(presets(), key=lambda n: (n != BASELINE, n))
    for name in names:
        out[name] = load(name)
    return out


def check_size(values: Mapping[str, Any], source: str = "dashboard") -> None:
    """Refuse interactive runs above :data:`MAX_CITIZENS` with a message saying what to do."""
    n = values.get("n_citizens", params.PARAMS_BY_NAME["n_citizens"].default)
    if n > MAX_CITIZENS:
        raise DashboardError(
            f"{source}: key 'n_citizens': value {n:,} is too many for an interactive run; "
            f"allowed here: at most {MAX_CITIZENS:,} citizens. Run larger populations with "
            f"`coprod run SCENARIO --set n_citizens={n}` (the engine handles 1,000,000)."
        )


def check_integer(value: Any, key: str, low: int, high: int) -> int:
    """``value`` (text from a field is converted) as an ``int`` in ``[low, high]``, else a
    :class:`DashboardError` naming ``key``, the value and what is allowed."""
    text = str(value).strip()
    try:
        number = int(text)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise DashboardError(
            f"{key}: value {text!r} is not allowed; allowed: an integer in [{low}, {high}]"
        )
    return number


def check_count(name: str, value: Any) -> int:
    """A whole-number parameter typed into a field, as an ``int`` in its schema's range (the
    citizens up to :data:`MAX_CITIZENS`); else a :class:`DashboardError` naming it."""
    spec = params.PARAMS_BY_NAME[name]
    high = min(spec.high, MAX_CITIZENS) if name == "n_citizens" else spec.high
    try:
        return check_integer(value, name, int(spec.low), int(high))
    except DashboardError:
        # A whole number of citizens over the cap: the message that says how to run it.
        if name == "n_citizens" and str(value).strip().isdigit():
            check_size({name: int(str(value).strip())})
        raise


def check_seed(seed: Any) -> int:
    """The seed as an ``int`` in ``[0, MAX_SEED]``; text from a field is converted."""
    return check_integer(seed, "seed", 0, MAX_SEED)


@dataclass
class Session:
    """One tab's scenario, settings, seed and live model.

    ``edits`` are the parameters the user changed from ``scenario``; ``shocks`` the shocks
    started with the "shock now" buttons during the current run (they go into the exported
    scenario so that the run can be reproduced).
    """

    scenario: Scenario
    seed: int = 0
    edits: dict[str, Any] = field(default_factory=dict)
    shocks: list[Event] = field(default_factory=list)
    model: CoproductionModel | None = None
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    closed: threading.Event = field(default_factory=threading.Event, repr=False)
    """Set when the browser tab closes: the playing loop and a running comparison stop."""

    def __post_init__(self) -> None:
        if self.model is None:
            self.reset()

    # ---------------------------------------------------------------------------- settings
    @property
    def values(self) -> dict[str, Any]:
        """The parameter values in force: the scenario's with the user's edits."""
        return {**self.scenario.parameters(), **self.edits}

    @property
    def current(self) -> Scenario:
        """The current settings as a scenario (seed, scenario events, shocks started now)."""
        return self.scenario.replace(
            rng=self.seed, events=(*self.scenario.events, *self.shocks), **self.edits
        )

    def set_value(self, name: str, value: Any) -> None:
        """Change one parameter and restart the run from month 0 on the same seed.

        Raises :class:`DashboardError` (the model keeps running as before) when the value is
        out of range or too big for an interactive run.
        """
        spec = params.PARAMS_BY_NAME.get(name)
        if spec is None:
            raise DashboardError(f"unknown parameter {name!r}{params.suggest(name)}")
        edits = dict(self.edits)
        if value == self.scenario.parameters()[name]:
            edits.pop(name, None)
        else:
            edits[name] = value
        self._validate({**self.scenario.parameters(), **edits})
        self.edits = edits
        self.reset()

    def set_seed(self, seed: Any) -> None:
        """Change the seed (text or int) and restart the run."""
        self.seed = check_seed(seed)
        self.reset()

    def load(self, scenario: Scenario, settings: Mapping[str, Any] | None = None) -> None:
        """Switch to another scenario (its seed too), optionally with some settings changed."""
        edits = dict(settings or {})
        self._validate({**scenario.parameters(), **edits}, source=scenario.name or "scenario")
        self.scenario = scenario
        self.seed = int(scenario.rng) if scenario.rng is not None else 0
        self.edits = {k: v for k, v in edits.items() if scenario.parameters()[k] != v}
        self.reset()

    def reset_values(self) -> None:
        """Back to the scenario's own values."""
        self.edits = {}
        self.reset()

    @staticmethod
    def _validate(values: Mapping[str, Any], source: str = "dashboard") -> None:
        try:
            params.validate(values, source=source)
        except params.ParameterError as err:
            raise DashboardError("; ".join(err.problems)) from err
        check_size(values, source)

    # ---------------------------------------------------------------------------- running
    def reset(self) -> None:
        """A new model at month 0 with the current settings and seed (shocks started now are
        forgotten)."""
        with self.lock:
            self.shocks = []
            self.model = CoproductionModel(scenario=self.current, rng=self.seed)

    @property
    def month(self) -> int:
        return self.model.steps

    @property
    def horizon(self) -> int:
        return int(self.model.params.steps)

    @property
    def finished(self) -> bool:
        return self.month >= self.horizon

    def step(self, months: int = 1) -> None:
        """Advance up to ``months`` months (never past the horizon)."""
        with self.lock:
            for _ in range(months):
                if self.finished:
                    break
                self.model.step()

    def shock_now(self, kind: str) -> Event:
        """Start a shock of ``kind`` (a key of :data:`SHOCKS_NOW`) at the next month."""
        spec = SHOCKS_NOW.get(kind)
        if spec is None:
            raise DashboardError(
                f"shock: value {kind!r} is not allowed; allowed: {', '.join(SHOCKS_NOW)}"
            )
        with self.lock:
            start = self.month + 1
            if start > self.horizon:
                raise DashboardError(
                    f"shock: the run has reached its horizon (month {self.horizon}); "
                    "reset or raise 'steps' to shock it"
                )
            event = Event(spec.kind, start, spec.duration, spec.share, note=spec.note)
            # The engine keys events by position, so appending starts it like a scheduled one.
            self.model.events.append(event)
            self.shocks.append(event)
        return event

    # ---------------------------------------------------------------------------- outputs
    def series(self) -> dict[str, np.ndarray]:
        """Every metric so far as arrays (month 0 first), cheaply, for live redraws."""
        model_vars = self.model.datacollector.model_vars
        return {name: np.asarray(values, dtype=float) for name, values in model_vars.items()}

    def timeseries(self) -> pd.DataFrame:
        """The run so far as a tidy frame: scenario, replication, seed, month, every metric."""
        frame = self.model.metrics_frame().reset_index()
        frame.insert(0, "seed", self.seed)
        frame.insert(0, "replication", 0)
        frame.insert(0, "scenario", self.label)
        return frame

    def agents(self) -> pd.DataFrame:
        """Every agent's current state (one row per agent), tagged like :meth:`timeseries`."""
        frame = self.model.agent_snapshot()
        frame.insert(0, "replication", 0)
        frame.insert(0, "scenario", self.label)
        return frame

    @property
    def label(self) -> str:
        name = self.scenario.name or "scenario"
        return f"{name} (changed)" if self.edits else name

    def csv(self) -> bytes:
        """The time series so far as CSV bytes (for the download button)."""
        buffer = io.StringIO()
        self.timeseries().to_csv(buffer, index=False)
        return buffer.getvalue().encode("utf-8")

    def toml(self) -> bytes:
        """The current settings as a scenario file that ``coprod run`` and the upload accept."""
        sc = self.current
        if self.edits or self.shocks:
            changed = ", ".join(sorted(self.edits)) or "none"
            sc = sc.replace(
                description=(
                    f"{sc.description.strip()}\n\nChanged in the dashboard: {changed}"
                    + (f"; {len(self.shocks)} shock(s) started by hand" if self.shocks else "")
                    + "."
                ).strip()
            )
        return dumps(sc, command="coprod dashboard", origin=self.scenario.name).encode("utf-8")


# -------------------------------------------------------------------------------- limits


class CompareStopped(Exception):
    """A comparison stopped because its session closed (nobody is left to see it)."""


class RunSlots:
    """The comparisons in flight: at most one per session, at most ``limit`` on the server.

    A session is named by any hashable ``owner`` (the dashboard uses the id of its
    :class:`Session`). Thread-safe: sessions start comparisons from their own threads.
    """

    def __init__(self, limit: int = MAX_RUNS_IN_FLIGHT) -> None:
        self.limit = limit
        self._owners: set = set()
        self._lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        return len(self._owners)

    def acquire(self, owner: object) -> None:
        """Take a slot for ``owner``, or raise :class:`DashboardError` saying why not."""
        with self._lock:
            if owner in self._owners:
                raise DashboardError(
                    "compare: a comparison is already running in this session; allowed: one "
                    "at a time per session. Wait for it to finish (the progress bar below)."
                )
            if len(self._owners) >= self.limit:
                raise DashboardError(
                    f"compare: {len(self._owners)} comparisons are running on this server; "
                    f"allowed: at most {self.limit} at once (one a core). Press Run both "
                    "again when one has finished."
                )
            self._owners.add(owner)

    def release(self, owner: object) -> None:
        with self._lock:
            self._owners.discard(owner)


RUN_SLOTS = RunSlots()
"""The server's comparisons in flight (one per process: every session shares it)."""


PLAYING_SHARE = 0.5
"""The share of the server's time that all playing sessions together may take. The server
runs every session's Python in one thread at a time (the GIL), so whatever playing leaves
over is what a click, an upload or a comparison in another tab gets, however many tabs play."""

FIRST_REDRAW_COST_S = 0.043
"""Seconds of server time one month and the redraw of every chart cost, before any was
measured (a median from ``benchmarks/sessions.py`` with one session); the pacer replaces it
with what it measures."""


class PlayPacer:
    """Shares the server's time fairly among the sessions that are playing.

    Each playing session waits at least its speed's interval between redraws. The pacer
    keeps a running mean of what one redraw costs (the loops report it) and, when the
    sessions playing would together take more than ``share`` of the server's time, every one
    of them waits ``playing * cost / share`` seconds instead: twenty tabs playing at once each
    slow down evenly rather than starving the one user who clicks Step, and a slower machine
    or a larger model slows them down sooner. Thread-safe (one loop a thread).
    """

    SMOOTHING = 0.2
    """Weight of the newest redraw in the running mean of the cost."""

    def __init__(
        self, share: float = PLAYING_SHARE, first_cost: float = FIRST_REDRAW_COST_S
    ) -> None:
        self.share = share
        self._cost = first_cost
        self._owners: set = set()
        self._lock = threading.Lock()

    @property
    def playing(self) -> int:
        with self._lock:
            return len(self._owners)

    @property
    def redraw_cost(self) -> float:
        """The running mean of one redraw's cost, in seconds."""
        with self._lock:
            return self._cost

    def start(self, owner: object) -> None:
        with self._lock:
            self._owners.add(owner)

    def stop(self, owner: object) -> None:
        with self._lock:
            self._owners.discard(owner)

    def record(self, seconds: float) -> None:
        """One redraw (months stepped and charts drawn) took ``seconds`` of the server's CPU."""
        with self._lock:
            self._cost += self.SMOOTHING * (max(seconds, 0.0) - self._cost)

    def interval(self, wanted: float) -> float:
        """Seconds between two redraws of one session that asked for ``wanted``."""
        with self._lock:
            fair = len(self._owners) * self._cost / self.share
        return max(wanted, fair)

    def note(self, wanted: float) -> str:
        """What the run bar says while the server slows this session down ("" when not)."""
        n = self.playing
        paced = self.interval(wanted)
        if paced <= wanted:
            return ""
        return (
            f"{n} sessions are playing on this server: one redraw every {paced:.1f} s "
            f"instead of {wanted:.2f} s."
        )


PLAY_PACER = PlayPacer()
"""The server's playing sessions (one per process: every session shares it)."""


def release_memory() -> None:
    """Collect garbage and hand freed memory back to the system.

    Called once a session has closed: its model, runs and figures form reference cycles
    (plotly figures, widgets) that only the cycle collector frees, and glibc keeps freed small
    blocks in its heap unless asked to trim it, so without this the server's resident memory
    never falls after sessions close.
    """
    gc.collect()
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        trim = getattr(libc, "malloc_trim", None)
    except OSError:  # not glibc: nothing to trim
        trim = None
    if trim is not None:
        trim(0)


# -------------------------------------------------------------------------------- upload


def read_upload(name: str, size: int, read: Callable[[], bytes]) -> Scenario:
    """Validate an uploaded scenario file.

    ``read`` is called only once the declared ``size`` is within :data:`MAX_UPLOAD_BYTES`.
    ``extends`` may name a preset only: an uploaded file must never make the server read one
    of its own files. Raises :class:`DashboardError` with the file, key, value and what is
    allowed.
    """
    label = Path(name or "upload.toml").name  # the browser sends a name, never a server path
    if size > MAX_UPLOAD_BYTES:
        raise DashboardError(
            f"{label}: the file is {size:,} bytes; allowed: at most {MAX_UPLOAD_BYTES:,} bytes "
            "(a scenario file is a few KB)"
        )
    try:
        # The CLI's decoding and reader: the same file gets the same verdict (UTF-8 only),
        # and deep nesting is a message here too, never a RecursionError.
        text = decode(read(), label)
        parent = parse_toml(text, label).get("extends")
    except params.ParameterError as err:
        raise DashboardError(str(err)) from err
    preset_names = presets()
    if parent is not None and (
        not isinstance(parent, str) or parent.removesuffix(".toml") not in preset_names
    ):
        raise DashboardError(
            f"{label}: key 'extends': value {parent!r} is not allowed in an upload; allowed: a "
            f"preset name ({', '.join(preset_names)})"
        )
    try:
        scenario = loads(text, source=label, base_dir=presets_dir())
    except params.ParameterError as err:
        raise DashboardError(str(err)) from err
    check_size(scenario.parameters(), label)
    if scenario.name in preset_names:  # an edited copy of a preset must not pass for the preset
        scenario = scenario.replace(name=f"{scenario.name} (uploaded)")
    return scenario


__all__ = [
    "FIRST_REDRAW_COST_S",
    "MAX_CITIZENS",
    "MAX_RUNS_IN_FLIGHT",
    "MAX_UPLOAD_BYTES",
    "PLAYING_SHARE",
    "PLAY_PACER",
    "RUN_SLOTS",
    "SHOCKS_NOW",
    "CompareStopped",
    "DashboardError",
    "PlayPacer",
    "RunSlots",
    "Session",
    "check_count",
    "check_integer",
    "check_seed",
    "check_size",
    "preset_scenarios",
    "read_upload",
    "release_memory",
]
