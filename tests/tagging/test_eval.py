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
