"""Fixtures for the Discord adapter tests: a real discord.py client on a fake REST API."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from discord_fakes import Harness, TinyReferential


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    h = await Harness.start(referentials=lambda space_id: TinyReferential())
    yield h
    await h.close()
