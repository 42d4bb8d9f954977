"""Job keys kept unique by a reservation item per key, written in the job's own transaction.

Claiming a key puts its reservation on the condition that none exists, so two jobs can never hold one key
and no Scan is needed. A reservation can outlive its job when a release that knows no keys deleted it (or
rewrote it whole, dropping `key`): such a stale reservation is taken over, conditioned on its old holder and
on that holder, checked in the same transaction, not existing with the key.
"""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from serverless_jobs.adapters.dynamodb.models import KEY_RESERVATION, JobItem, LabelItem
from serverless_jobs.domain.errors import KeyInUse
from serverless_jobs.domain.job import Job


class KeyReservations:
    def __init__(self, reservations: type[LabelItem], jobs: type[JobItem]) -> None:
        self._reservations = reservations
        self._jobs = jobs

    def claim(self, transaction: TransactWrite, key: str, job_id: str, stale: str | None = None) -> None:
        """Add to `transaction` the reservation of `key` for `job_id`: a free key, or one `stale` held."""
        model = self._reservations
        item = model(LabelItem.reservation_of(key), KEY_RESERVATION, job_id=job_id)
        if stale is None:
            transaction.save(item, condition=model.label.does_not_exist())
            return
        jobs = self._jobs
        gone = jobs.id.does_not_exist() | jobs.key.does_not_exist() | (jobs.key != key)
        transaction.condition_check(jobs, stale, condition=gone)
        transaction.save(item, condition=model.job_id == stale)

    def release(self, transaction: TransactWrite, key: str, job_id: str) -> None:
        """Add to `transaction` the deletion of `key`'s reservation, if `job_id` holds it (or none does)."""
        model = self._reservations
        mine = (model.job_id == job_id) | model.label.does_not_exist()
        transaction.delete(model(LabelItem.reservation_of(key), KEY_RESERVATION), condition=mine)

    def holder(self, key: str) -> str | None:
        """The id of the job holding `key` (a consistent read), or None."""
        try:
            return str(
                self._reservations.get(LabelItem.reservation_of(key), KEY_RESERVATION, consistent_read=True).job_id
            )
        except DoesNotExist:
            return None

    def stale_holder(self, key: str, job_id: str, job_of: Callable[[str], Job | None]) -> str | None:
        """After a claim of `key` for `job_id` was refused: the holder to take the key over from, or None to
        try as before. KeyInUse when a live job holds it."""
        holder = self.holder(key)
        if holder is None or holder == job_id:
            return None
        held = job_of(holder)
        if held is not None and held.key == key:
            raise KeyInUse(key, holder)
        return holder
