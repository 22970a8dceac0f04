"""Benchmarks: run against the sandbox, never part of the test suite's time budget."""
