"""The FAQ search scores only the rows that may reach its threshold (bot/faq/postings.py); what it
returns must be exactly what scoring every resolved thread returns: the same threads, the same
scores, the same order (curated first), for the arrival threshold and `/faq`'s, with rows appended
after the fit (the tail, and its merges) and a question excluded."""

from __future__ import annotations

import json
import random
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.faq import postings
from bot.faq.documents import FaqDoc
from bot.faq.exhaustive import exhaustive_search
from bot.faq.index import SEARCH_THRESHOLD, SUGGEST_THRESHOLD, FaqIndex, FaqIndexes
from bot.faq.postings import TAIL_MIN, DocRows

DEV = Path(__file__).resolve().parents[1] / "data" / "tagging_dev.jsonl"
TOPICS = ["Mon TNI ne reconnaît plus le stylet", "Comment partager un document sans l'ENT",
          "Quel outil de quiz sans compte élève", "Peut-on publier des photos des élèves",
          "Le vidéoprojecteur affiche une image floue", "Ancien message archivé."]


def sentences() -> list[str]:
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [s for r in rows for s in re.split(r"(?<=[.!?])\s+", r["text"]) if s]


def corpus(n: int, seed: int, start: int = 1) -> list[FaqDoc]:
    """Threads made of the development set's sentences, some on a shared topic, some identical, one in
    twelve curated."""
    rng, pool = random.Random(seed), sentences()
    docs = []
    for i in range(start, start + n):
        if rng.random() < 0.1:
            text = TOPICS[-1]  # many identical old threads, as years of archives give
        else:
            text = " ".join([rng.choice(TOPICS)] * (rng.random() < 0.4) + rng.sample(pool, rng.randint(1, 4)))
        docs.append(FaqDoc(question_id=i, space_id="s", entry_id=i if rng.random() < 1 / 12 else None,
                           title=text[:40], summary="", text=text, resolved_at=datetime(2026, 9, 1, tzinfo=UTC),
                           answerer_id=None, platform="console", channel_id="sos", thread_id=f"t{i}"))
    return docs


@pytest.fixture(autouse=True)
def rounds_at_any_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small indexes are scored in full (FULL_SCAN_ROWS); these corpora are kept small, so the rounds
    and their bounds are what is compared here."""
    monkeypatch.setattr(postings, "FULL_SCAN_ROWS", 0)


def queries(seed: int, n: int) -> list[str]:
    rng, pool = random.Random(seed), sentences()
    out = [*TOPICS, "TNI stylet", "partage fichier espace numérique de travail", "QCM", "message", "élèves"]
    out += [" ".join(rng.sample(pool, rng.randint(1, 3))) for _ in range(n)]
    out += [" ".join(rng.sample(p.split(), min(3, len(p.split())))) for p in rng.sample(pool, n)]
    return out


@pytest.mark.parametrize("threshold,limit", [(SUGGEST_THRESHOLD, 3), (SEARCH_THRESHOLD, 5), (0.05, 50)])
def test_the_search_returns_what_scoring_every_thread_returns(threshold: float, limit: int) -> None:
    docs = corpus(1500, seed=3)
    index = FaqIndex.build(("sig",), docs)
    found = 0
    for i, text in enumerate(queries(seed=4, n=150)):
        exclude = frozenset({docs[i % len(docs)].question_id}) if i % 3 == 0 else frozenset()
        got = [(h.doc.question_id, h.score) for h in index.search(text, threshold, limit, exclude)]
        assert got == exhaustive_search(index, text, threshold, limit, exclude), text
        found += bool(got)
    assert found > 100  # the queries do match: the comparison is not between two empty lists


def test_a_small_index_scored_in_full_gives_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postings, "FULL_SCAN_ROWS", 10_000)
    index = FaqIndex.build(("sig",), corpus(400, seed=11))
    for text in queries(seed=12, n=30):
        got = [(h.doc.question_id, h.score) for h in index.search(text, SUGGEST_THRESHOLD, 3)]
        assert got == exhaustive_search(index, text, SUGGEST_THRESHOLD, 3), text


def test_appended_threads_are_found_before_and_after_the_tail_is_merged() -> None:
    """The merge runs in the executor (FaqIndexes.merge_if_due); here it is run by hand, with a
    thread appended between its start and its adoption, as an event may do meanwhile."""
    base = corpus(TAIL_MIN * 4, seed=5)
    index = FaqIndex.build(("sig",), base)
    later = corpus(TAIL_MIN * 2, seed=6, start=len(base) + 1)
    merges = 0
    pending: tuple[DocRows, DocRows] | None = None  # (merged rows, the rows they were made from)
    for k, doc in enumerate(later):
        grown = index.appended(("sig", k), [doc], frozenset())
        assert grown is not None and grown.matrix is not None
        if pending is not None:
            adopted = grown.matrix.adopting(*pending)
            assert adopted is not None and adopted.tail is not None and adopted.tail.shape[0] == 1
            grown, pending, merges = replace(grown, matrix=adopted), None, merges + 1
        elif grown.matrix.merge_due:
            pending = (grown.matrix.merged(), grown.matrix)
        index = grown
        if k % 16 == 0 or pending is not None:
            for text in [doc.text, *queries(seed=k, n=5)]:
                got = [(h.doc.question_id, h.score) for h in index.search(text, SUGGEST_THRESHOLD, 3)]
                assert got == exhaustive_search(index, text, SUGGEST_THRESHOLD, 3), text
    assert index.matrix is not None
    assert merges >= 1 and len(index.matrix) == len(index.docs) == len(base) + len(later)
    # A merge made from rows that were since reloaded is not adopted.
    reloaded = index.reloaded(("sig", "r"), index.docs[1:], frozenset())
    assert reloaded is not None and reloaded.matrix is not None
    assert reloaded.matrix.adopting(index.matrix.merged(), index.matrix) is None
    # The newest thread, appended with the fitted vocabulary, is its own best match among the plain
    # threads (a curated entry that matches ranks above any thread, by design).
    plain = [h for h in index.search(later[-1].text, SUGGEST_THRESHOLD, 50) if not h.doc.curated]
    assert plain[0].doc.question_id in {d.question_id for d in [*base, *later] if d.text == later[-1].text}


def test_a_reload_keeps_the_rows_in_the_documents_order() -> None:
    docs = corpus(300, seed=8)
    index = FaqIndex.build(("sig",), docs)
    grown = index.appended(("sig", 1), corpus(10, seed=9, start=301), frozenset())
    assert grown is not None
    # A thread reopened (gone) and another's text changed (erased words): the rows follow the documents.
    changed = [d for d in grown.docs if d.question_id != 7]
    changed[0] = FaqDoc(**{**changed[0].__dict__, "text": "Comment partager un document sans l'ENT"})
    reloaded = grown.reloaded(("sig", 2), changed, frozenset())
    assert reloaded is not None and reloaded.changed
    for text in queries(seed=10, n=40):
        got = [(h.doc.question_id, h.score) for h in reloaded.search(text, SEARCH_THRESHOLD, 5)]
        assert got == exhaustive_search(reloaded, text, SEARCH_THRESHOLD, 5), text
        assert 7 not in [q for q, _ in got]


async def test_the_tail_is_merged_in_the_executor_and_adopted() -> None:
    with ThreadPoolExecutor(1) as pool:
        indexes = FaqIndexes(executor=pool)
        index = FaqIndex.build(("sig",), corpus(TAIL_MIN * 4, seed=13))
        grown = index.appended(("sig", 1), corpus(TAIL_MIN, seed=14, start=TAIL_MIN * 4 + 1), frozenset())
        assert grown is not None and grown.matrix is not None and grown.matrix.merge_due
        indexes.current[("s",)] = grown
        indexes.merge_if_due(("s",), grown)
        await indexes.settled()
        merged = indexes.current[("s",)]
        assert merged.matrix is not None and merged.matrix.tail is None and merged.docs == grown.docs
        for text in queries(seed=15, n=20):
            got = [(h.doc.question_id, h.score) for h in merged.search(text, SUGGEST_THRESHOLD, 3)]
            assert got == exhaustive_search(grown, text, SUGGEST_THRESHOLD, 3), text
