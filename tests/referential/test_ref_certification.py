from bot.referential.certification import certification_progress
from bot.referential.model import Referential


def _states(ref: Referential, validated: list[str], **others: str) -> dict[str, str]:
    states = dict.fromkeys(validated, "validated")
    states.update(others)
    return states


def _all_but(ref: Referential, *excluded: str) -> list[str]:
    return [c.code for c in ref.competences() if c.code not in excluded]


def test_exactly_23_validated_is_certified(c2i2e: Referential) -> None:
    # One missing item in each of four different domains: 23 validated, never 3 missing per domain.
    progress = certification_progress(c2i2e, _states(c2i2e, _all_but(c2i2e, "A1-1", "A2-1", "B1-1", "B2-1")))
    assert progress.certified and progress.validated == 23 and progress.required == 23
    assert progress.missing == []
    assert progress.per_domain["A1"].validated == 4 and not progress.per_domain["A1"].over_limit


def test_22_validated_says_one_missing(c2i2e: Referential) -> None:
    progress = certification_progress(
        c2i2e,
        _states(c2i2e, _all_but(c2i2e, "A1-1", "A2-1", "B1-1", "B2-1", "B3-1"), **{"B3-1": "declared"}),
    )
    assert not progress.certified and progress.validated == 22
    assert progress.missing == ["Encore 1 compétence à valider (22 validées sur 23 requises)."]
    assert progress.per_domain["B3"].pending == 1


def test_three_not_validated_in_one_domain_names_the_domain(c2i2e: Referential) -> None:
    # 27 - 23 = 4 left: three refusals in B2 and one pending item in A1.
    refused = {"B2-1": "not_validated", "B2-2": "not_validated", "B2-3": "not_validated"}
    progress = certification_progress(
        c2i2e,
        _states(c2i2e, _all_but(c2i2e, "B2-1", "B2-2", "B2-3", "A1-1"), **refused, **{"A1-1": "in_review"}),
    )
    assert progress.validated == 23 and not progress.certified
    b2 = progress.per_domain["B2"]
    assert (b2.validated, b2.not_validated, b2.pending, b2.limit, b2.over_limit) == (2, 3, 0, 2, True)
    assert not progress.per_domain["A1"].over_limit
    assert len(progress.missing) == 1
    assert progress.missing[0].startswith("Domaine B2 (Conception et préparation de contenus d'enseignement")
    assert "encore 1 compétence à valider" in progress.missing[0]


def test_states_accept_any_code_spelling_and_ignore_unknown(c2i2e: Referential) -> None:
    states = {"#a1-1": "validated", "A1.2": "validated", "Z9-9": "validated", "CRCN 2.3": "validated"}
    progress = certification_progress(c2i2e, states)
    assert progress.validated == 2
    assert progress.missing[0] == "Encore 21 compétences à valider (2 validées sur 23 requises)."
    # Undeclared items count as not validated, so A1 (3 of 5 left) is over its limit of 2.
    assert progress.per_domain["A1"].unvalidated == 3 and progress.per_domain["A1"].over_limit


def test_rules_drive_the_result(c2i2e: Referential, crcn: Referential) -> None:
    lenient = c2i2e.model_copy(deep=True)
    assert lenient.rules.certification is not None
    lenient.rules.certification.min_validated = 1
    lenient.rules.certification.max_not_validated_per_domain = None
    assert certification_progress(lenient, {"B4-2": "validated"}).certified

    no_rule = certification_progress(crcn, {"2.3": "validated"})
    assert not no_rule.certified and no_rule.required is None and no_rule.validated == 1
    assert no_rule.per_domain["2"].validated == 1 and no_rule.per_domain["2"].limit is None
