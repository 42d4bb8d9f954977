"""Runs every benchmark in turn: `make bench`."""

from bench import cold_start, herd, idle_cost, local_precision, requests_per_operation, schedules

if __name__ == "__main__":
    for benchmark in (schedules, herd, local_precision, idle_cost, requests_per_operation, cold_start):
        benchmark.main()
        print()
