from __future__ import annotations

import pytest

from bot.referential.loader import load_all
from bot.referential.model import Referential


@pytest.fixture(scope="session")
def refs() -> dict[str, Referential]:
    return load_all()


@pytest.fixture(scope="session")
def c2i2e(refs: dict[str, Referential]) -> Referential:
    return refs["c2i2e"]


@pytest.fixture(scope="session")
def crcn(refs: dict[str, Referential]) -> Referential:
    return refs["crcn"]
