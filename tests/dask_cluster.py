"""A real local Dask cluster for tests: a `dask scheduler` and a `dask worker` command, each
to be started in a process group of its own (:func:`tests.processes.running_group`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    """The commands of a scheduler on a free port and of workers connected to it."""

    workers: int = 2
    threads: int = 1
    nanny: bool = True  # without one, a worker is a single process (cheaper to start)
    port: int = field(default_factory=free_port)

    @property
    def address(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    @property
    def scheduler(self) -> list[Any]:
        port = ["--port", str(self.port)]
        return [BIN / "dask", "scheduler", "--host", "127.0.0.1", *port, "--no-dashboard"]

    @property
    def worker(self) -> list[Any]:
        size = ["--nworkers", str(self.workers), "--nthreads", str(self.threads)]
        nanny = [] if self.nanny else ["--no-nanny"]
        return [BIN / "dask", "worker", self.address, *size, *nanny, "--no-dashboard"]

    @staticmethod
    def quiet() -> dict[str, Any]:
        """Popen settings: no output, and workers that may start processes of their own."""
        env = {**os.environ, "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
        return {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
