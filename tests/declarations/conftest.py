from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from decl_support import Run, run_fixture


@pytest.fixture
async def run() -> AsyncIterator[Run]:
    """Run a replay script (HEADER prepended unless the script starts with `space`); closed afterwards."""
    async for runner in run_fixture():
        yield runner
