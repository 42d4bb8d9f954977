"""Benchmarks that print comparable figures: `make bench`."""
