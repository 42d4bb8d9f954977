"""One version everywhere: the package, the command, the client's User-Agent, the API's /health and OpenAPI
document, the template's application metadata and the changelog all say serverless_jobs/version.py's.

It is written once; pyproject.toml, the API and the client read it, and the literals that cannot read it (the
template's metadata, docs/openapi.json, the changelog's heading) are held to it here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Mapping
from importlib.metadata import version as installed_version
from pathlib import Path

from setuptools.config.pyprojecttoml import read_configuration

from devtools.api import ApiClient
from devtools.changelog import releases
from devtools.template import ROOT, load_template
from harness.docs import NESTED_APPLICATION
from serverless_jobs.version import __version__
from serverless_jobs_client.transport import Reply, Transport

SEMVER = re.compile(r"\d+\.\d+\.\d+")
SAR = "AWS::ServerlessRepo::Application"


def test_the_version_is_a_semantic_version() -> None:
    assert SEMVER.fullmatch(__version__)


def test_the_package_takes_its_version_from_the_one_place() -> None:
    configuration = read_configuration(ROOT / "pyproject.toml", expand=True, ignore_option_errors=False)
    assert configuration["project"]["version"] == __version__
    # what an installed copy reports (stale after a bump until `make venv` reinstalls it)
    assert installed_version("serverless-jobs") == __version__, "the installed package is stale: `make venv`"


def test_the_command_says_the_version() -> None:
    command = Path(sys.executable).parent / "serverless-jobs"
    run = subprocess.run([command, "--version"], capture_output=True, text=True, check=True, timeout=60)
    assert run.stdout.split() == ["serverless-jobs,", "version", __version__]


def test_the_client_sends_the_version_as_its_user_agent() -> None:
    sent: list[Mapping[str, str]] = []

    def send(method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float) -> Reply:
        sent.append(headers)
        return Reply(200, {}, b'{"status": "ok"}')

    Transport("http://api.invalid", send=send).request("GET", "/health")
    assert sent[0]["User-Agent"] == f"serverless-jobs-client/{__version__}"


def test_the_api_says_its_version_in_health_and_in_its_openapi_document(api: ApiClient) -> None:
    assert api.get("/health").body == {"status": "ok", "version": __version__}
    assert api.get("/swagger", format="json").body["info"]["version"] == __version__
    snapshot = json.loads((ROOT / "docs" / "openapi.json").read_text())
    assert snapshot["info"]["version"] == __version__, "run `make openapi`"


def test_the_template_publishes_the_version() -> None:
    application = load_template()["Metadata"][SAR]
    assert application["SemanticVersion"] == __version__
    assert application["SourceCodeUrl"].endswith(f"/tree/v{__version__}")


def test_the_docs_nest_the_version() -> None:
    assert re.findall(r"SemanticVersion: (\S+)", NESTED_APPLICATION.text()) == [__version__]
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        assert set(re.findall(r"SemanticVersion: (\S+)", page.read_text())) <= {__version__}, page


def test_the_template_is_publishable_to_the_serverless_application_repository() -> None:
    """The metadata within the repository's own bounds, and the files it names present (`make package`
    uploads them); a literal everywhere, as the repository reads no intrinsic functions."""
    application = load_template()["Metadata"][SAR]
    required = {"Name", "Description", "Author", "SpdxLicenseId", "LicenseUrl", "ReadmeUrl", "SemanticVersion"}
    assert required <= set(application)
    assert all(isinstance(value, str | list) for value in application.values())
    assert re.fullmatch(r"[a-zA-Z0-9\-]{1,140}", application["Name"])
    assert 1 <= len(application["Description"]) <= 256
    assert re.fullmatch(r"[a-z0-9](([a-z0-9]|-(?!-))*[a-z0-9])?", application["Author"])
    assert len(application["Labels"]) <= 10
    assert all(re.fullmatch(r"[a-zA-Z0-9+\-_:/@]{1,127}", label) for label in application["Labels"])
    for local in ("LicenseUrl", "ReadmeUrl"):
        assert (ROOT / application[local]).is_file()
    assert application["SpdxLicenseId"] == "Apache-2.0"
    assert "Apache License" in (ROOT / application["LicenseUrl"]).read_text()
    assert all(application[url].startswith("https://") for url in ("HomePageUrl", "SourceCodeUrl"))


def test_the_changelog_has_an_entry_for_the_version() -> None:
    assert __version__ in [release.version for release in releases()]
    newest = releases()[0]
    assert newest.version == __version__, "the changelog's newest entry is another version"
