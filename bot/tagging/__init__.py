"""Competence tagging of posts: explicit codes, then a TF-IDF text model with trainers' examples."""

from bot.tagging.eval import evaluate
from bot.tagging.explicit import CodeFinder, find_explicit_codes
from bot.tagging.model import Tagger, TagResult, keyword_baseline

__all__ = ["CodeFinder", "TagResult", "Tagger", "evaluate", "find_explicit_codes", "keyword_baseline"]
