"""The demo: Northwind Market, a fictional help hub served on loopback (``server``), and
``policywatch demo``, the whole pipeline over its dated states (``run``).

Nothing is imported here, so ``python -m kb.demo.server`` starts the server alone, without
the pipeline (and without Python's warning that the module was imported twice).
"""
