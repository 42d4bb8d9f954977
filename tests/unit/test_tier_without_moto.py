"""The unit and use-case tiers are pure: collecting them (every test module and conftest they load) never
imports moto. The tiers that run the application over moto import their fixtures from their own conftests
(harness/moto_fixtures.py); a unit test that needs moto belongs in one of them.
"""

from __future__ import annotations

import subprocess
import sys

from devtools.template import ROOT

COLLECT_AND_REPORT = """
import sys
import pytest
code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "tests/unit", "tests/usecases"])
loaded = sorted(name for name in sys.modules if name == "moto" or name.startswith("moto."))
print("MOTO:", ",".join(loaded[:5]) or "none")
sys.exit(int(code))
"""


def test_collecting_the_unit_and_use_case_tiers_loads_no_moto() -> None:
    done = subprocess.run(
        [sys.executable, "-c", COLLECT_AND_REPORT], check=False, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "MOTO: none"
