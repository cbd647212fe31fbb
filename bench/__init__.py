"""Benchmarks: figures printed side by side with the naive approach, never asserted."""
