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
