"""Precision / recall / F1 for multi-label tagging, model against a baseline.

Definitions (kept simple so a formateur can recompute them by hand):

* **micro**: true positives, false positives and false negatives are summed over every (post, code)
  pair, then P = TP / (TP + FP), R = TP / (TP + FN), F1 = 2PR / (P + R).
* **macro**: the same three numbers per code, over every code that appears in the gold labels or in
  the predictions; P, R and F1 are each the plain mean of the per-code values. A ratio whose
  denominator is zero counts as 0 (a code never predicted has precision 0, not "undefined"), which
  punishes a tagger for missing a code altogether.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["evaluate", "scores", "load_rows", "Row"]

Row = tuple[str, list[str]]
# A tagger function returns codes, or objects with a `.code` (TagResult).
TagFn = Callable[[str], Sequence[Any]]


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def scores(gold: Sequence[Iterable[str]], predicted: Sequence[Iterable[str]]) -> dict[str, dict[str, float]]:
    """Micro and macro P/R/F1 of `predicted` against `gold` (same length, one set per post)."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted must have the same length")
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for g_raw, p_raw in zip(gold, predicted, strict=True):
        g, p = set(g_raw), set(p_raw)
        for code in g & p:
            tp[code] += 1
        for code in p - g:
            fp[code] += 1
        for code in g - p:
            fn[code] += 1
    t, f_p, f_n = sum(tp.values()), sum(fp.values()), sum(fn.values())
    micro_p, micro_r = _ratio(t, t + f_p), _ratio(t, t + f_n)
    labels = set(tp) | set(fp) | set(fn)
    per_p = [_ratio(tp[c], tp[c] + fp[c]) for c in labels]
    per_r = [_ratio(tp[c], tp[c] + fn[c]) for c in labels]
    per_f = [_f1(p, r) for p, r in zip(per_p, per_r, strict=True)]
    n = len(labels)
    return {
        "micro": {"precision": round(micro_p, 4), "recall": round(micro_r, 4),
                  "f1": round(_f1(micro_p, micro_r), 4)},
        "macro": {"precision": round(sum(per_p) / n, 4) if n else 0.0,
                  "recall": round(sum(per_r) / n, 4) if n else 0.0,
                  "f1": round(sum(per_f) / n, 4) if n else 0.0},
    }


def _codes_of(result: Sequence[Any]) -> list[str]:
    return [r if isinstance(r, str) else r.code for r in result]


def _as_row(row: Row | Mapping[str, Any]) -> Row:
    if isinstance(row, Mapping):
        return str(row["text"]), list(row.get("codes", []))
    text, codes = row
    return text, list(codes)


def evaluate(tagger_fn: TagFn, baseline_fn: TagFn,
             rows: Iterable[Row | Mapping[str, Any]]) -> dict[str, Any]:
    """Run both taggers on every row and score them: {"n", "model": {...}, "baseline": {...}}."""
    data = [_as_row(r) for r in rows]
    gold = [codes for _, codes in data]
    model = [_codes_of(tagger_fn(text)) for text, _ in data]
    baseline = [_codes_of(baseline_fn(text)) for text, _ in data]
    return {"n": len(data), "model": scores(gold, model), "baseline": scores(gold, baseline)}


def load_rows(path: Path | str, referential_id: str | None = None) -> list[Row]:
    """Read a JSONL file: {"text": ..., "codes": [...]} per line, or the codes under a key named
    after the referential id ({"text": ..., "c2i2e": [...], "crcn": [...]})."""
    rows: list[Row] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{lineno}: not JSON ({exc.msg})") from exc
            if not isinstance(obj, dict) or "text" not in obj:
                raise ValueError(f'{path}:{lineno}: expected an object with a "text" key')
            if "codes" in obj:
                codes = obj["codes"]
            elif referential_id is not None and referential_id in obj:
                codes = obj[referential_id]
            else:
                wanted = '"codes"' + (f' or "{referential_id}"' if referential_id else "")
                raise ValueError(f"{path}:{lineno}: no {wanted} key")
            rows.append((str(obj["text"]), [str(c) for c in codes]))
    return rows


# -- threshold choice and cross-validation ----------------------------------------------------

FLOOR_GRID = (0.04, 0.06, 0.08, 0.10, 0.12, 0.15, 0.20, 0.25)
RELATIVE_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
MAX_TAGS_GRID = (1, 2, 3)


def choose_threshold(taggers_rows: Sequence[tuple[Any, Sequence[Row]]]) -> tuple[float, float, int]:
    """Pick (floor, relative, max_tags) maximising the mean micro-F1 over (tagger, rows) pairs.

    Scores are computed once per tagger; only the decision rule changes over the grid, so the
    search is cheap. Ties go to the earliest grid point (lower floor / relative, fewer tags).
    """
    prepared = [(tagger, [text for text, _ in rows], [codes for _, codes in rows])
                for tagger, rows in taggers_rows]
    matrices = [tagger.score_matrix(texts) for tagger, texts, _ in prepared]
    explicit = [[tagger._finder.codes(t) for t in texts] for tagger, texts, _ in prepared]
    best: tuple[float, tuple[float, float, int]] | None = None
    for floor in FLOOR_GRID:
        for relative in RELATIVE_GRID:
            for max_tags in MAX_TAGS_GRID:
                f1s = []
                for (tagger, _, gold), matrix, exp in zip(prepared, matrices, explicit, strict=True):
                    pred = [_decide_codes(tagger, row, e, floor, relative, max_tags)
                            for row, e in zip(matrix, exp, strict=True)]
                    f1s.append(scores(gold, pred)["micro"]["f1"])
                mean = sum(f1s) / len(f1s)
                if best is None or mean > best[0] + 1e-9:
                    best = (mean, (floor, relative, max_tags))
    assert best is not None
    return best[1]


def _decide_codes(tagger: Any, row: Any, explicit: list[str], floor: float, relative: float,
                  max_tags: int) -> list[str]:
    codes = list(explicit)
    top = float(row.max()) if len(row) else 0.0
    if top < floor or len(codes) >= max_tags:
        return codes
    cut = max(floor, relative * top)
    for i in row.argsort(kind="stable")[::-1]:
        if row[i] < cut or len(codes) >= max_tags:
            break
        if tagger.codes[i] not in codes:
            codes.append(tagger.codes[i])
    return codes


def cross_validate(make_tagger: Callable[[Sequence[tuple[str, str]]], Any],
                   baseline_fn: TagFn, rows: Sequence[Row], folds: int = 5,
                   seed: int = 0) -> dict[str, Any]:
    """Honest estimate on a small labelled set: K folds; on each, the threshold is chosen on the
    other folds only, and scored on the held-out fold, in two settings:

    * ``model``: descriptions only (what a new space gets on day one);
    * ``model_with_examples``: the other folds' labels are given as trainer corrections.

    Predictions of all held-out folds are pooled before computing the metrics.
    """
    import random

    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    fold_of = {idx: k % folds for k, idx in enumerate(order)}
    gold: list[list[str]] = []
    pred_plain: list[list[str]] = []
    pred_examples: list[list[str]] = []
    pred_base: list[list[str]] = []
    for k in range(folds):
        train = [rows[i] for i in range(len(rows)) if fold_of[i] != k]
        test = [rows[i] for i in range(len(rows)) if fold_of[i] == k]
        examples = [(text, code) for text, codes in train for code in codes]
        for with_examples, sink in ((False, pred_plain), (True, pred_examples)):
            tagger = make_tagger(examples if with_examples else ())
            if with_examples:
                # The threshold on training folds would be judged on posts the tagger has as
                # examples (scores near 1); choose it with an inner split of the training folds.
                half = len(train) // 2
                inner = make_tagger([(t, c) for t, cs in train[:half] for c in cs])
                floor, relative, max_tags = choose_threshold([(inner, train[half:])])
            else:
                floor, relative, max_tags = choose_threshold([(tagger, train)])
            tagger.floor, tagger.relative, tagger.max_tags = floor, relative, max_tags
            sink += [[r.code for r in res] for res in tagger.tag_many([t for t, _ in test])]
        gold += [codes for _, codes in test]
        pred_base += [_codes_of(baseline_fn(t)) for t, _ in test]
    return {
        "n": len(rows),
        "folds": folds,
        "model": scores(gold, pred_plain),
        "model_with_examples": scores(gold, pred_examples),
        "baseline": scores(gold, pred_base),
    }
