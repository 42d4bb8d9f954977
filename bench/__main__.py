"""Runs every benchmark in turn."""

from bench import requests_per_operation

if __name__ == "__main__":
    requests_per_operation.main()
