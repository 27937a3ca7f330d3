"""Tagging throughput and retraining cost, as ratios against the keyword baseline in this process.

    .venv/bin/python bench/bench_tagging.py [--posts 10000] [--corrections 1000]

Posts are synthesised from the development set (sentences shuffled and recombined, seeded), so
the vocabulary is realistic. Reported: posts/s of `Tagger.tag_many` (explicit codes + model) and
of the keyword baseline, and the time to build a tagger with N corrections (`with_examples`).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from pathlib import Path

from bot.referential.loader import load_all
from bot.tagging.model import Tagger, keyword_baseline

DEV = Path(__file__).resolve().parents[1] / "tests" / "data" / "tagging_dev.jsonl"


def synth_posts(n: int, seed: int = 0) -> list[str]:
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    sentences = [s for r in rows for s in re.split(r"(?<=[.!?])\s+", r["text"]) if s]
    rng = random.Random(seed)
    return [" ".join(rng.sample(sentences, rng.randint(1, 4))) for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--corrections", type=int, default=1_000)
    parser.add_argument("--referential", default="c2i2e")
    args = parser.parse_args()

    ref = load_all()[args.referential]
    posts = synth_posts(args.posts)
    tagger = Tagger(ref)
    tagger.tag_many(posts[:100])  # warm caches (stemmer memo) like a running bot

    t0 = time.perf_counter()
    for p in posts:
        keyword_baseline(ref, p)
    t_base = time.perf_counter() - t0

    t0 = time.perf_counter()
    tagger.tag_many(posts)
    t_model = time.perf_counter() - t0

    codes = [c.code for c in ref.competences()]
    rng = random.Random(1)
    corrections = [(p, rng.choice(codes)) for p in synth_posts(args.corrections, seed=2)]
    t0 = time.perf_counter()
    trained = tagger.with_examples(corrections)
    t_train = time.perf_counter() - t0
    t0 = time.perf_counter()
    trained.tag_many(posts)
    t_model_ex = time.perf_counter() - t0

    # A trivial reference done in the same process: one pass of the keyword baseline over the
    # corrections' texts (what any retraining must at least read).
    t0 = time.perf_counter()
    for text, _ in corrections:
        keyword_baseline(ref, text)
    t_base_corr = time.perf_counter() - t0

    result = {
        "referential": ref.id,
        "posts": args.posts,
        "baseline_posts_per_s": round(args.posts / t_base),
        "model_posts_per_s": round(args.posts / t_model),
        "model_with_examples_posts_per_s": round(args.posts / t_model_ex),
        "model_vs_baseline_speed": round(t_base / t_model, 2),
        "corrections": args.corrections,
        "train_s": round(t_train, 3),
        "train_vs_baseline_pass": round(t_train / t_base_corr, 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
