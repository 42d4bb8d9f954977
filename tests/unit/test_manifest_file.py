"""A `plan`/`apply` file's own structure, checked before any job is sent to the API: each problem named."""

from __future__ import annotations

from pathlib import Path

import pytest

from serverless_jobs_client.manifest import ManifestError, load, parse


def problems(document: object) -> list[str]:
    with pytest.raises(ManifestError) as refused:
        parse(document, "jobs")
    return refused.value.problems


def test_a_file_names_itself_or_takes_its_file_name(tmp_path: Path) -> None:
    path = tmp_path / "nightly.yaml"
    path.write_text("jobs:\n  - {key: a, name: A, handler: echo}\n")
    assert load(str(path)).name == "nightly"
    assert parse({"manifest": "billing", "jobs": []}, "x").name == "billing"


def test_yaml_times_stay_the_text_written_for_the_api_to_read(tmp_path: Path) -> None:
    path = tmp_path / "jobs.yaml"
    path.write_text("jobs:\n  - key: a\n    runAt: 2030-01-01T00:00:00Z\n")
    assert load(str(path)).jobs["a"]["runAt"] == "2030-01-01T00:00:00Z"


def test_every_structural_problem_is_named_at_once() -> None:
    found = problems(
        {
            "manifest": "no spaces",
            "extra": 1,
            "jobs": [
                {"key": "a", "name": "A"},
                {"key": "a", "name": "again"},
                {"name": "keyless"},
                "not a job",
                {"key": "b", "labels": {"serverless-jobs/manifest": "other"}},
            ],
        }
    )
    assert found == [
        "extra: unknown top-level field (expected manifest, jobs)",
        "manifest: 'no spaces' is not a name (1..128 of letters, digits, '.', '_', '-', ':', '/', '@')",
        "job 'a': key: is listed twice",
        "jobs[2]: key: is required (a text, unique in the file)",
        "jobs[3]: must be an object of create fields",
        "job 'b': labels.serverless-jobs/manifest: is set by apply; leave it out",
    ]


def test_a_file_without_a_list_of_jobs_is_refused() -> None:
    assert problems({"jobs": {"a": {}}}) == ["jobs: must be a list of jobs, each with a `key`"]
    assert problems(["a"]) == ["the file must hold an object with `jobs` (a list of jobs, each with a `key`)"]


def test_a_file_that_does_not_parse_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "jobs.json"
    path.write_text("{not json")
    with pytest.raises(ManifestError, match="not valid JSON"):
        load(str(path))
