from bot.tagging.model import Tagger, TagResult, keyword_baseline


def codes(results: list[TagResult]) -> list[str]:
    return [r.code for r in results]


def test_obvious_posts(c2i2e, crcn) -> None:
    t = Tagger(c2i2e)
    panne = "Le vidéoprojecteur est tombé en panne en plein cours, il me faut un plan B"
    assert codes(t.tag(panne))[0] == "B3-5"
    assert "A3-3" in codes(t.tag("Faut-il une autorisation des parents pour le droit à l'image des photos ?"))
    r = Tagger(crcn)
    assert "3.4" in codes(r.tag("Je fais programmer mes CM1 avec Scratch"))
    assert "4.1" in codes(r.tag("Comment choisir un mot de passe solide contre le piratage ?"))


def test_explicit_first_then_model(c2i2e) -> None:
    res = Tagger(c2i2e).tag("#A1-1 le vidéoprojecteur est en panne, plan B ?")
    assert res[0] == TagResult("A1-1", 1.0, "explicit")
    assert all(r.source == "model" for r in res[1:])
    scores = [r.score for r in res]
    assert scores == sorted(scores, reverse=True)


def test_nothing_for_unrelated_text(c2i2e) -> None:
    assert Tagger(c2i2e).tag("Bonne rentrée à tous !") == []


def test_scores_cover_all_codes(c2i2e) -> None:
    s = Tagger(c2i2e).scores("B2-3 recherche documentaire")
    assert set(s) == {c.code for c in c2i2e.competences()}
    assert s["B2-3"] == 1.0


def test_tag_many_matches_tag(crcn) -> None:
    t = Tagger(crcn)
    texts = ["Partager un document avec la classe", "", "CRCN 2.3 travail de groupe"]
    assert t.tag_many(texts) == [t.tag(x) for x in texts]


def test_corrections_change_later_tagging(c2i2e) -> None:
    post = "Mes élèves de CE1 dessinent une bande dessinée sur tablette avec BDnF, super motivés"
    base = Tagger(c2i2e)
    assert "B2-2" not in codes(base.tag(post))
    corrections = [
        ("Mes CM2 ont créé une bande dessinée sur tablette avec l'application BDnF", "B2-2"),
        ("Atelier bande dessinée numérique avec BDnF en classe de CE2", "B2-2"),
    ]
    trained = base.with_examples(corrections)
    assert "B2-2" in codes(trained.tag(post))
    assert trained.tag(post)[0].source == "model"
    # The original tagger is unchanged (with_examples returns a new one).
    assert "B2-2" not in codes(base.tag(post))


def test_unknown_example_codes_ignored(c2i2e) -> None:
    t = Tagger(c2i2e, [("texte", "Z9-9")])
    assert t.examples == []


def test_threshold_parameter(c2i2e) -> None:
    text = "Je cherche des ressources pour ma classe"
    assert Tagger(c2i2e, threshold=1.01).tag(text) == []


def test_keyword_baseline(c2i2e, crcn) -> None:
    assert "B3-5" in keyword_baseline(c2i2e, "Le vidéoprojecteur est en PANNE")
    assert keyword_baseline(crcn, "rien à voir") == []


def test_typos_and_missing_accents_still_tag(c2i2e) -> None:
    t = Tagger(c2i2e)
    assert "B3-5" in codes(t.tag("le videoprojecteur est en panne en plein cours, plan B ?"))
    assert "A3-3" in codes(t.tag("autorisation des parents pour le droit a l'imge des photos"))


def test_word_features_only(c2i2e) -> None:
    t = Tagger(c2i2e, threshold=0.10, char_weight=0.0)
    assert t.vectoriser.n_features == len(t.vectoriser._stem_ids) + len(t.vectoriser._bigram_ids)
    assert "B3-5" in codes(t.tag("Le vidéoprojecteur est tombé en panne en plein cours, plan B"))
