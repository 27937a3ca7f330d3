import pytest

from bot.tagging.explicit import CodeFinder, find_explicit_codes


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("#B2-3", ["B2-3"]),
        ("j'ai travaillé la B2-3 hier", ["B2-3"]),
        ("B2.3 validée ?", ["B2-3"]),
        ("b2 - 3", ["B2-3"]),
        ("b23 pour moi", ["B2-3"]),
        ("#b24", ["B2-4"]),
        ("C2i2e B2-3", ["B2-3"]),
        ("compétences B1-1, B1-2 et B1-3", ["B1-1", "B1-2", "B1-3"]),
        ("B3-1 à B3-5", ["B3-1", "B3-2", "B3-3", "B3-4", "B3-5"]),
        ("B3-1 - B3-3", ["B3-1", "B3-2", "B3-3"]),
        ("de B3-1 jusqu'à B3-3", ["B3-1", "B3-2", "B3-3"]),
        ("B2-3 puis B2-3 encore", ["B2-3"]),
    ],
)
def test_c2i2e_positive(c2i2e, text, codes) -> None:
    assert find_explicit_codes(text, c2i2e) == codes


@pytest.mark.parametrize(
    "text",
    [
        "B9-9 n'existe pas",  # not in the referential
        "B2-35",  # longer number
        "rendez-vous salle B12",  # a room, compact form
        "mes élèves de niveau A1.1 du CECRL",  # language level
        "CRCN 2.3",  # another referential's code
        "version 2.3",
        "AB2-3",
    ],
)
def test_c2i2e_negative(c2i2e, text) -> None:
    assert find_explicit_codes(text, c2i2e) == []


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("CRCN 2.3", ["2.3"]),
        ("#2.3", ["2.3"]),
        ("compétence 2.3", ["2.3"]),
        ("la compétence n° 4.1", ["4.1"]),
        ("Pour la compétence 3.4 du CRCN", ["3.4"]),
        ("j'ai travaillé la 3.4 (CRCN)", ["3.4"]),
        ("CRCN 2.2 et 3.2", ["2.2", "3.2"]),
        ("compétences 2.1 à 2.4", ["2.1", "2.2", "2.3", "2.4"]),
        ("2.1-2.3", ["2.1", "2.2", "2.3"]),
        # bare, in a CRCN space: the space referential makes it likely
        ("on a travaillé la 2.3 avec les 4e", ["2.3"]),
    ],
)
def test_crcn_positive(crcn, text, codes) -> None:
    assert find_explicit_codes(text, crcn) == codes


@pytest.mark.parametrize(
    "text",
    [
        "Nous sommes passés à la version 2.3 de Moodle",
        "Moodle 2.3 plante",
        "RDV à 14.30 en salle 12",
        "le 2.3.2024",
        "exercice 2.3 page 12",
        "voir la partie 1.2 du cours",
        "un trajet de 2.3 km",
        "elle a eu 2.3 sur 5",
        "python v3.2",
        "B2-3",  # a C2i2e code in a CRCN space
        "2.9 n'existe pas",
    ],
)
def test_crcn_negative(crcn, text) -> None:
    assert find_explicit_codes(text, crcn) == []


def test_marker_beats_blocker(crcn) -> None:
    # "compétence" is stronger evidence than a unit word afterwards.
    assert find_explicit_codes("compétence 1.3 en 2 h", crcn) == ["1.3"]


def test_matches_have_offsets(c2i2e) -> None:
    text = "Trace pour #B2-3."
    [m] = CodeFinder(c2i2e).matches(text)
    assert text[m.start:m.end] == "#B2-3"
