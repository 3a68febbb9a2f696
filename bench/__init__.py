"""Benchmarks: scripts that measure OTTO-Q, run by hand or by `make bench`; not tests."""
