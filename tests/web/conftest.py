from __future__ import annotations

from datetime import datetime

import pytest
from web_support import build_database


@pytest.fixture(scope="module")
def two_spaces(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, datetime]:
    """The replayed two-space scenario in one SQLite file, shared by a module's read-only tests."""
    return build_database(tmp_path_factory.mktemp("web") / "two_spaces.db")
