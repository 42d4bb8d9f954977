"""`sam build` of template.yaml into a directory of the test's, for one Lambda architecture."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from devtools.template import ROOT


def sam_build(target: Path, architecture: str) -> Path:
    """Build every function and the layer for `architecture` (the template's Architecture parameter)."""
    venv_bin = str(Path(sys.executable).parent)
    subprocess.run(
        [
            f"{venv_bin}/sam",
            "build",
            "--template-file",
            str(ROOT / "template.yaml"),
            "--build-dir",
            str(target),
            "--parameter-overrides",
            f"Architecture={architecture}",
        ],
        cwd=ROOT,
        env={**os.environ, "PATH": f"{venv_bin}:{os.environ['PATH']}", "SAM_CLI_TELEMETRY": "0"},
        check=True,
        capture_output=True,
    )
    return target
