"""Under ``pytest -n 2 --dist loadscope`` (.ci/run) the browser tests all run on one worker,
with one dashboard server, and any other module's tests stay together; the longest units of
work are handed out first (tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import LONGEST_SCOPES, next_scope

ROOT = Path(__file__).resolve().parents[1]

RECORDS_ITS_WORKER = """
import pytest

@pytest.mark.parametrize("i", range({tests}))
def test_records(i, worker_id, request):
    out = {out!r}
    with open(out, "a") as f:
        f.write(f"{{request.node.nodeid}} {{worker_id}}\\n")
"""


def test_browser_modules_share_one_worker_and_modules_stay_whole(tmp_path: Path) -> None:
    out = tmp_path / "workers.txt"
    tree = tmp_path / "tree"
    modules = ["tests/browser/test_one.py", "tests/browser/test_two.py"]
    modules += ["tests/test_three.py", "tests/test_four.py"]
    for module in modules:
        # Fewer browser tests than in either other module: xdist alone would hand out the
        # browser group last, the order by number of tests.
        tests = 2 if "browser" in module else 5
        (tree / module).parent.mkdir(parents=True, exist_ok=True)
        (tree / module).write_text(RECORDS_ITS_WORKER.format(out=str(out), tests=tests))
    (tree / "pytest.ini").write_text("[pytest]\n")
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider"]
    command += ["-p", "no:hypothesispytest", "-n", "2", "--dist", "loadscope", "-q"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    workers: dict[str, set[str]] = {}
    first_on: dict[str, str] = {}  # worker: the module of the first test it ran
    for line in out.read_text().splitlines():
        nodeid, worker = line.split()
        workers.setdefault(nodeid.split("::")[0], set()).add(worker)
        first_on.setdefault(worker, nodeid.split("::")[0])
    assert sorted(workers) == sorted(modules)
    assert all(len(seen) == 1 for seen in workers.values()), workers  # modules stay whole
    assert workers[modules[0]] == workers[modules[1]], workers  # the browser tests together
    (browser_worker,) = workers[modules[0]]
    assert first_on[browser_worker].startswith("tests/browser/"), first_on  # handed out first


def test_the_longest_scopes_are_handed_out_first() -> None:
    waiting = ["tests/test_cli.py", "tests/test_golden.py", "browser", "tests/test_params.py"]
    assert next_scope(waiting) == "browser"
    assert next_scope(waiting[:2]) == "tests/test_golden.py"
    assert next_scope(["tests/test_cli.py", "tests/test_params.py"]) == "tests/test_cli.py"
    assert LONGEST_SCOPES[0] == "browser"
