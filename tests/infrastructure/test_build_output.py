"""`sam build` output runs on its own: each handler imports with only the build on the path.

Built for this machine's architecture (the template's Architecture parameter), because arm64 wheels cannot
load on an x86_64 host; what is checked is that the layer ships every dependency the functions import.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from devtools.api import events_dir
from devtools.template import function_ids, function_spec
from harness.build import sam_build

pytestmark = pytest.mark.build

HOST_ARCHITECTURE = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[
    platform.machine().lower()
]

# Runs in a clean interpreter (-I: no user site or PYTHON* variables, -S: no site-packages).
PROBE = """
import importlib, json, sys
code_dir, layer_dirs, module, attribute, event_path = sys.argv[1:6]
sys.path[:0] = [code_dir, *layer_dirs.split(":")]
layer_dir = layer_dirs.split(":")[0]
handler = getattr(importlib.import_module(module), attribute)
assert callable(handler)
result = None
if event_path:
    class Context:
        function_name = "probe"; memory_limit_in_mb = 512; aws_request_id = "probe"
        invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:probe"
        def get_remaining_time_in_millis(self): return 30000
    result = handler(json.load(open(event_path)), Context())
loaded = [name for name in ("pydantic_core", "pynamodb", "croniter", "aws_lambda_powertools") if name in sys.modules]
from serverless_jobs.registry import registered
handlers = sorted(registered())
print(json.dumps({"result": result, "handlers": handlers, "loaded_from_build": all(
    sys.modules[name].__file__.startswith(layer_dir) for name in loaded)}))
"""


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sam_build(tmp_path_factory.mktemp("sam") / "build", HOST_ARCHITECTURE)


@pytest.mark.parametrize("logical_id", function_ids())
def test_handler_imports_from_the_build_alone(build_dir: Path, logical_id: str) -> None:
    spec = function_spec(logical_id)
    sample = events_dir() / "health.json" if logical_id == "ApiFunction" else None
    environment = {
        "PATH": os.environ["PATH"],
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        **spec.environment,
    }

    probe = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            PROBE,
            str(build_dir / logical_id),
            ":".join(str(build_dir / layer / "python") for layer in ("CoreLayer", "HandlersLayer")),
            spec.module,
            spec.attribute,
            str(sample or ""),
        ],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )

    assert probe.returncode == 0, probe.stderr[-3000:]
    report = json.loads(probe.stdout.strip().splitlines()[-1])
    assert report["loaded_from_build"]
    assert report["handlers"] == ["echo", "fail", "flaky", "sleep"]  # HandlersLayer ships the handlers
    if sample is not None:
        assert report["result"]["statusCode"] == 200
