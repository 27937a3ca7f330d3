"""Tagging throughput on the bot's own path, and retraining cost, as ratios to baselines measured in
this same process.

    .venv/bin/python bench/bench_tagging.py [--posts 20000] [--corrections 1000] [--referential c2i2e]

Times are CPU seconds of the measuring thread (``time.thread_time``), so the figures are per core
and hold on a shared machine; each is the best of 3 interleaved passes.

Posts are synthesised from the development set (sentences shuffled and recombined, seeded), so the
vocabulary and the lengths are realistic. Measured, each on one core, one post at a time unless said:

* ``tokenise``: a bare tokenisation pass (:func:`bot.tagging.normalise.content_words`), the floor any
  text model pays; ``keyword_baseline``: the plain keyword matcher;
* ``bot_path``: ``Tagger.tag(text)`` per post — exactly what ``bot/tagging/service.py``'s ``tag_post``
  calls for every contribution (explicit codes, then the model); also with the space's model trained
  on N corrections (``bot_path_with_corrections``);
* ``bot_path_unseen_words``: the same, on posts where ``--unseen`` (default 10 %) of the content words
  are words this process has never seen (fresh misspellings, ``bench/unseen_words.py``), so they miss
  every per-word memo (stem, stop-word test, n-grams, feature columns) as a new word does in the
  running bot; each of the 3 passes gets its own posts, so no pass is warmed by the one before.
  Synthetic posts from the development set alone reuse its vocabulary: every memo is warm and
  ``bot_path`` is the best case;
* ``batch``: ``Tagger.tag_many`` on the whole list (labelled as such: the bot never batches);
* ``build``: building a referential's model, and a space's model with N corrections (this runs in
  the tagging executor, off the event loop), against a keyword-baseline pass over the same texts.

The per-post and batch results are checked to agree (same codes, scores within float32 rounding)
before anything is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bot.referential.loader import load_all
from bot.tagging.model import Tagger, keyword_baseline
from bot.tagging.normalise import content_words

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "bench")]
from unseen_words import UnseenWords, with_unseen_words  # noqa: E402

DEV = Path(__file__).resolve().parents[1] / "tests" / "data" / "tagging_dev.jsonl"


def synth_posts(n: int, seed: int = 0) -> list[str]:
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    sentences = [s for r in rows for s in re.split(r"(?<=[.!?])\s+", r["text"]) if s]
    rng = random.Random(seed)
    return [" ".join(rng.sample(sentences, rng.randint(1, 4))) for _ in range(n)]


def known_words() -> set[str]:
    """Every word of the texts this process reads (development set, referentials, seeds)."""
    texts = [DEV.read_text(encoding="utf-8")]
    texts += [f.read_text(encoding="utf-8") for f in sorted((ROOT / "referential").iterdir()) if f.is_file()]
    return {w.lower() for text in texts for w in re.findall(r"[^\W_]+", text)}


def cpu_seconds(fn: Callable[[], object]) -> float:
    """CPU time of this thread: on a shared machine, wall time also counts the other processes'
    turns on the core; CPU time is what "posts per second on one core" means."""
    t0 = time.thread_time()
    fn()
    return time.thread_time() - t0


def per_second(fns: dict[str, Callable[[str], object]], posts: list[str], repeats: int = 3,
               fresh: dict[str, list[list[str]]] | None = None) -> dict[str, float]:
    """Posts per CPU-second of each function, best of a few passes, the passes interleaved so that
    every function sees the same machine (caches, frequency, neighbours). A function named in
    `fresh` gets its own list of posts on each pass (``fresh[name][pass]``, as many posts)."""
    best = {name: float("inf") for name in fns}
    for r in range(repeats):
        for name, fn in fns.items():
            batch = fresh[name][r] if fresh and name in fresh else posts
            best[name] = min(best[name], cpu_seconds(lambda fn=fn, batch=batch: [fn(p) for p in batch]))
    return {name: len(posts) / t for name, t in best.items()}


def machine() -> dict[str, object]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"cpu": cpu, "cores": os.cpu_count(), "load_average_1min": round(load[0], 2),
            "python": platform.python_version()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--corrections", type=int, default=1_000)
    parser.add_argument("--referential", default="c2i2e")
    parser.add_argument("--unseen", type=float, default=0.10,
                        help="share of content words never seen by the process, for bot_path_unseen_words")
    args = parser.parse_args()

    ref = load_all()[args.referential]
    posts = synth_posts(args.posts)
    codes = [c.code for c in ref.competences()]
    rng = random.Random(1)
    corrections = [(p, rng.choice(codes)) for p in synth_posts(args.corrections, seed=2)]

    Tagger(ref)  # first build warms the stemmer and n-gram memos shared by all builds
    built: list[Tagger] = []
    t_build = cpu_seconds(lambda: built.append(Tagger(ref)))
    t_train = cpu_seconds(lambda: built.append(Tagger(ref, corrections)))
    tagger, trained = built
    t_kw_corrections = cpu_seconds(lambda: [keyword_baseline(ref, text) for text, _ in corrections])

    for p in posts[:500]:  # warm the memos (stems, n-gram columns) like a running bot
        tagger.tag(p)
        trained.tag(p)
    for one, many in zip([tagger.tag(p) for p in posts[:2000]], tagger.tag_many(posts[:2000]), strict=True):
        # Same codes; scores equal up to float32 summation order.
        if [r.code for r in one] != [r.code for r in many] or any(
                abs(a.score - b.score) > 1e-3 for a, b in zip(one, many, strict=True)):
            raise SystemExit(f"per-post and batch tagging disagree: {one} != {many}")

    # Three lists (one per pass) of other posts, a share of their words never seen by this process.
    unseen = UnseenWords(known_words(), seed=5)
    cold = [with_unseen_words(synth_posts(args.posts, seed=10 + r), args.unseen, unseen) for r in range(3)]
    unseen_share = sum(share for _, share in cold) / len(cold)
    rates = per_second({"tokenise": content_words, "keyword_baseline": lambda p: keyword_baseline(ref, p),
                        "bot_path": tagger.tag, "bot_path_with_corrections": trained.tag,
                        "bot_path_unseen_words": tagger.tag}, posts,
                       fresh={"bot_path_unseen_words": [p for p, _ in cold]})
    tokenise, keywords = rates["tokenise"], rates["keyword_baseline"]
    bot_path, bot_path_trained = rates["bot_path"], rates["bot_path_with_corrections"]
    batch = len(posts) / min(cpu_seconds(lambda: tagger.tag_many(posts)) for _ in range(3))

    result = {
        "referential": ref.id,
        "posts": args.posts,
        "machine": machine(),
        "posts_per_s": {
            "tokenise": round(tokenise),
            "keyword_baseline": round(keywords),
            "bot_path": round(bot_path),
            "bot_path_with_corrections": round(bot_path_trained),
            "bot_path_unseen_words": round(rates["bot_path_unseen_words"]),
            "batch": round(batch),
        },
        "unseen_word_share": round(unseen_share, 3),
        "bot_path_vs_tokenise": round(bot_path / tokenise, 3),
        "bot_path_vs_keyword_baseline": round(bot_path / keywords, 3),
        "bot_path_unseen_words_vs_bot_path": round(rates["bot_path_unseen_words"] / bot_path, 3),
        "batch_vs_bot_path": round(batch / bot_path, 3),
        "build": {
            "referential_model_s": round(t_build, 3),
            "corrections": args.corrections,
            "with_corrections_s": round(t_train, 3),
            "with_corrections_vs_keyword_pass": round(t_train / t_kw_corrections, 2),
        },
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
