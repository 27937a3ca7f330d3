import pytest

from bot.referential.codes import closest_codes, normalise_code
from bot.referential.model import Referential


@pytest.mark.parametrize("raw", ["B2-3", "b2-3", "B2.3", "b2 3", "#B2-3", "C2i2e B2-3", "c2i2e:b2.3",
                                 " #b2_3 ", "B23", "B 2-3"])
def test_c2i2e_spellings(c2i2e: Referential, raw: str) -> None:
    assert normalise_code(raw, c2i2e) == "B2-3"


@pytest.mark.parametrize("raw", ["2.3", "CRCN 2.3", "2-3", "crcn-2.3", "#2.3", "2 3"])
def test_crcn_spellings(crcn: Referential, raw: str) -> None:
    assert normalise_code(raw, crcn) == "2.3"


@pytest.mark.parametrize("raw", ["B2-9", "B2", "2.3", "CRCN B2-3", "", "   ", "#", "A3-33"])
def test_not_a_c2i2e_code(c2i2e: Referential, raw: str) -> None:
    assert normalise_code(raw, c2i2e) is None


@pytest.mark.parametrize("raw", ["23", "B2-3", "C2i2e 2.3", "6.1"])
def test_not_a_crcn_code(crcn: Referential, raw: str) -> None:
    # Bare digits are too often plain numbers to be read as a compact code.
    assert normalise_code(raw, crcn) is None


def test_community_codes(referentials: dict[str, Referential]) -> None:
    amb = referentials["ambassadeurs"]
    assert normalise_code("or 1", amb) == "OR-1"
    assert normalise_code("Ambassadeurs MA.3", amb) == "MA-3"
    assert normalise_code("3.2", amb) == "3.2"


def test_closest_codes_prefer_same_domain(c2i2e: Referential, crcn: Referential) -> None:
    close = [c.code for c in closest_codes("B2-7", c2i2e)]
    assert len(close) == 3 and all(code.startswith("B2-") for code in close)
    assert [c.code for c in closest_codes("2.9", crcn, n=2)][0].startswith("2.")
    assert closest_codes("B2-7", c2i2e, n=0) == []
