"""The client's version: the installed `serverless-jobs` package's, whose one source is the core's version.py.

The client may not import the core (it installs and runs without it), so it reads the version the package was
installed with.
"""

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "serverless-jobs"

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # run from a source tree that was never installed: say so rather than guess
    __version__ = "0+unknown"

USER_AGENT = f"serverless-jobs-client/{__version__}"
