"""Borderwatch benchmarks: ``python -m bench [--quick] [--only NAME,...] [--seed N]``.

Inputs are generated deterministically (:mod:`bench.generate`); compared things are timed back to
back in one run (:mod:`bench.harness`), because the machine is shared and noisy. Figures, targets
and the latest table are in ``docs/benchmarks.md``.
"""
