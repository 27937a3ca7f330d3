"""Experiment: does scoring a long post's sentences on their own recover the competences its whole-post
score misses? Nested 5-fold CV on the development set, the same folds, trainings and inner split as
``cross_validate`` (``bot/tagging/eval.py``): per fold, the inner model (trained on half the training
folds) chooses each variant's numbers on the other half, and the fold's model is then scored with them.

    .venv/bin/python bench/tagging_segments_cv.py --referential c2i2e [--score-first 233]

Variants (each chooses its own numbers in the inner split, with the relative cut):

* ``whole``: today's decision (probability 0.4, relative cut) on the whole-post probabilities;
* ``max``: per code ``max(p_whole, s × max over segments)``;
* ``blend``: per code ``(1 - w) p_whole + w × max over segments``;
* ``or``: today's codes, plus every code one segment gives at least ``L`` (best first, max 5 tags).

Segments: sentences (``.!?…`` then a space, or a line break), a segment with fewer than ``m`` content
words joined to the one before; a post with one segment keeps its whole-post probabilities.
Prints one JSON line: every variant's pooled micro P / R / F1 on all scored posts and on the activity
posts (>= 3 C2i2e codes), the numbers each fold chose, its ``hindsight`` F1 (the best fixed numbers picked
on the scored folds themselves: optimistic, only to see whether a variant has any signal), and under
``missed`` the whole-post and best-segment probabilities of the gold codes today's decision misses,
against the best-segment probabilities of the codes a post does not have.

Result (stop 27, README → Tagging): no variant gains; even in hindsight +0.005 (C2i2e) / +0.015 (CRCN).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.referential.loader import load_all  # noqa: E402
from bot.tagging.eval import _corrections, choose_decision, load_rows, scores  # noqa: E402
from bot.tagging.layer import DEFAULT_PROBABILITY  # noqa: E402
from bot.tagging.model import Tagger  # noqa: E402
from bot.tagging.normalise import content_words  # noqa: E402
from bot.tagging.seeds import load_labelled  # noqa: E402

DEV = ROOT / "tests" / "data" / "tagging_dev.jsonl"
RELATIVE_GRID = (0.3, 0.4, 0.45, 0.5, 0.6)
MIN_WORDS = (3, 5, 8)
SCALES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
WEIGHTS = (0.2, 0.35, 0.5, 0.75, 1.0)
LIMITS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")


def segments(text: str, min_words: int) -> list[str]:
    out: list[str] = []
    for piece in _SENTENCE.split(text):
        if not piece.strip():
            continue
        if out and len(content_words(out[-1])) < min_words:
            out[-1] = f"{out[-1]} {piece}"
        elif out and len(content_words(piece)) < min_words:
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


class Scored:
    """One model's whole-post and per-segment probabilities for a list of posts."""

    def __init__(self, tagger: Tagger, texts: Sequence[str]) -> None:
        self.tagger = tagger
        self.whole = tagger.score_matrix(texts)
        self.explicit = [tagger._finder.codes(t) for t in texts]
        self.segmax: dict[int, np.ndarray] = {}
        for m in MIN_WORDS:
            pieces = [segments(t, m) for t in texts]
            flat = [p for ps in pieces for p in ps]
            matrix = tagger.score_matrix(flat)
            out = self.whole.copy()
            start = 0
            for i, ps in enumerate(pieces):
                if len(ps) > 1:
                    out[i] = matrix[start:start + len(ps)].max(axis=0)
                start += len(ps)
            self.segmax[m] = out

    def decide(self, rows: np.ndarray, relative: float) -> list[list[str]]:
        limits = np.full(len(self.tagger.codes), DEFAULT_PROBABILITY, dtype=np.float32)
        return [self.tagger.decide(e, r, limits, relative) for e, r in zip(self.explicit, rows, strict=True)]

    def predict(self, variant: str, params: tuple[float, ...]) -> list[list[str]]:
        if variant == "whole":
            (relative,) = params
            return self.decide(self.whole, relative)
        m, x, relative = params
        seg = self.segmax[int(m)]
        if variant == "max":
            return self.decide(np.maximum(self.whole, x * seg), relative)
        if variant == "blend":
            return self.decide((1 - x) * self.whole + x * seg, relative)
        if variant == "or":
            base = self.decide(self.whole, relative)
            out = []
            codes = self.tagger.codes
            for kept, row in zip(base, seg, strict=True):
                extra = [codes[j] for j in np.argsort(-row) if row[j] >= x and codes[j] not in kept]
                out.append((kept + extra)[: max(self.tagger.max_tags, len(kept))])
            return out
        raise ValueError(variant)


GRIDS: dict[str, list[tuple[float, ...]]] = {
    "whole": [(r,) for r in RELATIVE_GRID],
    "max": list(itertools.product(MIN_WORDS, SCALES, RELATIVE_GRID)),
    "blend": list(itertools.product(MIN_WORDS, WEIGHTS, RELATIVE_GRID)),
    "or": list(itertools.product(MIN_WORDS, LIMITS, RELATIVE_GRID)),
}


def best_params(scored: Scored, gold: Sequence[Sequence[str]], variant: str) -> tuple[float, ...]:
    best: tuple[float, tuple[float, ...]] | None = None
    for params in GRIDS[variant]:
        f1 = scores(gold, scored.predict(variant, params))["micro"]["f1"]
        if best is None or f1 > best[0] + 1e-9:
            best = (f1, params)
    assert best is not None
    return best[1]


def run(referential_id: str, score_first: int, folds: int = 5, seed: int = 0,
        make: Callable[..., Tagger] | None = None) -> dict[str, object]:
    ref = load_all()[referential_id]
    rows = load_rows(DEV, ref.id)
    activity_all = [len(codes) >= 3 for _, codes in load_rows(DEV, "c2i2e")]
    texts = {text for text, _ in rows}
    labelled = [(text, codes) for text, codes in load_labelled(ref.id) if text not in texts]
    scored_rows, extra = (rows[:score_first], rows[score_first:]) if score_first else (rows, [])

    def make_tagger(ex: object, neg: object) -> Tagger:
        return Tagger(ref, ex, negatives=neg, labelled=labelled)  # type: ignore[arg-type]

    order = list(range(len(scored_rows)))
    random.Random(seed).shuffle(order)
    fold_of = {idx: k % folds for k, idx in enumerate(order)}
    base = make_tagger((), ())
    gold: list[list[str]] = []
    index: list[int] = []
    preds: dict[str, list[list[str]]] = {v: [] for v in GRIDS}
    chosen: dict[str, list[tuple[float, ...]]] = {v: [] for v in GRIDS}
    check: list[list[str]] = []
    tested: list[Scored] = []
    for k in range(folds):
        train = [scored_rows[i] for i in range(len(scored_rows)) if fold_of[i] != k] + list(extra)
        test = [scored_rows[i] for i in range(len(scored_rows)) if fold_of[i] == k]
        if extra:
            random.Random(seed + 1 + k).shuffle(train)
        half = len(train) // 2
        inner = make_tagger(*_corrections(base, train[:half]))
        inner_scored = Scored(inner, [t for t, _ in train[half:]])
        inner_gold = [c for _, c in train[half:]]
        trained = make_tagger(*_corrections(base, train))
        test_scored = Scored(trained, [t for t, _ in test])
        tested.append(test_scored)
        # The shipped decision, chosen as cross_validate does: must give the same codes as "whole".
        _, relative = choose_decision([(inner, train[half:])])
        check += test_scored.predict("whole", (relative,))
        for variant in GRIDS:
            params = best_params(inner_scored, inner_gold, variant)
            chosen[variant].append(params)
            preds[variant] += test_scored.predict(variant, params)
        gold += [c for _, c in test]
        index += [i for i in range(len(scored_rows)) if fold_of[i] == k]
        print(f"fold {k} done", file=sys.stderr, flush=True)
    activity = [n for n, i in enumerate(index) if activity_all[i]]
    out: dict[str, object] = {"referential": ref.id, "scored": len(scored_rows), "extra_trained": len(extra),
                              "check_same_as_whole": check == preds["whole"]}
    for variant, pred in preds.items():
        # The best numbers for the scored folds themselves: optimistic, to see whether a variant has
        # any signal at all, never to choose.
        hindsight = max((scores(gold, [p for t in tested for p in t.predict(variant, params)])["micro"]["f1"], params)
                        for params in GRIDS[variant])
        out[variant] = {"all": scores(gold, pred)["micro"],
                        "activity": scores([gold[n] for n in activity], [pred[n] for n in activity])["micro"],
                        "chosen": chosen[variant], "hindsight": hindsight}
    # Where the missed codes sit: whole-post and best-segment probabilities of every gold code not kept.
    whole = np.vstack([t.whole for t in tested])
    seg = np.vstack([t.segmax[5] for t in tested])
    codes = tested[0].tagger.codes
    missed_whole, missed_seg, wrong_seg = [], [], []
    for n, (g, p) in enumerate(zip(gold, preds["whole"], strict=True)):
        for j, c in enumerate(codes):
            if c in g and c not in p:
                missed_whole.append(float(whole[n, j]))
                missed_seg.append(float(seg[n, j]))
            elif c not in g and c not in p:
                wrong_seg.append(float(seg[n, j]))
    q = (0.25, 0.5, 0.75, 0.9)
    out["missed"] = {"n": len(missed_whole), "whole_quantiles": np.quantile(missed_whole, q).round(3).tolist(),
                     "segment_quantiles": np.quantile(missed_seg, q).round(3).tolist(),
                     "absent_codes_segment_quantiles":
                         np.quantile(wrong_seg, (0.9, 0.95, 0.98, 0.99)).round(3).tolist(),
                     "missed_segment_over_0.4": sum(v >= 0.4 for v in missed_seg),
                     "absent_segment_over_0.4": sum(v >= 0.4 for v in wrong_seg)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referential", default="c2i2e")
    parser.add_argument("--score-first", type=int, default=233)
    args = parser.parse_args()
    print(json.dumps(run(args.referential, args.score_first)), flush=True)


if __name__ == "__main__":
    main()
