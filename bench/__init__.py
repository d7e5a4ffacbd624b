"""Benchmarks: a flood server and the clients `incidents` is compared with (see run.py)."""
