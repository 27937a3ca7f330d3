"""FAQ search latency on the bot's path vs. a plain SELECT of the same rows, in the same process.

    .venv/bin/python bench/bench_faq.py [--questions 500] [--queries 200]

Creates a space with `--questions` resolved SOS threads (question + accepted answer, a few topics with
varied words), then times, on SQLite:
  * baseline: `SELECT` of the resolved questions joined with their root posts (what any listing reads);
  * warm search: `index_for` (the signature query, index cached) + `FaqIndex.search` — what `/faq` and a
    new question's acknowledgement cost when nothing changed;
  * cold search: the same after a question was resolved (the index is rebuilt from the database).
Prints medians and the ratios warm/baseline and cold/baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.clock import FakeClock  # noqa: E402
from bot.core import Core  # noqa: E402
from bot.db.database import Database  # noqa: E402
from bot.db.models import Member, Post, Question, Space  # noqa: E402
from bot.faq.index import SEARCH_THRESHOLD, index_for  # noqa: E402

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


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}")
        await db.create_schema()
        await fill(db, args.questions)
        core = Core(db, FakeClock(NOW))
        baseline, warm, cold = [], [], []
        hits = 0
        for i in range(args.queries):
            query = QUERIES[i % len(QUERIES)]
            async with db.transaction() as session:
                t = time.perf_counter()
                list((await session.execute(
                    select(Question, Post).join(Post, Post.id == Question.post_id)
                    .where(Question.space_id == "bench", Question.status == "resolved"))).all())
                baseline.append(time.perf_counter() - t)
            async with db.transaction() as session:
                t = time.perf_counter()
                index = await index_for(session, core, ("bench",))
                hits += len(index.search(query, SEARCH_THRESHOLD, 5))
                warm.append(time.perf_counter() - t)
        for i in range(min(20, args.queries)):
            async with db.transaction() as session:  # something changed: the next search rebuilds
                question = await session.get(Question, 1 + i)
                assert question is not None
                question.resolved_at = NOW + timedelta(minutes=i)
            async with db.transaction() as session:
                t = time.perf_counter()
                index = await index_for(session, core, ("bench",))
                index.search(QUERIES[i % len(QUERIES)], SEARCH_THRESHOLD, 5)
                cold.append(time.perf_counter() - t)
        await db.engine.dispose()
    b, w, c = median_ms(baseline), median_ms(warm), median_ms(cold)
    print(f"{args.questions} resolved questions, {args.queries} queries ({hits / args.queries:.1f} hits/query), SQLite")
    print(f"  baseline SELECT of the same rows: {b:8.2f} ms (median)")
    print(f"  warm search (signature + search): {w:8.2f} ms  = {w / b:5.2f} x baseline")
    print(f"  cold search (rebuild + search):   {c:8.2f} ms  = {c / b:5.2f} x baseline")


if __name__ == "__main__":
    asyncio.run(main())
