"""Runs every benchmark in turn: `make bench`."""

from bench import dispatch, herd, local_precision, requests_per_operation, schedules

if __name__ == "__main__":
    for benchmark in (schedules, dispatch, herd, local_precision, requests_per_operation):
        benchmark.main()
        print()
