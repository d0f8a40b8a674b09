"""No exception reaches the page: a failure in a session is logged on the server, with its
traceback, and the page shows one short message.

Left alone, Solara (reacton) puts a failing component's Python traceback in the page, server
paths and all. :func:`Failsafe` is an error boundary: any exception raised while its
children render or in their event handlers stops there. :func:`failure_message` serves the
handlers that catch exceptions themselves (so an upload that fails leaves the page as it was).
"""

from __future__ import annotations

import logging

import solara

FAILURE_MESSAGE = "Something went wrong; the details are in the server log."
"""All the page says about an unexpected failure."""

log = logging.getLogger("coprod_sim.dashboard")


def failure_message(error: BaseException, where: str) -> str:
    """Log ``error`` (raised in ``where``) with its traceback; the message for the page."""
    log.error("dashboard: %s failed", where, exc_info=(type(error), error, error.__traceback__))
    return FAILURE_MESSAGE


@solara.component
def Failsafe(children: list | None = None, where: str = "page") -> solara.Element:
    """Render ``children``; after an exception in them, the short message and a button that
    renders them again."""
    error, clear = solara.use_exception()
    # Logged once per exception, not on every re-render of the message.
    solara.use_memo(lambda: error is not None and failure_message(error, where), [error])
    if error is None:
        return solara.Column(children=children or [], gap="0px", style={"width": "100%"})
    # The message's root must not be a Column like the children's: reacton would reuse it
    # and render the failed children again, endlessly.
    retry = solara.Button("Try again", on_click=clear, outlined=True, classes=["cs-failure-retry"])
    return solara.Error(FAILURE_MESSAGE, children=[retry], classes=["cs-failure-message"])


__all__ = ["FAILURE_MESSAGE", "Failsafe", "failure_message"]
