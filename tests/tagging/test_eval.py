import json

import pytest

from bot.tagging.eval import evaluate, load_rows, scores


def test_metrics_hand_computed() -> None:
    gold = [["A"], ["A", "B"], ["C"]]
    pred = [["A"], ["B", "C"], []]
    # TP: A(1), B(1) = 2; FP: C(1) = 1; FN: A(1), C(1) = 2
    s = scores(gold, pred)
    micro_f1 = round(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5), 4)
    assert s["micro"] == {"precision": round(2 / 3, 4), "recall": 0.5, "f1": micro_f1}
    # per code: A P=1 R=.5 F=2/3; B P=1 R=1 F=1; C P=0 R=0 F=0
    assert s["macro"] == {"precision": round(2 / 3, 4), "recall": 0.5, "f1": round((2 / 3 + 1) / 3, 4)}


def test_empty_is_zero() -> None:
    assert scores([[]], [[]])["macro"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_evaluate_shape() -> None:
    rows = [("a", ["X"]), {"text": "b", "codes": ["Y"]}]
    result = evaluate(lambda t: ["X"], lambda t: [], rows)
    assert set(result) == {"n", "model", "baseline"}
    assert result["n"] == 2
    for side in ("model", "baseline"):
        assert set(result[side]) == {"micro", "macro"}
        for avg in ("micro", "macro"):
            assert set(result[side][avg]) == {"precision", "recall", "f1"}
    assert result["model"]["micro"]["precision"] == 0.5
    assert result["baseline"]["micro"]["recall"] == 0.0


def test_load_rows_keys(tmp_path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(
        json.dumps({"text": "t1", "codes": ["2.3"]}) + "\n\n"
        + json.dumps({"text": "t2", "crcn": ["1.1"]}) + "\n",
        encoding="utf-8",
    )
    assert load_rows(path, "crcn") == [("t1", ["2.3"]), ("t2", ["1.1"])]
    with pytest.raises(ValueError, match=":3:"):
        load_rows(path, "c2i2e")


@pytest.mark.parametrize("path", ["tests/data/tagging_dev.jsonl", "tests/data/tagging_holdout.jsonl"])
def test_labelled_sets_are_well_formed(c2i2e, crcn, path) -> None:
    c2i2e_rows = load_rows(path, c2i2e.id)
    crcn_rows = load_rows(path, crcn.id)
    assert len(c2i2e_rows) == len(crcn_rows) >= 40
    for ref, rows in ((c2i2e, c2i2e_rows), (crcn, crcn_rows)):
        for _, codes in rows:
            # Every post has its C2i2e codes; a few (B2i validation) have no CRCN one.
            assert (1 if ref is c2i2e else 0) <= len(codes) <= 5
            assert len(set(codes)) == len(codes)
            assert all(ref.get(c) is not None for c in codes)


def test_dev_set_has_activity_posts_and_holdout_is_apart() -> None:
    dev = [json.loads(line) for line in open("tests/data/tagging_dev.jsonl", encoding="utf-8")]
    holdout = [json.loads(line) for line in open("tests/data/tagging_holdout.jsonl", encoding="utf-8")]
    assert len(dev) >= 150
    assert sum(1 for r in dev if len(r["c2i2e"]) >= 3) >= 40
    assert not {r["text"] for r in dev} & {r["text"] for r in holdout}



def test_cross_validation_with_extra_rows_scores_only_the_first_ones(c2i2e) -> None:
    from bot.tagging.eval import cross_validate
    from bot.tagging.model import Tagger, keyword_baseline

    dev = load_rows("tests/data/tagging_dev.jsonl", c2i2e.id)
    rows, extra = dev[:20], dev[20:30]
    trained_on: list[set[str]] = []
    scored: list[str] = []

    def make(examples: list[tuple[str, str]], negatives: list[tuple[str, str]]) -> Tagger:
        tagger = Tagger(c2i2e, examples, negatives=negatives, labelled=())
        trained_on.append({text for text, _ in examples})
        if examples:  # not the day-one model, which also tags the training posts for corrections
            plain = tagger.tag_many

            def recording(texts: list[str]) -> list[list[object]]:
                scored.extend(texts)
                return plain(texts)

            tagger.tag_many = recording  # type: ignore[method-assign]
        return tagger

    result = cross_validate(make, lambda text: keyword_baseline(c2i2e, text), rows, folds=2, extra=extra)
    assert result["n"] == 20 and result["extra_trained"] == 10
    extra_texts = {text for text, _ in extra}
    finals = trained_on[2::2]  # base, then per fold: the inner model and the fold's model
    assert len(finals) == 2 and all(extra_texts <= texts for texts in finals)
    assert sorted(scored) == sorted(text for text, _ in rows)


def test_cross_validation_scores_a_named_subset_on_the_same_predictions() -> None:
    # A stub tagger that always answers "A": the subset's figures are those of its rows only.
    from types import SimpleNamespace

    from bot.tagging.eval import cross_validate

    class Stub:
        _finder = SimpleNamespace(codes=lambda text: [])
        relative = 0.5
        thresholds = SimpleNamespace(z=0.0, for_z=lambda z: None, values=None)

        def score_matrix(self, texts: list[str]) -> list[list[float]]:
            return [[1.0] for _ in texts]

        def limits_for(self, z: float) -> None:
            return None

        def decide(self, explicit: list[str], row: list[float], limits: None, relative: float) -> list[str]:
            return ["A"]

        def tag_many(self, texts: list[str]) -> list[list[object]]:
            return [[SimpleNamespace(code="A", source="model")] for _ in texts]

    rows = [(f"post {i}", ["A"] if i % 2 else ["B"]) for i in range(10)]
    result = cross_validate(lambda ex, neg: Stub(), lambda text: [], rows, folds=2,
                            subsets={"odd": [1, 3, 5, 7, 9], "even": [0, 2]})
    assert result["model_with_examples"]["micro"]["precision"] == 0.5
    assert result["subsets"]["odd"]["n"] == 5
    assert result["subsets"]["odd"]["model_with_examples"]["micro"]["f1"] == 1.0
    assert result["subsets"]["even"]["model_with_examples"]["micro"]["f1"] == 0.0
