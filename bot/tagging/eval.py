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


# -- decision choice and cross-validation -----------------------------------------------------

Z_GRID = (1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5)
RELATIVE_GRID = (0.3, 0.4, 0.45, 0.5, 0.6)


def choose_decision(taggers_rows: Sequence[tuple[Any, Sequence[Row]]]) -> tuple[float, float]:
    """Pick (z, relative) maximising the mean micro-F1 over (tagger, rows) pairs.

    ``z`` sets every per-competence threshold (mean + z × std of the code's chance scores) and
    ``relative`` the cut below the post's best score. Scores are computed once per tagger; only
    the decision changes over the grid, so the search is cheap. Ties go to the earliest grid point.
    """
    prepared = []
    for tagger, rows in taggers_rows:
        texts = [text for text, _ in rows]
        prepared.append((tagger, tagger.score_matrix(texts), [tagger._finder.codes(t) for t in texts],
                         [codes for _, codes in rows]))
    best: tuple[float, tuple[float, float]] | None = None
    for z in Z_GRID:
        thresholds = [tagger.limits_for(z) for tagger, *_ in prepared]
        for relative in RELATIVE_GRID:
            f1s = []
            for (tagger, matrix, explicit, gold), th in zip(prepared, thresholds, strict=True):
                pred = [tagger.decide(e, row, th, relative) for row, e in zip(matrix, explicit, strict=True)]
                f1s.append(scores(gold, pred)["micro"]["f1"])
            mean = sum(f1s) / len(f1s)
            if best is None or mean > best[0] + 1e-9:
                best = (mean, (z, relative))
    assert best is not None
    return best[1]


def _apply(tagger: Any, z: float, relative: float) -> Any:
    tagger.thresholds.z = z
    tagger.thresholds.values = tagger.thresholds.for_z(z)
    tagger.relative = relative
    return tagger


def _corrections(tagger: Any, rows: Sequence[Row]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """What trainers would do with these posts: /tag every gold code, /untag every wrong model tag."""
    positives = [(text, code) for text, codes in rows for code in codes]
    negatives = [(text, r.code) for (text, codes), res in zip(rows, tagger.tag_many([t for t, _ in rows]),
                                                                strict=True)
                 for r in res if r.source == "model" and r.code not in codes]
    return positives, negatives


def cross_validate(make_tagger: Callable[..., Any], baseline_fn: TagFn, rows: Sequence[Row], folds: int = 5,
                   seed: int = 0, extra: Sequence[Row] = (),
                   subsets: Mapping[str, Iterable[int]] | None = None) -> dict[str, Any]:
    """Honest estimate on a small labelled set: K folds; on each, the decision numbers (z, relative)
    are chosen on the other folds only, and scored on the held-out fold, in two settings:

    * ``model``: seeds only (what a new space gets on day one);
    * ``model_with_examples``: the other folds' posts are given as trainer corrections (``/tag`` of
      their gold codes, ``/untag`` of the wrong tags the day-one model gave them).

    ``make_tagger(examples, negatives)`` builds a tagger. Predictions of all held-out folds are
    pooled before computing the metrics. ``extra`` rows are in every fold's training (and its inner
    split) and never scored: posts added later can then be judged by what they bring to the others.
    ``subsets`` names sets of row indices also scored on their own (e.g. the activity posts with
    three codes or more): the same pooled predictions, restricted to those rows.
    """
    import random

    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    fold_of = {idx: k % folds for k, idx in enumerate(order)}
    base = make_tagger((), ())
    gold: list[list[str]] = []
    pred_plain: list[list[str]] = []
    pred_examples: list[list[str]] = []
    pred_base: list[list[str]] = []
    chosen: list[tuple[float, float]] = []
    scored_rows: list[int] = []  # row index of each pooled prediction, to score the subsets
    for k in range(folds):
        train = [rows[i] for i in range(len(rows)) if fold_of[i] != k] + list(extra)
        test = [rows[i] for i in range(len(rows)) if fold_of[i] == k]
        texts = [t for t, _ in test]
        z, relative = choose_decision([(base, train)])
        chosen.append((z, relative))
        pred_plain += [[r.code for r in res] for res in _apply(base, z, relative).tag_many(texts)]
        # With corrections, the decision numbers are chosen with an inner split of the training
        # folds: judged on posts the tagger has as examples, any threshold would look right.
        if extra:  # spread them over both inner halves (without extra rows, the split is as before)
            random.Random(seed + 1 + k).shuffle(train)
        half = len(train) // 2
        inner = make_tagger(*_corrections(base, train[:half]))
        z_ex, relative_ex = choose_decision([(inner, train[half:])])
        trained = _apply(make_tagger(*_corrections(base, train)), z_ex, relative_ex)
        pred_examples += [[r.code for r in res] for res in trained.tag_many(texts)]
        gold += [codes for _, codes in test]
        scored_rows += [i for i in range(len(rows)) if fold_of[i] == k]
        pred_base += [_codes_of(baseline_fn(t)) for t in texts]
    result: dict[str, Any] = {
        "n": len(rows),
        "folds": folds,
        "extra_trained": len(extra),
        "model": scores(gold, pred_plain),
        "model_with_examples": scores(gold, pred_examples),
        "baseline": scores(gold, pred_base),
        "decision_per_fold": [{"z": z, "relative": r} for z, r in chosen],
    }
    if subsets:
        result["subsets"] = {}
        for name, indices in subsets.items():
            wanted = set(indices)
            keep = [n for n, i in enumerate(scored_rows) if i in wanted]
            result["subsets"][name] = {
                "n": len(keep),
                **{key: scores([gold[n] for n in keep], [pred[n] for n in keep])
                   for key, pred in (("model", pred_plain), ("model_with_examples", pred_examples),
                                     ("baseline", pred_base))},
            }
    return result
