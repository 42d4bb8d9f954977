"""Runs every benchmark in turn: `make bench`."""

from bench import requests_per_operation, schedules

if __name__ == "__main__":
    schedules.main()
    print()
    requests_per_operation.main()
