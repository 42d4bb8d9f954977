"""Runs every benchmark in turn: `make bench`."""

from bench import cold_start, fanout, herd, local_precision, requests_per_operation, schedules

if __name__ == "__main__":
    for benchmark in (schedules, herd, fanout, local_precision, requests_per_operation, cold_start):
        benchmark.main()
        print()
