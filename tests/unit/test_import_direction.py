"""The tree says where each rule lives: the core's layers import only downwards (pyproject's contracts)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from devtools.template import ROOT


def test_no_module_imports_a_layer_above_it() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"

    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout[-4000:]
    assert "0 broken" in result.stdout
