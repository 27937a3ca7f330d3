import pytest

from bot.referential.loader import REFERENTIAL_DIR, check, load_all
from bot.tagging.model import Tagger
from bot.tagging.seeds import load_seeds, seed_examples


def test_examples_files_are_not_referentials() -> None:
    assert list(REFERENTIAL_DIR.glob("*.examples.yaml"))
    assert set(load_all()) == {"ambassadeurs", "c2i2e", "crcn"}
    assert check() == []


@pytest.mark.parametrize("ref_id", ["c2i2e", "crcn", "ambassadeurs"])
def test_seeds_cover_every_competence(refs, ref_id) -> None:
    ref = refs[ref_id]
    posts = seed_examples(ref_id)
    for competence in ref.competences():
        # Enough varied posts per code (tools, levels, situations); not so many that seeds drown
        # the official wording.
        assert 8 <= sum(1 for _, c in posts if c == competence.code) <= 12, competence.code
    assert {c for _, c in posts} <= {c.code for c in ref.competences()}
    assert set(load_seeds(ref_id).terms) <= {c.code for c in ref.competences()}


def test_no_seed_file_is_empty() -> None:
    assert seed_examples("nope") == []


def test_seeds_are_priors_not_corrections(c2i2e) -> None:
    with_seeds, bare = Tagger(c2i2e), Tagger(c2i2e, seeds=False)
    assert with_seeds.examples == [] and with_seeds.seed_posts and not bare.seed_posts
    # Vocabulary only in the seed terms/posts reaches the model.
    text = "Le chariot de tablettes et le visualiseur pour l'écran numérique interactif"
    assert "A1-2" in [r.code for r in with_seeds.tag(text)]


def test_negatives_lower_a_code(c2i2e) -> None:
    text = "Le vidéoprojecteur est tombé en panne en plein cours"
    base = Tagger(c2i2e).scores(text)["B3-5"]
    lowered = Tagger(c2i2e, negatives=[(text, "B3-5")]).scores(text)["B3-5"]
    assert lowered < base
