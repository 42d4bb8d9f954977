"""The process environment a function has on Lambda, as template.yaml gives it, with credentials for moto."""

from __future__ import annotations

import os

from devtools.moto_backend import use_fake_credentials
from devtools.template import application_environment


def use_template_environment() -> None:
    """Every function's variables from the template, fake credentials (so nothing can reach AWS), no tracing.

    Set before a function module is loaded: like Lambda's init phase, loading one builds its handler.
    """
    use_fake_credentials()
    os.environ["POWERTOOLS_TRACE_DISABLED"] = "true"
    os.environ.update(application_environment())
