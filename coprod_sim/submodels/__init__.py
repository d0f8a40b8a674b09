"""The ODD submodels (MODEL.md §4), one module each, plus the events of §6.

Each module exposes ``step(state, params, rng)`` that updates the state's arrays in bulk.
"""
