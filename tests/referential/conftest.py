from collections.abc import Callable
from pathlib import Path

import pytest

from bot.referential.loader import REFERENTIAL_DIR, load_all
from bot.referential.model import Referential

DATA = Path(__file__).parent / "data"


def _line_with(path: Path, text: str) -> int:
    """1-based line of the first line containing `text`, so fixtures can change without renumbering."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if text in line:
            return number
    raise AssertionError(f"{text!r} not in {path}")


LineWith = Callable[[Path, str], int]


@pytest.fixture(scope="session")
def line_with() -> LineWith:
    return _line_with


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def referentials() -> dict[str, Referential]:
    return load_all(REFERENTIAL_DIR)


@pytest.fixture(scope="session")
def c2i2e(referentials: dict[str, Referential]) -> Referential:
    return referentials["c2i2e"]


@pytest.fixture(scope="session")
def crcn(referentials: dict[str, Referential]) -> Referential:
    return referentials["crcn"]
