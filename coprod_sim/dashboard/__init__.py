"""The interactive dashboard (Solara): ``coprod dashboard`` or ``solara run app.py``.

:mod:`.session` holds the logic (no user interface), :mod:`.views` the figures,
:mod:`.workshop` the guided workshop and its causal loop diagram, :mod:`.app` the page.
"""
