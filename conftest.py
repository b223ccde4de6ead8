"""Fixtures shared by tests/ and hil_tests/."""
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent
DEV_DATA = REPO.parent / "shared" / "data" / "neuralink-dev"


@pytest.fixture(scope="session")
def dev_files():
    """The real dev recordings, or a visible skip where ../shared is absent."""
    files = sorted(DEV_DATA.glob("*.wav"))
    if not files:
        pytest.skip(f"real recordings not found in {DEV_DATA}")
    return files
