"""The arm64 build (the template's default Architecture) ships aarch64 binaries and fits Lambda's size limit.

Built on any host: SAM fetches wheels for the target platform. Its handlers cannot be imported on an
x86_64 host; tests/infrastructure/test_build_output.py runs a build for the host's architecture instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from devtools.template import ROOT, function_ids
from harness.build import sam_build

pytestmark = pytest.mark.build

ELF_MAGIC = b"\x7fELF"
EM_AARCH64 = 183  # the ELF header's e_machine for 64-bit ARM
# Lambda's limit on a function's unzipped code plus all its layers: "250 MB", counted in MiB.
MB = 1024 * 1024
UNZIPPED_LIMIT_BYTES = 250 * MB
REQUIREMENT = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;#]+)", re.MULTILINE)


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sam_build(tmp_path_factory.mktemp("sam-arm64") / "build", "arm64")


def layer(build: Path) -> Path:
    return build / "CoreLayer" / "python"


def elf_machine(path: Path) -> int | None:
    """The target machine of an ELF file (`e_machine`, little-endian 64-bit), None if it is no ELF file."""
    header = path.read_bytes()[:20]
    if header[:4] != ELF_MAGIC:
        return None
    return int.from_bytes(header[18:20], "little")


def size_of(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def test_every_compiled_module_of_the_layer_is_aarch64(build: Path) -> None:
    compiled = sorted(layer(build).rglob("*.so"))
    assert any(path.name.startswith("_pydantic_core.") for path in compiled)
    for path in compiled:
        assert elf_machine(path) == EM_AARCH64, path.relative_to(build)


def test_every_binary_wheel_in_the_layer_is_built_for_linux_aarch64(build: Path) -> None:
    binary = 0
    for wheel in layer(build).glob("*.dist-info/WHEEL"):
        metadata = wheel.read_text()
        if "Root-Is-Purelib: true" in metadata:
            continue
        binary += 1
        tags = re.findall(r"^Tag: (\S+)$", metadata, re.MULTILINE)
        assert tags, wheel
        assert all(tag.endswith("_aarch64") and "linux" in tag for tag in tags), (wheel.parent.name, tags)
    assert binary  # pydantic_core at least


def test_the_layer_ships_every_pinned_requirement(build: Path) -> None:
    shipped = {path.name.lower().removesuffix(".dist-info") for path in layer(build).glob("*.dist-info")}
    for name, version in REQUIREMENT.findall((ROOT / "layers/core/requirements.txt").read_text()):
        assert f"{re.sub(r'[-.]+', '_', name).lower()}-{version}" in shipped, name


def test_layer_and_function_fit_lambdas_unzipped_limit(build: Path, capsys: pytest.CaptureFixture[str]) -> None:
    layer_bytes = size_of(build / "CoreLayer")
    functions = {logical_id: size_of(build / logical_id) for logical_id in function_ids()}
    with capsys.disabled():
        print(
            f"\narm64 build, unzipped: layer {layer_bytes / MB:.1f} MB, functions "
            + ", ".join(f"{name} {size / 1024:.0f} kB" for name, size in functions.items())
            + f" (Lambda's limit: {UNZIPPED_LIMIT_BYTES // MB} MB for a function and its layers)"
        )
    for logical_id, function_bytes in functions.items():
        assert layer_bytes + function_bytes < UNZIPPED_LIMIT_BYTES, logical_id
