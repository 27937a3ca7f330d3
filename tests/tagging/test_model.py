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


SITOGRAPHY = ("Fiche activité — sitographie sur le développement durable en 5e : les élèves cherchent des sites "
              "avec des mots-clés, vérifient l'auteur et la date de chaque page pour juger de sa fiabilité, puis "
              "la liste des sites retenus est partagée avec la classe sur l'ENT.")
SURVEY = ("Fiche activité : enquête professionnelle sur le numérique de mon école — inventaire du matériel (TNI, "
          "tablettes, salle informatique), entretien avec le référent numérique et l'ERUN, usages de l'ENT et "
          "lecture de la charte informatique.")


def test_an_activity_sheet_gets_its_several_competences(c2i2e) -> None:
    # Written for this test (in no seed or data file): each covers 3–5 C2i2e items.
    t = Tagger(c2i2e)
    sitography = codes(t.tag(SITOGRAPHY))
    assert 3 <= len(sitography) <= 5
    assert {"B2-3", "A3-2"} <= set(sitography)  # information search, validity of information
    assert len({"A1-5", "B1-1", "A1-3"} & set(sitography)) >= 1  # organising / sharing the resources
    survey = codes(t.tag(SURVEY))
    assert 3 <= len(survey) <= 5
    assert {"A1-1", "A1-2", "A3-4"} <= set(survey)  # resource persons, equipment, the charter


def test_a_one_topic_question_gets_few_tags(c2i2e, crcn) -> None:
    t = Tagger(c2i2e)
    for text, expected in [("Le vidéoprojecteur ne s'allume plus ce matin, quelqu'un a une idée ?", "B3-5"),
                           ("Comment vous faites signer l'autorisation de droit à l'image aux parents ?", "A3-3")]:
        got = codes(t.tag(text))
        assert got[0] == expected and len(got) <= 2, got
    assert codes(Tagger(crcn).tag("Je fais programmer mes CM1 avec Scratch")) == ["3.4"]


def test_no_fixed_cap_but_a_ceiling(c2i2e) -> None:
    t = Tagger(c2i2e)
    assert len(t.tag(SITOGRAPHY)) > 2  # the old model stopped at 2
    assert len(Tagger(c2i2e, max_tags=2).tag(SITOGRAPHY)) == 2
    explicit = "#A1-1 #A1-2 #A1-3 #A1-4 #A1-5 #A2-1 " + SITOGRAPHY
    assert [r.source for r in t.tag(explicit)] == ["explicit"] * 6  # explicit codes are always kept


def test_first_stage_thresholds_differ_and_respond_to_corrections(c2i2e) -> None:
    # The first stage alone (prototypes and their thresholds), as a space without the second stage.
    base = Tagger(c2i2e, layer=False)
    values = base.thresholds.by_code(base.codes)
    assert len(set(values.values())) > 10  # one per competence, from its chance scores
    i = base.codes.index("B3-5")

    # A /tag the model had missed lowers the code's threshold (posts like it belong to B3-5) ...
    missed = "Les casques Bluetooth se désappairent sans arrêt pendant l'écoute, quelqu'un a une solution ?"
    assert base.score_matrix([missed])[0][i] < base.thresholds.values[i]
    tagged = Tagger(c2i2e, [(missed, "B3-5")], layer=False)
    assert tagged.thresholds.values[i] < base.thresholds.values[i]
    assert "B3-5" in codes(tagged.tag("Encore les casques Bluetooth qui se désappairent en anglais"))

    # ... an /untag of a tag it gave raises it above that post's score; other codes are untouched.
    given = "Le vidéoprojecteur est tombé en panne en plein cours, il me faut un plan B"
    score = base.score_matrix([given])[0][i]
    assert score >= base.thresholds.values[i] and "B3-5" in codes(base.tag(given))
    untagged = Tagger(c2i2e, negatives=[(given, "B3-5")], layer=False)
    assert untagged.thresholds.values[i] > base.thresholds.values[i]
    assert "B3-5" not in codes(untagged.tag(given))
    others = [j for j in range(len(base.codes)) if j != i]
    assert (untagged.thresholds.values[others] == base.thresholds.values[others]).all()

    # A correction that agrees with the model does not move the threshold (only the vocabulary
    # refit with one more text shifts the chance scores a hair).
    agreed = Tagger(c2i2e, [(given, "B3-5")], layer=False)
    assert abs(agreed.thresholds.values[i] - base.thresholds.values[i]) < 2e-3


def test_second_stage_folded_weights_give_the_trained_regression(c2i2e) -> None:
    # The per-post path multiplies one folded matrix; it must equal the logistic regressions over
    # [tf-idf, alpha × first-stage scores] they were trained as (the labelled posts weighing double).
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    tagger = Tagger(c2i2e)
    assert tagger.layer is not None
    post = "Pour la sitographie de la classe, chaque élève vérifie la source et cite l'auteur du site"
    stems: list[int] = []
    vector = tagger.vectoriser.vector(post, stems)
    first = tagger.score_vector(vector, stems, base=True)  # no correction: base = current prototypes
    assert abs(tagger.score_vector(vector, stems) - tagger.score_matrix([post])[0]).max() < 1e-5
    items = tagger._layer_items()
    texts = [t for t, _ in items]
    feats = tagger.vectoriser.matrix(texts)
    firsts = tagger.score_matrix(texts, base=True)
    j = tagger.codes.index("A3-4") if "A3-4" in tagger.codes else 0
    y = [tagger.codes[j] in cs for _, cs in items]
    model = LogisticRegression(C=16.0, class_weight="balanced", solver="liblinear", dual=True, max_iter=1000)
    labelled = {text for text, _ in tagger.labelled}
    weights = [2.0 if isinstance(t, str) and t in labelled else 1.0 for t in texts]
    assert weights.count(2.0) == len(labelled) > 400
    model.fit(sparse.hstack([feats, sparse.csr_matrix(3.0 * firsts)]).tocsr(), y, sample_weight=weights)
    x = sparse.hstack([tagger.vectoriser.matrix([post]), sparse.csr_matrix(3.0 * first[None, :])]).tocsr()
    assert abs(model.predict_proba(x)[0, 1] - tagger.score_vector(vector, stems)[j]) < 1e-3


def test_second_stage_learns_from_a_correction(c2i2e) -> None:
    # A /tag on posts of a kind the shipped data never labelled teaches the code; an /untag unteaches.
    posts = ["Les tablettes de la classe n'ont plus de batterie au bout d'une heure de Scratch",
             "Nos tablettes se déchargent toutes en une heure quand on code avec Scratch Jr"]
    new = "Tablettes déchargées après une heure de Scratch, comment tenir une séance entière ?"
    base = Tagger(c2i2e)
    before = base.scores(new)["B3-5"]
    taught = Tagger(c2i2e, [(p, "B3-5") for p in posts])
    assert taught.scores(new)["B3-5"] > before
    assert "B3-5" in codes(taught.tag(new))
    unlearnt = Tagger(c2i2e, negatives=[(p, "B3-5") for p in posts] + [(new, "B3-5")])
    assert unlearnt.scores(new)["B3-5"] < before


def test_keyword_evidence_is_on_stems_and_capped(c2i2e) -> None:
    t = Tagger(c2i2e)
    j = t.codes.index("A3-3")
    stems: list[int] = []
    t.vectoriser.vector("Le droit à l'image des élèves", stems)
    bonuses = t.keywords.bonuses(stems)
    assert bonuses is not None and bonuses[j] == t.keyword_bonus
    stems = []
    t.vectoriser.vector("droit à l'image, RGPD, CNIL, licence, Creative Commons", stems)
    assert t.keywords.bonuses(stems)[j] == t.keyword_bonus * 2  # at most two keywords count
    stems = []
    t.vectoriser.vector("Bonne rentrée à tous", stems)
    assert t.keywords.bonuses(stems) is None


def test_a_word_met_only_in_labelled_posts_is_learned(c2i2e) -> None:
    # A tool's name that no description or seed has: the shipped labelled posts are the only place
    # the model can learn it from, so their words need columns in the vocabulary.
    labelled = [(f"J'ai testé Quillorama avec ma classe de {level}, je vous raconte", ["B3-5"])
                for level in ("CP", "CE1", "6e", "4e", "2nde", "BTS", "CM2", "3e")]
    probe = "Quelqu'un a déjà utilisé Quillorama en classe ?"
    assert codes(Tagger(c2i2e, labelled=labelled).tag(probe)) == ["B3-5"]
    assert Tagger(c2i2e, labelled=()).tag(probe) == []


def test_formateurs_posts_outweigh_the_seeds(c2i2e) -> None:
    # Against the descriptions and seeds alone (no shipped labelled post), a few /tag corrections move
    # the model more when real posts weigh double (post_weight, the shipped default) than when each
    # counts as one seed.
    posts = ["Nos tablettes se déchargent en une heure de Scratch, la séance s'arrête net",
             "Plus de batterie sur les tablettes au milieu de l'atelier de code avec les CE2"]
    new = "Tablettes à plat après une heure de programmation, que faire pendant la séance ?"
    assert Tagger(c2i2e).post_weight == 2.0
    before = Tagger(c2i2e, labelled=()).scores(new)["B3-5"]
    single = Tagger(c2i2e, [(p, "B3-5") for p in posts], labelled=(), post_weight=1.0).scores(new)["B3-5"]
    double = Tagger(c2i2e, [(p, "B3-5") for p in posts], labelled=()).scores(new)["B3-5"]
    assert before < single < double
