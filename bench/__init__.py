"""Benchmarks: OTTO-Q against the limits of the same machine, measured side by side."""
