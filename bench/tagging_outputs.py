"""Dump the tagger's per-post outputs (codes, sources, scores) as JSON, to check that a speed change
left them identical:

    .venv/bin/python bench/tagging_outputs.py > /tmp/after.json
    # the same on the commit before the change (e.g. a `git worktree`), then:
    .venv/bin/python bench/tagging_outputs.py --compare /tmp/before.json /tmp/after.json

Posts: the development set, then synthetic posts of bench_tagging.py with 10 % and 30 % of their
content words never seen (fresh misspellings), for both shipped referentials, with and without the
second stage. ``--pure-python-stemmer`` hides PyStemmer so the pure-Python Snowball runs (the
reference before PyStemmer was a dependency).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def dump() -> dict[str, list[list[tuple[str, str, float]]]]:
    sys.path[:0] = [str(ROOT / "bench"), str(ROOT)]
    import numpy as np
    from bench_tagging import DEV, known_words, synth_posts
    from unseen_words import UnseenWords, with_unseen_words

    from bot.referential.loader import load_all
    from bot.tagging.model import Tagger

    # Before layer.py fixed liblinear's seed, it shuffled with numpy's global generator: seeded here so
    # that a dump made on such a commit is reproducible too.
    np.random.seed(0)

    dev = [json.loads(line)["text"] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    generator = UnseenWords(known_words(), seed=7)
    posts = dev + with_unseen_words(synth_posts(1000, seed=21), 0.1, generator)[0]
    posts += with_unseen_words(synth_posts(1000, seed=22), 0.3, generator)[0]
    refs = load_all()
    out: dict[str, list[list[tuple[str, str, float]]]] = {}
    for ref_id in ("c2i2e", "crcn"):
        for layer in (True, False):
            tagger = Tagger(refs[ref_id], layer=layer)
            out[f"{ref_id} layer={layer}"] = [[(r.code, r.source, r.score) for r in tagger.tag(p)] for p in posts]
    return out


def compare(before_path: str, after_path: str, tolerance: float = 1e-5) -> int:
    before = json.loads(Path(before_path).read_text())
    after = json.loads(Path(after_path).read_text())
    bad = 0
    for key, rows in before.items():
        for i, (a, b) in enumerate(zip(rows, after[key], strict=True)):
            same = [c[:2] for c in a] == [c[:2] for c in b] and all(
                abs(x[2] - y[2]) <= tolerance for x, y in zip(a, b, strict=True)
            )
            if not same:
                bad += 1
                if bad <= 10:
                    print(f"{key} post {i}: {a} != {b}")
    total = sum(len(rows) for rows in before.values())
    print(f"{total - bad} of {total} outputs identical (codes and sources equal, scores within {tolerance})")
    return 1 if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--pure-python-stemmer", action="store_true")
    args = parser.parse_args()
    if args.compare:
        raise SystemExit(compare(*args.compare))
    if args.pure_python_stemmer:
        sys.modules["Stemmer"] = None  # type: ignore[assignment]  # snowballstemmer then uses its own code
    print(json.dumps(dump()))


if __name__ == "__main__":
    main()
