"""Prometheus metrics: what each process counts, and what /metrics reads from the database."""
