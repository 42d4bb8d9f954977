"""`Custom::ServerlessJob`: CloudFormation's custom-resource requests as JobService calls, and their answers.

A resource is one job; its properties are the API's create fields, named as in `POST /jobs` (one
vocabulary for the API, a `plan` file and a template). Its PhysicalResourceId is the job's id; the job
carries the label `serverless-jobs/resource=<stack id>.<logical id>`. Its `key`
is the property given, else `cfn/<stack name>/<logical id>`; a changed key is a replacement: a new job
(a new PhysicalResourceId), after which CloudFormation deletes the old one. Any other change updates the
job in place, only the fields that differ.

Every request may come again (CloudFormation retries; Lambda retries an asynchronous invocation): a Create
makes the job under an id derived from the request, so a repeat finds it; an Update of fields already
written changes nothing; a Delete of a job already gone (or never created) succeeds.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from functools import cache
from typing import Any

from pydantic import ValidationError

from serverless_jobs.domain.errors import InvalidInput, JobsError, KeyInUse, NotFound
from serverless_jobs.domain.job import Job
from serverless_jobs.http.schemas import JobCreate
from serverless_jobs.http.validation import describe_validation_errors
from serverless_jobs.http.views import job_spec
from serverless_jobs.usecases.jobs import JobService, JobSpec

# CloudFormation's own properties of every custom resource, not the job's.
_SERVICE_PROPERTIES = frozenset({"ServiceToken", "ServiceTimeout"})
# CloudFormation hands a custom resource every scalar property as text ("5", "true"): the integer and boolean
# fields of the create's schema (its nested shapes' too) are turned back into what the API takes; inside
# `data` values stay as CloudFormation sends them. Read from the schema, so a new field needs no edit here.
_NESTED = frozenset({"rateLimit", "notify", "onFailure", "onSuccess"})
# The job attributes a resource's properties set (JobSpec's fields, which are Job attributes too).
_SPEC_FIELDS = tuple(spec_field.name for spec_field in fields(JobSpec))
# The label on each job a resource makes, naming the resource (never one of the properties' labels).
RESOURCE = "serverless-jobs/resource"
# A CloudFormation response body may not exceed 4,096 bytes; the Reason is cut to leave room for the rest.
MAX_REASON = 1_000


def answer(service: JobService, event: Mapping[str, Any], has_time: Callable[[], bool]) -> dict[str, Any]:
    """The response CloudFormation expects for `event` (Status, Reason, PhysicalResourceId, ...).

    A refusal (a field, a key in use) is FAILED with the message naming the field; so is anything
    unforeseen, which also propagates nowhere: the caller always has a response to send.
    """
    physical = str(event.get("PhysicalResourceId") or "")
    try:
        kind = event.get("RequestType")
        if kind == "Delete":
            _delete(service, physical, has_time)
            job_id, data = physical, {}
        elif kind in ("Create", "Update"):
            job = _create(service, event) if kind == "Create" else _update(service, event, physical)
            job_id, data = job.id, {"Id": job.id, "Key": job.key}
        else:
            raise InvalidInput("RequestType", f"{kind!r} is not Create, Update or Delete")
    except JobsError as error:
        return _response(event, "FAILED", physical or _failed_id(event), reason=str(error))
    return _response(event, "SUCCESS", job_id, data=data)


def failure(event: Mapping[str, Any], reason: str) -> dict[str, Any]:
    """A FAILED response for `event`, whatever failed."""
    return _response(event, "FAILED", str(event.get("PhysicalResourceId") or _failed_id(event)), reason=reason)


def _create(service: JobService, event: Mapping[str, Any]) -> Job:
    """A new job, under an id of the request's own: a repeated request returns the job the first one made.

    Its key held by a job this same resource made (the label RESOURCE): that job, brought to the request's
    fields. So a rollback of a replacement, which asks for the old key back while its job still holds it
    (CloudFormation deletes it only once the update succeeds), converges on that job.
    """
    wanted = _spec(event, "ResourceProperties")
    try:
        return service.create(wanted, _job_id(event))
    except KeyInUse as error:
        holder = service.get(error.holder)
        if holder.labels.get(RESOURCE) != wanted.labels[RESOURCE]:
            raise
        return _converge(service, holder, wanted)


def _update(service: JobService, event: Mapping[str, Any], physical: str) -> Job:
    wanted = _spec(event, "ResourceProperties")
    old_key = _key_of(event, "OldResourceProperties")
    try:
        current = service.get(physical)
    except NotFound:
        current = None
    if current is None or wanted.key != old_key or current.key != wanted.key:
        # a replacement (a new key) or a job deleted by hand: a new job, a new PhysicalResourceId
        return _create(service, event)
    return _converge(service, current, wanted)


def _converge(service: JobService, current: Job, wanted: JobSpec) -> Job:
    """`current` changed to what `wanted` makes, only the fields that differ (none: no write at all)."""
    target = service.validate(wanted, current.id)
    changes = {name: getattr(target, name) for name in _SPEC_FIELDS if getattr(target, name) != getattr(current, name)}
    return service.update(current.id, changes) if changes else current


def _delete(service: JobService, physical: str, has_time: Callable[[], bool]) -> None:
    # deleted already, or never created (a failed Create's PhysicalResourceId names no job): done
    with contextlib.suppress(NotFound):
        service.delete(physical, has_time)


def _spec(event: Mapping[str, Any], where: str) -> JobSpec:
    properties = _properties(event, where)
    try:
        request = JobCreate.model_validate(properties)
    except ValidationError as error:
        raise _invalid(error) from error
    spec = job_spec(request)
    return replace(spec, key=spec.key or _default_key(event), labels={**spec.labels, RESOURCE: _resource_of(event)})


def _invalid(error: ValidationError) -> InvalidInput:
    message = describe_validation_errors(error.errors())
    field, _, problem = message.partition(": ")
    return InvalidInput(field, problem or message)


def _key_of(event: Mapping[str, Any], where: str) -> str:
    key = _properties(event, where).get("key")
    return key if isinstance(key, str) else _default_key(event)


def _default_key(event: Mapping[str, Any]) -> str:
    """`cfn/<stack name>/<logical id>`: unique in the stack of jobs, stable across the resource's updates."""
    stack = str(event.get("StackId", "")).split("/")
    name = stack[1] if len(stack) > 2 else "stack"
    return f"cfn/{name}/{event.get('LogicalResourceId', 'Job')}"[:128]


def _resource_of(event: Mapping[str, Any]) -> str:
    """The label value naming the resource: its stack's unique id (not its name, which a later stack may
    reuse) and its logical id."""
    stack = str(event.get("StackId", "")).rsplit("/", 1)[-1]
    return f"{stack}.{event.get('LogicalResourceId', 'Job')}"[:128]


def _properties(event: Mapping[str, Any], where: str) -> dict[str, Any]:
    given = event.get(where) or {}
    if not isinstance(given, Mapping):
        raise InvalidInput(where, "must be an object of the job's fields")
    return {name: _typed(name, value) for name, value in given.items() if name not in _SERVICE_PROPERTIES}


@cache
def _scalar_fields(kind: str) -> frozenset[str]:
    """The names of the create's fields of JSON type `kind`, at any depth of its schema (made once, by the
    first request that needs them: the function's init pays nothing for it)."""
    schema = JobCreate.model_json_schema()
    shapes = [schema, *schema.get("$defs", {}).values()]
    return frozenset(
        name
        for shape in shapes
        for name, field in shape.get("properties", {}).items()
        if any(option.get("type") == kind for option in [field, *field.get("anyOf", [])])
    )


def _typed(name: str, value: Any) -> Any:
    """A property as the API takes it, from the text CloudFormation makes of every scalar."""
    if name in _scalar_fields("integer") and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if name in _scalar_fields("boolean") and isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if name in _NESTED and isinstance(value, Mapping):
        return {inner: _typed(inner, item) for inner, item in value.items()}
    return value


def _job_id(event: Mapping[str, Any]) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{event.get('StackId')}/{event.get('RequestId')}").hex


def _failed_id(event: Mapping[str, Any]) -> str:
    """The PhysicalResourceId of a Create that made nothing: no job's id, so its Delete deletes nothing."""
    return f"failed-{event.get('LogicalResourceId', 'resource')}"


def _response(
    event: Mapping[str, Any], status: str, physical: str, *, reason: str = "", data: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    response: dict[str, Any] = {
        "Status": status,
        "PhysicalResourceId": physical,
        "StackId": event.get("StackId", ""),
        "RequestId": event.get("RequestId", ""),
        "LogicalResourceId": event.get("LogicalResourceId", ""),
    }
    if reason:
        response["Reason"] = reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 3] + "..."
    if data:
        response["Data"] = {name: value for name, value in data.items() if value is not None}
    return response
