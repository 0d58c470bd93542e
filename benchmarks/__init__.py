"""Benchmarks: speed and quality of the reference solutions against the named peers.

``python -m benchmarks`` runs every ``benchmarks/bench_*.py`` (``python -m benchmarks NAME``
one of them); each prints a table and writes it to ``benchmarks/results/NAME.md``.
"""
