from bot.tagging.normalise import fold_accents, normalise_text, stems, tokens


def test_fold_accents() -> None:
    assert fold_accents("élève à l'œuvre, ça dégèle") == "eleve a l'oeuvre, ca degele"


def test_elisions_are_split_with_any_apostrophe() -> None:
    assert tokens("L'ENT, d’accord, qu'il, jusqu'à, n'a") == ["ent", "accord"]
    assert "l'" not in normalise_text("l'élève")


def test_accented_and_plain_spellings_meet() -> None:
    assert stems("Les élèves") == stems("les eleves") == ["elev"]
    assert stems("partager") == stems("partagé") == stems("partages")


def test_stop_words_and_punctuation_removed() -> None:
    assert stems("Bonjour !!! Est-ce que vous avez une idée ???") == ["ide"]


def test_keep_stop_words() -> None:
    assert tokens("droit à l'image", keep_stop_words=True) == ["droit", "a", "image"]


def test_content_words_are_the_words_stems_are_made_of() -> None:
    from bot.tagging.normalise import content_words, stem

    for text in ["L'ENT, d’accord, qu'il, jusqu'à, n'a, quoiqu'il", "Les élèves de CM2 ont 3 tablettes",
                 "aujourd'hui c'est l'évaluation"]:
        assert [stem(w) for w in content_words(text)] == stems(text)


def _reference_fold(text: str) -> str:
    """The definition: ligatures spelt out, NFKD on the whole text, combining marks dropped."""
    import unicodedata

    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def test_fold_accents_is_nfkd_without_marks_on_any_text() -> None:
    import json
    import random
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    texts = [json.loads(line)["text"] for line in (root / "tests" / "data" / "tagging_dev.jsonl")
             .read_text(encoding="utf-8").splitlines() if line.strip()]
    # Odd cases: marks already decomposed and out of order, several marks on one letter, ligatures,
    # compatibility forms (ﬁ, full-width, superscripts), Hangul, emoji, other scripts.
    texts += ["e\u0301\u0327te\u0327\u0301", "ǖ ṩ ệ", "ﬁche Ｅｌèｖｅ x²", "œuvre ŒUVRE æ Æ"]
    texts += ["한국어", "📚✅ Ωμέγα", ""]
    rng = random.Random(0)
    alphabet = "aeiouçéèêëàâîïôöûüœæ\u0300\u0301\u0302\u0308\u0327ﬁ²Ａ한ΩÅÿ €'’-"
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    for text in texts:
        assert fold_accents(text) == _reference_fold(text), text
