"""Runs every benchmark in turn: `make bench`."""

from bench import herd, local_precision, requests_per_operation, schedules

if __name__ == "__main__":
    for benchmark in (schedules, herd, local_precision, requests_per_operation):
        benchmark.main()
        print()
