"""Benchmarks (`make bench-*`): print figures and ratios; never gate CI on wall time."""
