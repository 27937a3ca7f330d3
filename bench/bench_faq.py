"""FAQ search latency on the bot's path vs. a plain SELECT of the same rows, in the same process.

    .venv/bin/python bench/bench_faq.py [--questions 500] [--queries 200]

Creates a space with `--questions` resolved SOS threads (question + accepted answer, a few topics with
varied words), then times, on SQLite:
  * baseline: `SELECT` of the resolved questions joined with their root posts (what any listing reads);
  * warm search: `index_for` (the signature query, index cached) + `FaqIndex.search` — what `/faq` and a
    new question's acknowledgement cost when nothing changed;
  * search after a change: the same after a resolved thread's text changed (its question edited, its
    resolution time moved: not an addition), what the event now pays on the loop — the documents are
    re-read and the changed one re-vectorised with the current vocabulary;
  * refit: fitting the vocabulary on every document (`FaqIndex.build`), which that change makes due and
    which now runs in the build executor, off the event loop (before, the event paid it on the loop).
Prints medians and the ratios to the baseline. Times are wall-clock on the loop's thread.

    .venv/bin/python bench/bench_faq.py --growth 1000,10000,100000 [--queries 200]
    .venv/bin/python bench/bench_faq.py --fingerprint 10000,100000,1000000

Growth (issue 17): per-question CPU of `FaqIndex.search` (bot/faq/postings.py: only rows that may reach
the threshold are scored) against scoring every row as the search did before (the baseline, same index,
same process), over indexes of that many resolved threads made of the tagging development set's
sentences (as bench/ingest_mix.py writes posts), one in ten the same archived text. In memory: the
database reads of a search (its fingerprint) are in bench_ingest.py's figures, and `--fingerprint` times
them alone on SQLite with that many posts stored (bench/ingest_mix.py's prefill: one in ten a resolved
question), against one round trip on the same connection.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import select

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from bot.clock import FakeClock  # noqa: E402
from bot.core import Core  # noqa: E402
from bot.db.database import Database  # noqa: E402
from bot.db.models import Member, Post, Question, Space  # noqa: E402
from bot.faq.documents import FaqDoc  # noqa: E402
from bot.faq.exhaustive import exhaustive_search  # noqa: E402
from bot.faq.index import SEARCH_THRESHOLD, SUGGEST_THRESHOLD, FaqIndex, faq_indexes_of, index_for  # noqa: E402

NOW = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)
TOPICS = [
    ("Mon TNI ne reconnaît plus le stylet", "Recalibre depuis le logiciel du tableau, menu Paramètres."),
    ("Comment partager un document sans l'ENT", "Dépose-le sur le drive et donne le lien de partage."),
    ("Quel outil de quiz sans compte élève", "Un formulaire en ligne sans inscription convient."),
    ("Peut-on publier des photos des élèves", "Il faut l'autorisation de droit à l'image des parents."),
    ("Le vidéoprojecteur affiche une image floue", "Règle la mise au point sur la bague de l'objectif."),
    ("Comment citer une image trouvée sur internet", "Indique l'auteur, la source et la licence."),
    ("La salle informatique n'a plus de réseau", "Préviens le référent numérique et prépare un plan B."),
    ("Comment enregistrer la lecture à voix haute", "Utilise l'enregistreur de la tablette puis dépose le fichier."),
]
EXTRA = ["en 4e", "avec mes CM2", "depuis lundi", "pour la séance de demain", "en salle 12", "au CDI",
         "avec la classe de seconde", "pendant l'oral", "sur les tablettes", "pour les parents"]
QUERIES = ["stylet tableau blanc interactif", "partage fichier espace numérique de travail", "QCM sans compte",
           "droit à l'image photos", "projecteur flou", "citer une source", "plan B réseau", "lecture voix haute"]


async def fill(db: Database, n: int) -> None:
    rng = random.Random(1)
    async with db.transaction() as session:
        session.add(Space(id="bench", referential_id="c2i2e", settings={"id": "bench"}))
        asker = Member(platform="console", platform_user_id="asker", display_name="asker", created_at=NOW)
        staff = Member(platform="console", platform_user_id="staff", display_name="staff", created_at=NOW)
        session.add_all([asker, staff])
        await session.flush()
        for i in range(n):
            title, answer = TOPICS[i % len(TOPICS)]
            at = NOW - timedelta(days=300) + timedelta(hours=i)
            text = f"{title} {rng.choice(EXTRA)} ? {rng.choice(EXTRA)}"
            root = Post(space_id="bench", platform="console", platform_channel_id="sos", platform_post_id=f"q{i}",
                        thread_root_id=f"q{i}", author_id=asker.id, text=text, kind="question", created_at=at)
            reply = Post(space_id="bench", platform="console", platform_channel_id="sos", platform_post_id=f"a{i}",
                         thread_root_id=f"q{i}", author_id=staff.id, text=answer, kind="answer",
                         created_at=at + timedelta(hours=1))
            session.add_all([root, reply])
            await session.flush()
            session.add(Question(space_id="bench", post_id=root.id, asker_id=asker.id, platform="console",
                                 platform_channel_id="sos", thread_root_id=f"q{i}", status="resolved",
                                 created_at=at, clock_started_at=at, deadline_at=at + timedelta(days=4),
                                 answered_at=at + timedelta(hours=1), resolved_at=at + timedelta(hours=2),
                                 accepted_post_id=reply.id))


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


class Timed:
    """Wall time and the loop thread's CPU time of a block: on a shared machine the wall time also
    counts other processes' turns and the database thread; the CPU time is what the loop itself was
    busy with (nothing else on it could run meanwhile)."""

    def __init__(self, wall: list[float], cpu: list[float]) -> None:
        self.wall, self.cpu = wall, cpu

    def __enter__(self) -> None:
        self.t0, self.c0 = time.perf_counter(), time.thread_time()

    def __exit__(self, *exc: object) -> None:
        self.wall.append(time.perf_counter() - self.t0)
        self.cpu.append(time.thread_time() - self.c0)


def growth(sizes: list[int], queries: int) -> None:
    from ingest_mix import synth_texts

    from bot.faq.postings import DocRows

    scored = 0
    scoring = DocRows._scored

    def counted(self: DocRows, column: object, rows: np.ndarray) -> np.ndarray:
        nonlocal scored
        scored += len(rows)
        return scoring(self, column, rows)  # type: ignore[arg-type]

    DocRows._scored = counted  # type: ignore[method-assign]

    print(f"per-question CPU of the search, thread time, medians; load average {os.getloadavg()[0]:.1f}")
    print("  resolved threads   built in   search (arrival 0.30)   scoring every row (before)   ratio"
          "   rows scored")
    asked = synth_texts(queries, seed=99)
    for n in sizes:
        texts = synth_texts(n, seed=n)
        docs = [FaqDoc(question_id=i + 1, space_id="bench", entry_id=None, title=t[:60], summary="",
                       text="Ancien message archivé." if i % 10 == 0 else t, resolved_at=NOW, answerer_id=None,
                       platform="console", channel_id="sos", thread_id=f"q{i}") for i, t in enumerate(texts)]
        started = time.perf_counter()
        index = FaqIndex.build(("bench",), docs)
        built = time.perf_counter() - started
        new: list[float] = []
        old: list[float] = []
        scored = 0
        for text in asked:
            c0 = time.thread_time()
            got = [(h.doc.question_id, h.score) for h in index.search(text, SUGGEST_THRESHOLD, 3)]
            c1 = time.thread_time()
            want = exhaustive_search(index, text, SUGGEST_THRESHOLD, 3)
            c2 = time.thread_time()
            assert got == want, text  # the same top 3, the same scores
            new.append(c1 - c0)
            old.append(c2 - c1)
        print(f"  {n:>16,}   {built:6.1f} s   {median_ms(new):10.3f} ms {'':10}   {median_ms(old):10.3f} ms"
              f" {'':15}  {median_ms(new) / median_ms(old):5.2f}   {scored / len(asked):9.0f} of {n:,}", flush=True)


async def fingerprint(sizes: list[int]) -> None:
    from ingest_mix import prefill
    from sqlalchemy import text

    from bot.faq.documents import signature

    print(f"the index's freshness reads (documents.signature: 3 queries), SQLite, medians of 50; "
          f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'fingerprint.db'}")
        await db.create_schema()
        async with db.transaction() as session:
            session.add(Space(id="demo", referential_id="c2i2e", settings={"id": "demo"}))
        for n in sizes:
            await prefill(db, n, 300)
            sig: list[float] = []
            trip: list[float] = []
            for _ in range(50):
                async with db.transaction() as session:
                    started = time.perf_counter()
                    await session.execute(text("SELECT 1"))
                    trip.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    await signature(session, ("demo",))
                    sig.append(time.perf_counter() - started)
            print(f"  {n:>9,} posts, {n // 10:>7,} resolved: signature {median_ms(sig):7.2f} ms, "
                  f"one round trip {median_ms(trip):5.2f} ms", flush=True)
        await db.engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--growth", default=None, help="sizes, e.g. 1000,10000,100000: the search's growth")
    parser.add_argument("--fingerprint", default=None, help="posts stored, e.g. 10000,100000: the freshness reads")
    args = parser.parse_args()
    if args.growth:
        growth([int(n) for n in args.growth.split(",")], args.queries)
        return
    if args.fingerprint:
        await fingerprint([int(n) for n in args.fingerprint.split(",")])
        return
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await db.create_schema()
        await fill(db, args.questions)
        core = Core(db, FakeClock(NOW))
        baseline: list[float] = []
        warm: list[float] = []
        cold: list[float] = []
        refit: list[float] = []
        cpu: dict[str, list[float]] = {"baseline": [], "warm": [], "cold": [], "refit": []}
        indexes = faq_indexes_of(core)
        hits = 0
        for i in range(args.queries):
            query = QUERIES[i % len(QUERIES)]
            async with db.transaction() as session:
                with Timed(baseline, cpu["baseline"]):
                    list((await session.execute(
                        select(Question, Post).join(Post, Post.id == Question.post_id)
                        .where(Question.space_id == "bench", Question.status == "resolved"))).all())
            async with db.transaction() as session:
                with Timed(warm, cpu["warm"]):
                    index = await index_for(session, core, ("bench",))
                    hits += len(index.search(query, SEARCH_THRESHOLD, 5))
        for i in range(min(20, args.queries)):
            await indexes.settled()  # the previous change's refit is done: each change starts from a fitted index
            async with db.transaction() as session:  # something changed: the next search re-reads the documents
                question = await session.get(Question, 1 + i)
                assert question is not None
                question.resolved_at = NOW + timedelta(minutes=i)
                post = await session.get(Post, question.post_id)
                assert post is not None
                post.text = f"{post.text} (modifié : {QUERIES[(i + 3) % len(QUERIES)]})"
            async with db.transaction() as session:
                with Timed(cold, cpu["cold"]):
                    index = await index_for(session, core, ("bench",))
                    index.search(QUERIES[i % len(QUERIES)], SEARCH_THRESHOLD, 5)
            assert index.changed  # a refit was started: it runs in the executor meanwhile
            await indexes.settled()  # timed alone below, not competing with the executor's run of it
            with Timed(refit, cpu["refit"]):
                FaqIndex.build(index.signature, index.docs)  # what that refit does (and the event did before)
        await indexes.settled()
        await db.engine.dispose()
    b, w, c, r = median_ms(baseline), median_ms(warm), median_ms(cold), median_ms(refit)
    bc, wc, cc, rc = (median_ms(cpu[k]) for k in ("baseline", "warm", "cold", "refit"))
    print(f"{args.questions} resolved questions, {args.queries} queries ({hits / args.queries:.1f} hits/query), "
          f"SQLite, load average {os.getloadavg()[0]:.1f}")
    print("  medians                            wall (ratio to baseline)     loop-thread CPU (ratio)")
    print(f"  baseline SELECT of the same rows: {b:8.2f} ms                  {bc:8.2f} ms")
    print(f"  warm search (signature + search): {w:8.2f} ms  = {w / b:5.2f} x     {wc:8.2f} ms  = {wc / bc:5.2f} x")
    print(f"  search after a change (on loop):  {c:8.2f} ms  = {c / b:5.2f} x     {cc:8.2f} ms  = {cc / bc:5.2f} x")
    print(f"  refit (build executor, off loop): {r:8.2f} ms  = {r / b:5.2f} x     {rc:8.2f} ms  = {rc / bc:5.2f} x")


if __name__ == "__main__":
    asyncio.run(main())
