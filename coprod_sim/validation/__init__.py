"""Validation against the chapters' empirical patterns P1-P8 (``coprod validate``).

:mod:`.survey` draws a synthetic citizen survey from the state, :mod:`.patterns` computes each
pattern's statistics with 95% intervals, :mod:`.runner` runs the presets they need,
:mod:`.screening` scores parameter points for the calibration and the sensitivity screening, and
:mod:`.document` writes ``docs/validation.md``.
"""
