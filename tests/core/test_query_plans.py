"""The hot paths' queries use indexes on both databases (issue 17).

A scenario runs through the real app — new questions, replies, general posts, a ✅, /portfolio, the
sweep firing due ladder steps, the delivery claim, next_due — while a cursor listener keeps every
statement with its parameters. Each SELECT, UPDATE, DELETE and WITH is then explained: `EXPLAIN QUERY PLAN`
on SQLite, `EXPLAIN` on PostgreSQL with `enable_seqscan = off` (on tables this small the planner would
rightly scan; with scans priced out, a scan that remains means no index can serve the query). The test
fails on a full scan of a table that grows with traffic.
"""

from __future__ import annotations

import re
from datetime import timedelta

from core_support import make_app, question, react, reply, user

from bot.db.sql_capture import SqlCapture
from bot.events import CommandInvoked, PostCreated
from bot.refs import ChannelRef, MessageRef

GENERAL = ChannelRef("console", "general")
# Tables whose rows grow with traffic or with the membership. Not listed, on purpose: spaces and
# channels (one row per configured space or room) and kv (read by primary key only).
GROWING = {"posts", "tags", "questions", "scheduled_steps", "outbox", "declarations", "reviews",
           "processed_events", "event_failures", "escalations", "sos_assignments", "members", "roles"}
# WITH: on PostgreSQL the member read carries the event's claim as a CTE (EXPLAIN runs neither).
EXPLAINED = re.compile(r"^\s*(SELECT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


async def scenario(database_url: str) -> tuple[object, list[tuple[str, object]]]:
    app, _adapter, clock = await make_app(database_url)
    await app.core.register_channel("demo", GENERAL, "general", "general")
    sql = SqlCapture(keep=True)
    with sql.on(app.db.engine):
        await app.core.handle(question("e1", "Comment partager un fichier avec mes élèves ?", msg="q1"))
        await app.core.handle(question("e2", "Où trouver le tableur de l'ENT ?", who="bob", msg="q2"))
        await app.core.handle(reply("e3", "fabienne", "Essaie le bouton Partager de l'ENT.", root="q1", msg="r1"))
        await app.core.handle(reply("e4", "alice", "Merci, ça marche !", root="q1", msg="r2"))
        await app.core.handle(react("e5", "alice", "r1"))
        await app.core.handle(PostCreated("e6", user("bob"), GENERAL, MessageRef(GENERAL, "g1"),
                                          "Une séquence sur la citoyenneté numérique avec Pix."))
        await app.core.handle(PostCreated("e7", user("bob"), GENERAL, MessageRef(GENERAL, "g2"),
                                          "/declare A1-1 https://exemple.org/trace"))
        await app.core.handle(CommandInvoked("e8", user("bob"), GENERAL, "portfolio"))
        await app.run_once()  # delivery claim
        clock.advance(timedelta(days=2))
        await app.run_once()  # the sweep fires q2's due rungs, then delivers
        await app.next_due()
    return app, sql.statements


def _scans_sqlite(plan: list[tuple[object, ...]]) -> list[str]:
    found = []
    for row in plan:
        detail = str(row[-1])
        m = re.match(r"SCAN (\w+)", detail)
        if m and m.group(1) in GROWING and "COVERING INDEX" not in detail:
            found.append(detail)
    return found


def _scans_postgres(plan: list[tuple[object, ...]]) -> list[str]:
    found = []
    for (line,) in plan:
        m = re.search(r"Seq Scan on (\w+)", str(line))
        if m and m.group(1) in GROWING:
            found.append(str(line).strip())
    return found


async def test_hot_path_queries_use_indexes(database_url: str) -> None:
    app, statements = await scenario(database_url)
    try:
        explained, problems = 0, []
        async with app.db.engine.connect() as conn:
            if app.db.is_postgres:
                await conn.exec_driver_sql("SET enable_seqscan = off")
            for statement, params in {s: p for s, p in statements if EXPLAINED.match(s)}.items():
                prefix = "EXPLAIN QUERY PLAN " if app.db.is_sqlite else "EXPLAIN "
                args = tuple(params) if isinstance(params, list | tuple) else params
                plan = list((await conn.exec_driver_sql(prefix + statement, args)).all())
                scans = _scans_sqlite(plan) if app.db.is_sqlite else _scans_postgres(plan)
                explained += 1
                if scans:
                    problems.append(f"{' '.join(statement.split())[:2000]}\n    → {scans}")
            await conn.rollback()
        assert explained >= 20  # the scenario did reach the hot paths
        assert not problems, "full scans of growing tables:\n" + "\n".join(problems)
    finally:
        await app.close()


async def test_the_scenario_reaches_every_hot_path(sqlite_url: str) -> None:
    """A plan test is only as good as its scenario: posts, steps, deliveries and /portfolio all ran."""
    app, statements = await scenario(sqlite_url)
    await app.close()
    sql = " ".join(s for s, _ in statements)
    for needle in ("INSERT INTO posts", "INSERT INTO tags", "INSERT INTO questions", "UPDATE scheduled_steps",
                   "FROM scheduled_steps", "FROM outbox", "FROM declarations", "UPDATE outbox"):
        assert needle in sql, needle
