"""This tier runs the application over moto: its fixtures (harness/moto_fixtures.py)."""

from harness.moto_fixtures import api, aws, clients, clock, invocations, job_store, snapshot, stack, targets

__all__ = ["api", "aws", "clients", "clock", "invocations", "job_store", "snapshot", "stack", "targets"]
