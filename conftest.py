"""Fixtures shared by tests/ and hil_tests/ (tests/ is on the path: ``from refs import ...``)."""
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent
DEV_DATA = REPO.parent / "shared" / "data" / "neuralink-dev"
sys.path.insert(0, str(REPO / "tests"))


@pytest.fixture(scope="session")
def dev_files():
    """The real dev recordings, or a visible skip where ../shared is absent."""
    files = sorted(DEV_DATA.glob("*.wav"))
    if not files:
        pytest.skip(f"real recordings not found in {DEV_DATA}")
    return files


@pytest.fixture(scope="session")
def elf_dir(tmp_path_factory):
    """One folder for every ELF a test session cross-compiles (codegen.target.elf.build_elf
    reuses an unchanged build in it)."""
    return tmp_path_factory.mktemp("elf")
