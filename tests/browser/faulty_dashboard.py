"""``coprod dashboard`` with two faults planted, for the test that no exception reaches the
page: run it as ``python -m tests.browser.faulty_dashboard --port P ...``.

- uploading a file named :data:`HANDLER_FAULT` raises in the upload's event handler;
- a scenario whose title is :data:`RENDER_FAULT` raises while the sidebar renders it.

Both messages name a server path (:data:`SECRET`), which must reach the server log only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

HANDLER_FAULT = "handler-fault.toml"
RENDER_FAULT = "render fault"
SECRET = "/srv/coprod/secret_module.py"


def _planted(original: Callable[..., Any], fails: Callable[..., bool]) -> Callable[..., Any]:
    def planted(*args: Any) -> Any:
        if fails(*args):
            raise RuntimeError(f"planted fault in {SECRET}")
        return original(*args)

    return planted


def main(argv: list[str]) -> None:
    from coprod_sim.cli import app
    from coprod_sim.dashboard import controls, session

    session.read_upload = _planted(session.read_upload, lambda name, *_: name == HANDLER_FAULT)
    controls.scenario_title = _planted(
        controls.scenario_title, lambda scenario: scenario.title == RENDER_FAULT
    )
    app(["dashboard", *argv], prog_name="coprod")


if __name__ == "__main__":
    main(sys.argv[1:])
