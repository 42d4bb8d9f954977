"""The release this code is, written here only.

The package's metadata (pyproject.toml reads it), the API's `/health` and OpenAPI document take it from
here; the client and the `serverless-jobs` command read it back from the installed package's metadata, as
they may not import this package. The template's `SemanticVersion` is a literal that
tests/infrastructure/test_version.py holds to it. CONTRIBUTING.md says how to cut a release.
"""

__version__ = "0.6.0"
