"""Schedules as code: a file of jobs by key, planned against a stack and applied to it (`plan`, `apply`).

A file names itself (`manifest:`, else its file name without extension) and lists jobs, each with a `key`
and any create field. Every job it creates or imports carries the label `serverless-jobs/manifest=<name>`:
that label, and nothing else, makes a job this file's, so `--prune` deletes only jobs with it whose key
the file no longer lists. A second label, `serverless-jobs/applied`, holds a fingerprint of the fields the
last apply wrote: a job whose fields no longer match it was changed by hand since (drift).

Validation is the API's own (`POST /jobs/validate`, which stores nothing), so the file is checked by the
rules a create applies, not by a copy of them; every job is checked before anything changes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from serverless_jobs_client.client import JobsClient
from serverless_jobs_client.errors import InvalidInput
from serverless_jobs_client.models import Job

MANAGED_BY = "serverless-jobs/manifest"
APPLIED = "serverless-jobs/applied"
RESOURCE = "serverless-jobs/resource"  # a job a CloudFormation stack's Custom::ServerlessJob made: never the file's
_RESERVED_PREFIX = "serverless-jobs/"
# A manifest's name is a label value.
_NAME = re.compile(r"[A-Za-z0-9._:/@-]{1,128}")
# The create fields a plan compares (a job's key is its identity, not a field to change).
COMPARED = (
    "name",
    "handler",
    "target",
    "notify",
    "data",
    "labels",
    "schedule",
    "timezone",
    "runAt",
    "endAt",
    "maxAttempts",
    "retryBackoffSeconds",
    "timeoutSeconds",
    "jitterSeconds",
    "maxRuns",
    "catchupWindowSeconds",
    "overlap",
    "concurrencyKey",
    "concurrencyLimit",
    "rateLimit",
)

Action = Literal["create", "update", "import", "delete"]


class ManifestError(Exception):
    """The file was refused whole, before anything changed: one line per problem, naming job and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Manifest:
    name: str
    jobs: dict[str, dict[str, Any]]  # key -> the create fields as the file gives them (key included)


@dataclass(frozen=True)
class Change:
    action: Action
    key: str
    job_id: str | None = None
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field -> (stored, wanted)
    drift: bool = False  # the stored job was changed by hand since the last apply
    body: dict[str, Any] = field(default_factory=dict)  # what apply sends


@dataclass(frozen=True)
class Plan:
    manifest: str
    changes: list[Change]
    unchanged: list[str]
    unpruned: list[str]  # keys of this file's jobs the file no longer lists, left without --prune


def load(path: str) -> Manifest:
    """The file at `path` (JSON if it ends in .json, else YAML), its structure checked (ManifestError)."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        document = json.loads(text) if path.endswith(".json") else _yaml(text)
    except ValueError as error:
        raise ManifestError([f"{path}: not valid {'JSON' if path.endswith('.json') else 'YAML'}: {error}"]) from error
    return parse(document, Path(path).stem)


def _yaml(text: str) -> Any:
    import yaml

    class Loader(yaml.SafeLoader):
        """YAML without its implicit timestamps: a `runAt` stays the text written, for the API to read."""

    Loader.yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    try:
        return yaml.load(text, Loader=Loader)  # safe: a SafeLoader subclass
    except yaml.YAMLError as error:
        raise ValueError(str(error)) from error


def parse(document: Any, default_name: str) -> Manifest:
    """A manifest from a loaded document: `{"manifest"?: name, "jobs": [{"key": ..., <create fields>}]}`."""
    if not isinstance(document, Mapping):
        raise ManifestError(["the file must hold an object with `jobs` (a list of jobs, each with a `key`)"])
    problems = [
        f"{name}: unknown top-level field (expected manifest, jobs)"
        for name in document
        if name not in ("manifest", "jobs")
    ]
    name = document.get("manifest", default_name)
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        problems.append(f"manifest: {name!r} is not a name (1..128 of letters, digits, '.', '_', '-', ':', '/', '@')")
    entries = document.get("jobs")
    if not isinstance(entries, list):
        raise ManifestError([*problems, "jobs: must be a list of jobs, each with a `key`"])
    jobs: dict[str, dict[str, Any]] = {}
    for position, entry in enumerate(entries):
        key = entry.get("key") if isinstance(entry, Mapping) else None
        where = f"job {key!r}" if isinstance(key, str) else f"jobs[{position}]"
        if not isinstance(entry, Mapping):
            problems.append(f"{where}: must be an object of create fields")
        elif not isinstance(key, str):
            problems.append(f"{where}: key: is required (a text, unique in the file)")
        elif key in jobs:
            problems.append(f"{where}: key: is listed twice")
        else:
            reserved = [label for label in entry.get("labels") or {} if str(label).startswith(_RESERVED_PREFIX)]
            problems.extend(f"{where}: labels.{label}: is set by apply; leave it out" for label in reserved)
            jobs[key] = dict(entry)
    if problems:
        raise ManifestError(problems)
    return Manifest(str(name), jobs)


def fingerprint(fields: Mapping[str, Any]) -> str:
    """The compared fields as one label value: what the last apply wrote, to tell a change made by hand."""
    text = json.dumps({name: fields.get(name) for name in COMPARED}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def compared(job: Job) -> dict[str, Any]:
    """A job's compared fields, as the API shows them, without the labels apply sets."""
    fields = {name: job.raw.get(name) for name in COMPARED}
    fields["labels"] = {k: v for k, v in (fields["labels"] or {}).items() if not k.startswith(_RESERVED_PREFIX)}
    return fields


def wanted(client: JobsClient, manifest: Manifest) -> dict[str, dict[str, Any]]:
    """Every job of the file as the API would make it (`POST /jobs/validate`), or ManifestError naming each
    job and field the API refused."""
    found: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for key, fields in manifest.jobs.items():
        try:
            # with the labels apply adds, so a file with too many labels is refused here, not halfway
            found[key] = compared(client.validate({**fields, "labels": _labelled(fields, manifest.name, "0" * 40)}))
        except InvalidInput as error:
            problems.append(f"job {key!r}: {error.message}")
    if problems:
        raise ManifestError(problems)
    return found


def plan(client: JobsClient, manifest: Manifest, *, prune: bool = False) -> Plan:
    """What `apply` would change: the file validated whole first (ManifestError), then compared job by job."""
    desired = wanted(client, manifest)
    changes: list[Change] = []
    unchanged: list[str] = []
    problems: list[str] = []
    for key, fields in manifest.jobs.items():
        want = desired[key]
        labels = _labelled(fields, manifest.name, fingerprint(want))
        current = client.get_by_key(key)
        if current is None:
            changes.append(Change("create", key, body={**fields, "labels": labels}))
            continue
        owner = current.labels.get(MANAGED_BY)
        if owner is not None and owner != manifest.name:
            problems.append(f"job {key!r}: key: is held by job {current.id} of manifest {owner!r}, not this one")
            continue
        if RESOURCE in current.labels:
            problems.append(f"job {key!r}: key: is held by job {current.id} of a CloudFormation stack's resource")
            continue
        have = compared(current)
        differ = {name: (have[name], want[name]) for name in COMPARED if have[name] != want[name]}
        if owner is None:
            changes.append(Change("import", key, current.id, differ, body=_update(differ, labels)))
        elif differ:
            drift = fingerprint(have) != current.labels.get(APPLIED)
            changes.append(Change("update", key, current.id, differ, drift, _update(differ, labels)))
        else:
            unchanged.append(key)
    if problems:
        raise ManifestError(problems)
    gone = [job for job in client.list(label=f"{MANAGED_BY}={manifest.name}") if job.key not in manifest.jobs]
    if prune:
        changes.extend(Change("delete", job.key or job.id, job.id) for job in gone)
    return Plan(manifest.name, changes, unchanged, [] if prune else [job.key or job.id for job in gone])


def apply(client: JobsClient, planned: Plan, done: Callable[[Change], None] = lambda change: None) -> None:
    """Make the planned changes, one job at a time, calling `done` after each."""
    for change in planned.changes:
        if change.action == "create":
            client.create(change.body)
        elif change.action == "delete":
            client.delete(str(change.job_id))
        else:
            client.update(str(change.job_id), change.body)
        done(change)


def _labelled(fields: Mapping[str, Any], manifest: str, applied: str) -> dict[str, Any]:
    return {**(fields.get("labels") or {}), MANAGED_BY: manifest, APPLIED: applied}


def _update(differ: Mapping[str, tuple[Any, Any]], labels: dict[str, Any]) -> dict[str, Any]:
    """An update's body: each differing field's wanted value (None clears), and the labels whole.

    A null is never sent alone where the API refuses it: a job has a handler or a target, so when one goes
    the other comes and both differ (the same for `concurrencyKey` with `concurrencyLimit`)."""
    return {**{name: want for name, (_, want) in differ.items()}, "labels": labels}


_VERBS: dict[Action, tuple[str, str]] = {
    "create": ("+ create", "created"),
    "update": ("~ update", "updated"),
    "import": ("< import", "imported"),
    "delete": ("- delete", "deleted"),
}


def as_json(planned: Plan) -> dict[str, Any]:
    """The plan for a program: each change with its fields' `from` and `to`, the keys left as they are."""
    changes = [
        {
            "action": change.action,
            "key": change.key,
            "id": change.job_id,
            "drift": change.drift,
            "fields": {name: {"from": have, "to": want} for name, (have, want) in change.fields.items()},
        }
        for change in planned.changes
    ]
    return {
        "manifest": planned.manifest,
        "changes": changes,
        "unchanged": planned.unchanged,
        "unpruned": planned.unpruned,
    }


def describe(planned: Plan) -> str:
    """The plan as text: one block per job to change, the jobs left unpruned, then a summary line."""
    lines = [line for change in planned.changes for line in change_lines(change)]
    lines.extend(f"! {key}: no longer in the file; `--prune` deletes it" for key in planned.unpruned)
    lines.append(summary(planned))
    return "\n".join(lines)


def change_lines(change: Change, *, done: bool = False) -> list[str]:
    """One change as text: what happens (or happened, `done`) to which job, then each field's move."""
    note = ""
    if change.action == "import":
        note = " (made by hand; taken under this file)"
    elif change.drift:
        note = " (drift: changed by hand since the last apply)"
    job = "" if change.job_id is None else f" [{change.job_id}]"
    fields = [f"    {name}: {_shown(have)} -> {_shown(want)}" for name, (have, want) in change.fields.items()]
    return [f"{_VERBS[change.action][1 if done else 0]} {change.key}{job}{note}", *fields]


def summary(planned: Plan, *, done: bool = False) -> str:
    counts = {action: sum(change.action == action for change in planned.changes) for action in _VERBS}
    shown = [
        f"{count} {_VERBS[action][1]}" if done else f"{count} to {action}" for action, count in counts.items() if count
    ]
    return f"manifest {planned.manifest!r}: {', '.join(shown) or 'no changes'}, {len(planned.unchanged)} unchanged."


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
