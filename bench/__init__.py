"""Reproducible benchmarks (not part of the test suite)."""
