"""The ODD submodels (docs/ODD.md §7), one module each: 7.1-7.9, the events (§7.10) and the
resilience chain (§7.11).

Each module exposes ``step(state, params, rng)`` that updates the state's arrays in bulk.
"""
