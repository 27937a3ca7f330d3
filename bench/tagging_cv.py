"""Cross-validated micro-F1 of the shipped tagger on the development set, overall and on the activity
posts (three C2i2e codes or more, the kind of post the issue-18 evaluation set is made of):

    .venv/bin/python bench/tagging_cv.py                  # both referentials, --score-first 233 and 0
    .venv/bin/python bench/tagging_cv.py --score-first 233 --referential crcn
    .venv/bin/python bench/tagging_cv.py --post-weight 1          # a Tagger option, for comparisons

The cross-validation is ``ticebot tagging eval FILE --cv 5 [--score-first N]`` (the same function, the
same folds); "activity posts" are chosen by their C2i2e codes for both referentials, so the CRCN figure
is on the same posts. Prints one JSON line per (referential, N): the ``model_with_examples`` micro
P / R / F1 (the shipped model: seeds + the other folds' posts) on all scored posts and on the subset.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "tagging_dev.jsonl"
MIN_CODES = 3


def run(referential_id: str, score_first: int, folds: int = 5, **tagger_options: float) -> dict[str, object]:
    from bot.referential.loader import load_all
    from bot.tagging.eval import cross_validate, load_rows
    from bot.tagging.model import Tagger, keyword_baseline
    from bot.tagging.seeds import load_labelled

    ref = load_all()[referential_id]
    rows = load_rows(DEV, ref.id)
    activity = [len(codes) >= MIN_CODES for _, codes in load_rows(DEV, "c2i2e")]
    texts = {text for text, _ in rows}
    # As the CLI does: the shipped labelled posts being evaluated are never in training.
    labelled = [(text, codes) for text, codes in load_labelled(ref.id) if text not in texts]
    scored, extra = (rows[:score_first], rows[score_first:]) if score_first else (rows, [])
    result = cross_validate(lambda ex, neg: Tagger(ref, ex, negatives=neg, labelled=labelled, **tagger_options),
                            lambda t: keyword_baseline(ref, t), scored, folds=folds, extra=extra,
                            subsets={"activity": [i for i in range(len(scored)) if activity[i]]})
    subset = result["subsets"]["activity"]
    return {"referential": ref.id, "scored": len(scored), "extra_trained": len(extra),
            "all": result["model_with_examples"]["micro"],
            f"c2i2e>={MIN_CODES}": {"n": subset["n"], **subset["model_with_examples"]["micro"]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--referential", action="append", help="c2i2e and/or crcn (default both)")
    parser.add_argument("--score-first", type=int, action="append", help="233 and/or 0 (default both)")
    parser.add_argument("--post-weight", type=float, help="Tagger(post_weight=...) (default: the shipped one)")
    args = parser.parse_args()
    options = {} if args.post_weight is None else {"post_weight": args.post_weight}
    sys.path.insert(0, str(ROOT))
    for score_first in args.score_first or [233, 0]:
        for referential_id in args.referential or ["c2i2e", "crcn"]:
            print(json.dumps({**run(referential_id, score_first, **options), **options}), flush=True)


if __name__ == "__main__":
    main()
