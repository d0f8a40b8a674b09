"""Suite-wide check: no process started by the tests outlives the test session.

At the start, the session process notes the processes that already exist and puts a token of
its own in its environment (``COPROD_TEST_SESSION``), which every process it starts inherits.
At the end, a process is the session's if it descends from the session process or carries its
token: the token finds what a killed child left behind, adopted by init (a sweep's forkserver
and workers, say), which is no longer a descendant. Those that did not exist at the start get
:data:`GRACE` seconds to exit; then they are killed and the run fails, naming each command line.

With pytest-xdist each worker checks its own processes (its own token) and hands what it found
to the controller, which checks its own too (the workers themselves must be gone) and fails
the run. Processes are enumerated with psutil (a dependency of dask.distributed).
"""

from __future__ import annotations

import contextlib
import multiprocessing.forkserver
import multiprocessing.resource_tracker
import os
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import psutil
import pytest

TOKEN_VARIABLE = "COPROD_TEST_SESSION"
GRACE = 5.0
"""Seconds a leftover process has to exit on its own before it is killed (ini option
``leftover_grace``)."""
COMMAND_CHARS = 300
"""A command line is cut to this length in the report."""

ProcessKey = tuple[int, float]  # pid and start time: a pid alone may be reused


@dataclass
class SessionProcesses:
    """What the session knows about processes: its token, those that existed before it
    started, and leftovers the xdist workers reported."""

    token: str
    before: set[ProcessKey]
    reported: list[str] = field(default_factory=list)


_STATE = pytest.StashKey[SessionProcesses]()


def _key(process: psutil.Process) -> ProcessKey | None:
    try:
        return process.pid, process.create_time()
    except psutil.Error:
        return None


def _existing() -> set[ProcessKey]:
    return {key for process in psutil.process_iter() if (key := _key(process)) is not None}


def _carries(process: psutil.Process, token: str) -> bool:
    try:
        return process.environ().get(TOKEN_VARIABLE) == token
    except psutil.Error:  # gone, or not ours to read
        return False


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def session_leftovers(token: str, before: set[ProcessKey]) -> list[psutil.Process]:
    """Live processes, new since ``before``, that descend from this one or carry ``token``."""
    me = psutil.Process()
    found = {p.pid: p for p in me.children(recursive=True)}
    for process in psutil.process_iter():
        if process.pid not in found and process.pid != me.pid and _carries(process, token):
            found[process.pid] = process
    return [p for p in found.values() if _key(p) not in before and _alive(p)]


def _describe(process: psutil.Process) -> str:
    try:
        command = " ".join(process.cmdline()) or process.name()
    except psutil.Error:
        command = "(exited)"
    if len(command) > COMMAND_CHARS:
        command = command[: COMMAND_CHARS - 3] + "..."
    return f"pid {process.pid}: {command}"


def _end_own_multiprocessing_helpers() -> None:
    """End the forkserver and resource tracker that process pools started in this process.

    They serve this process and end with it, so they are no leak; end them here so that the
    check below sees only what would outlive the session. (``_stop`` is what CPython's own
    tests use; missing in some version, the check will report them instead.)
    """
    for helper in (
        multiprocessing.forkserver._forkserver,
        multiprocessing.resource_tracker._resource_tracker,
    ):
        stop = getattr(helper, "_stop", None)
        if stop is not None:
            with contextlib.suppress(Exception):
                stop()


def end_leftovers(token: str, before: set[ProcessKey], grace: float = GRACE) -> list[str]:
    """Descriptions of the session's processes still alive after ``grace`` seconds; those
    are killed."""
    _end_own_multiprocessing_helpers()
    deadline = time.monotonic() + grace
    while (leftovers := session_leftovers(token, before)) and time.monotonic() < deadline:
        time.sleep(0.1)
    described = [_describe(process) for process in leftovers]
    for process in leftovers:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(leftovers, timeout=grace)
    return described


def _where() -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"xdist worker {worker}" if worker else "the test session"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "leftover_grace",
        f"seconds a process started by the tests has to exit after them (default {GRACE})",
        default=str(GRACE),
    )


def _hypothesis_without_chance() -> None:
    """Every property test draws the same examples on every run and xdist worker (derived
    from the test), and keeps no example database: a shared ``.hypothesis/`` folder would
    make a run depend on the runs before it."""
    from hypothesis import settings

    settings.register_profile("coprod", derandomize=True, database=None)
    settings.load_profile("coprod")


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.has_plugin("hypothesispytest"):  # imported only if in use
        _hypothesis_without_chance()
    before = _existing()
    # Each session, an xdist worker included, gets its own token: a worker's check must not
    # take its sibling's running processes for leftovers.
    token = f"{os.getpid()}-{uuid.uuid4().hex}"
    os.environ[TOKEN_VARIABLE] = token
    config.stash[_STATE] = SessionProcesses(token, before)


BROWSER_TESTS = "tests/browser/"
"""Where the browser tests' ids start (ids are relative to the repository root)."""


def xdist_scope(nodeid: str, module_scope: str) -> str:
    """The unit of work of a test under ``--dist loadscope``: every browser test in one, so
    that one dashboard server and one Chromium serve them all and two never compete for the
    cores (the tests wait for the dashboard in real time); any other test with its module
    (``module_scope``), whose fixtures and caches its tests share."""
    return "browser" if nodeid.startswith(BROWSER_TESTS) else module_scope


LONGEST_SCOPES = (
    "browser",
    "tests/test_mechanisms.py",
    "tests/test_validation.py",
    "tests/test_readme_commands.py",
    "tests/test_sweep_failures.py",
    "tests/test_packaging.py",
    "tests/test_workshop.py",
    "tests/test_golden.py",
    "tests/test_experiments.py",
)
"""The units of work that take longest, longest first (measured with ``--durations``): they
are handed out first, so that none starts late and keeps its worker busy after the other
has run out of work. The browser tests are the longest by far (they wait for the dashboard
in real time, one after the other)."""


def next_scope(waiting: Sequence[str]) -> str:
    """The unit of work to hand out next: the longest of :data:`LONGEST_SCOPES` still
    waiting, else the first waiting (xdist orders those by their number of tests, which says
    little about their time: the browser group has few tests but takes minutes)."""
    for scope in LONGEST_SCOPES:
        if scope in waiting:
            return scope
    return waiting[0]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """(xdist controller) ``--dist loadscope`` with :func:`xdist_scope` as its scopes, handed
    out longest first (:func:`next_scope`).

    Not ``--dist loadgroup`` with ``xdist_group`` marks: pytest-xdist 3.8 under pytest 9
    ignores the marks (every test goes its own way)."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class BrowserTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid, super()._split_scope(nodeid))

        def _assign_work_unit(self, node) -> None:
            # xdist hands out the front of its queue (an OrderedDict of scopes): put the
            # chosen one there.
            self.workqueue.move_to_end(next_scope(list(self.workqueue)), last=False)
            super()._assign_work_unit(node)

    return BrowserTogether(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    """(xdist controller) Collect what a worker found left running."""
    reported = getattr(node, "workeroutput", {}).get("leftover_processes", [])
    node.config.stash[_STATE].reported.extend(reported)


@pytest.hookimpl(trylast=True)  # after the session's fixtures and the xdist workers ended
def pytest_sessionfinish(session: pytest.Session) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is None:
        return
    grace = float(session.config.getini("leftover_grace"))
    found = [f"{_where()}: {d}" for d in end_leftovers(state.token, state.before, grace)]
    if hasattr(session.config, "workeroutput"):  # an xdist worker: the controller reports
        session.config.workeroutput["leftover_processes"] = found
        return
    leftovers = state.reported + found
    if not leftovers:
        return
    lines = [
        f"{len(leftovers)} process(es) started by the tests outlived them (now killed); "
        "end every process a test starts (tests/processes.py):",
        *leftovers,
    ]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", "processes left running", red=True, bold=True)
        for line in lines:
            reporter.write_line(line, red=True)
    else:
        print("\n".join(lines), file=sys.stderr)
    if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
