"""A post cut into its sentences, for the second stage's segment evidence (:mod:`bot.tagging.layer`).

Why: a post that describes a whole activity is several sentences, each about one or two competences;
the whole post's vector is their mean, so a competence stated in one sentence only is diluted by the
others. Scored on its own, that sentence is close to the competence's prototype.

A segment is a sentence (ended by ``.``, ``!``, ``?`` or ``…`` then a space, or a line break); one with
fewer than ``min_words`` content words ("Bonjour à tous !", "Des idées ?") is joined to the one before,
or to the next at the start, as it says too little to be judged alone.
"""

from __future__ import annotations

import re

from bot.tagging.normalise import content_words

__all__ = ["segments", "DEFAULT_MIN_WORDS"]

DEFAULT_MIN_WORDS = 5
_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")


def segments(text: str, min_words: int = DEFAULT_MIN_WORDS) -> list[str]:
    """The post's segments, in order; a one-sentence post is one segment (itself)."""
    out: list[str] = []
    short = True  # whether the last segment has fewer than min_words content words
    for piece in _SENTENCE.split(text):
        if not piece.strip():
            continue
        size = len(content_words(piece))
        if out and (short or size < min_words):
            out[-1] = f"{out[-1]} {piece}"
            short = short and len(content_words(out[-1])) < min_words
        else:
            out.append(piece)
            short = size < min_words
    return out or [text]
