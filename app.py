"""The coprod-sim dashboard: ``solara run app.py`` (or ``coprod dashboard``).

It opens on the built-in baseline scenario; see ``coprod_sim/dashboard/app.py``.
"""

from coprod_sim.dashboard.app import Page

__all__ = ["Page"]
