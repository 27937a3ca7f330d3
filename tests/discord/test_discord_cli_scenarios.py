"""Discord as it really behaves, end to end: `ticebot run` as a subprocess against the double.

- down ten minutes while members post, reply and react → after the restart every question is there with
  its original time, answers count, nothing is doubled ("ten minutes" is the double's clock, moved on);
- malformed payloads in the middle of a session → the bot keeps serving;
- a failed or slow acknowledgement → the command still takes effect;
- a rate-limit storm during a ladder → everything is delivered, in order per conversation.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import discord_payloads as p
import pytest
from discord_cli_config import discord_run_config
from discord_server import DiscordServer
from ticebot_process import TicebotProcess, start_ticebot

TOKEN = "e2e.Discord-Bot-Token.9a8b7c6d"
GENERAL = p.text_channel(p.GENERAL, "general")
MINUTE = 60.0


def config(server: DiscordServer, db: Path, delay: str) -> str:
    return discord_run_config(server, db, delay=delay)


@pytest.fixture
async def server() -> AsyncIterator[DiscordServer]:
    # The double's clock runs a quarter of an hour behind: it can move "ten minutes later" and stay in
    # the past of the bot's own clock, as Discord's timestamps always are.
    started = DiscordServer(TOKEN, offset=-15 * MINUTE)
    await started.start()
    yield started
    await started.close()


def run_bot(server: DiscordServer, tmp_path: Path, delay: str = "1h") -> TicebotProcess:
    return start_ticebot(tmp_path, config(server, tmp_path / "ticebot.db", delay), {"TICEBOT_DISCORD_TOKEN": TOKEN})


async def wait_log(server: DiscordServer, bot: TicebotProcess, text: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while text not in bot.output():
        bot.assert_alive()
        assert time.monotonic() < deadline, f"no «{text}» in the log within {within}s"
        await server.run_until(time.monotonic() + 0.2)


async def quiet(server: DiscordServer, seconds: float = 1.5, within: float = 20.0) -> None:
    """Until the bot has made no request for `seconds` (everything due was delivered)."""
    deadline = time.monotonic() + within
    while True:
        count = len(server.api.calls)
        await server.run_until(time.monotonic() + seconds)
        if len(server.api.calls) == count:
            return
        assert time.monotonic() < deadline, "the bot never went quiet"


async def stop(bot: TicebotProcess) -> None:
    code, _took = await bot.stop(signal.SIGTERM, within=15)
    assert code == 0, bot.tail()


@contextmanager
def database(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(tmp_path / "ticebot.db")
    connection.row_factory = sqlite3.Row
    try:
        yield connection
    finally:
        connection.close()


def when(stored: str | None) -> datetime | None:
    return None if stored is None else datetime.fromisoformat(stored).replace(tzinfo=UTC)


def at(snowflake: int) -> datetime:
    return discord.utils.snowflake_time(snowflake)


def saying(text: str) -> Any:
    return lambda call: text in (call.content or "")


def bot_messages(server: DiscordServer, channel_id: int) -> list[str]:
    return [m["content"] for m in server.api.messages_in(channel_id) if m["author"]["id"] == str(p.BOT_ID)]


# ---------------------------------------------------------------- down ten minutes


async def test_ten_minutes_down_everything_is_caught_up_once(server: DiscordServer, tmp_path: Path) -> None:
    bot = run_bot(server, tmp_path)
    try:
        with bot.explained():
            await server.wait_connected()
            await wait_log(server, bot, "first connection to guild")
            before = await server.forum_post(p.SOS_FORUM, p.ALICE, "Alice", "Capsule vidéo",
                                             "Quel outil pour faire une capsule vidéo ?")
            await server.wait_call("POST", rf"/channels/{before}/messages")  # the receipt
            await quiet(server)
            await stop(bot)

            # Ten minutes without the bot, on the double's clock.
            server.clock.advance(1 * MINUTE)
            missed = await server.forum_post(p.SOS_FORUM, p.BRUNO, "Bruno", "Exporter Pronote",
                                             "Comment exporter mes notes de Pronote ?")
            server.clock.advance(3 * MINUTE)
            answer = await server.reply(before, p.CLAIRE, "Claire", "Essaie Digiview, c'est simple.")
            server.clock.advance(2 * MINUTE)
            await server.react(answer, before, p.ALICE, "Alice", "✅")
            server.clock.advance(1 * MINUTE)
            staff = await server.reply(missed, p.FABIENNE, "Fabienne", "Menu Notes, puis Exporter.",
                                       roles=[p.TRAINER_ROLE])
            server.clock.advance(3 * MINUTE)

            bot = run_bot(server, tmp_path)
            await server.wait_connected(sessions=2)
            await wait_log(server, bot, "caught up 3 post(s) and 1 reaction(s)")
            await server.wait_call("POST", rf"/channels/{missed}/messages", saying("enregistrée"))
            await server.wait_call("POST", rf"/channels/{before}/messages", saying("résolue"))
            await quiet(server)
            await stop(bot)

            # A third start: nothing new to say, nothing said twice.
            said = len(server.api.sent())
            bot = run_bot(server, tmp_path)
            await server.wait_connected(sessions=3)
            await wait_log(server, bot, "caught up 0 post(s)")
            await quiet(server)
            await stop(bot)
            assert len(server.api.sent()) == said
    finally:
        bot.kill()

    with database(tmp_path) as db:
        rows = {r["thread_root_id"]: r for r in db.execute("SELECT * FROM questions")}
    assert set(rows) == {str(before), str(missed)}
    assert when(rows[str(missed)]["created_at"]) == at(missed)  # its original time, ten minutes back
    assert rows[str(missed)]["status"] == "answered" and when(rows[str(missed)]["answered_at"]) == at(staff)
    assert rows[str(before)]["status"] == "resolved" and when(rows[str(before)]["answered_at"]) == at(answer)
    assert [t for t in bot_messages(server, missed) if "enregistrée" in t].__len__() == 1
    assert [t for t in bot_messages(server, before) if "enregistrée" in t].__len__() == 1
    assert [t for t in bot_messages(server, before) if "résolue" in t].__len__() == 1


# ---------------------------------------------------------------- malformed payloads


async def test_malformed_payloads_mid_session_do_not_stop_the_bot(server: DiscordServer, tmp_path: Path) -> None:
    bot = run_bot(server, tmp_path)
    try:
        with bot.explained():
            await server.wait_connected()
            await wait_log(server, bot, "first connection to guild")
            dm_reaction = p.reaction_add(55, 66, p.ALICE, "Alice", "✅", guild_id=None)
            dm_reaction["guild_id"] = None
            roles_as_objects = p.member_update(p.BRUNO, "Bruno", [])
            roles_as_objects["roles"] = [{"id": str(p.TRAINER_ROLE), "name": "Formateurs"}]
            partial = p.reaction_add(77, p.GENERAL, p.BRUNO, "Bruno", "👍")
            partial["member"] = {"roles": [], "joined_at": None}
            for event, payload in [
                ("MESSAGE_REACTION_ADD", dm_reaction),
                ("GUILD_MEMBER_UPDATE", roles_as_objects),
                ("MESSAGE_REACTION_ADD", partial),
                ("MESSAGE_CREATE", {"id": "1", "channel_id": str(p.GENERAL), "content": "texte-secret-42"}),
                ("GUILD_MEMBER_UPDATE", {"guild_id": str(p.GUILD_ID), "roles": []}),
            ]:
                await server.gateway.dispatch(event, payload)  # raw: the double's state is not touched
            post = await server.forum_post(p.SOS_FORUM, p.ALICE, "Alice", "Toujours là ?",
                                           "Comment partager un document sans ENT ?")
            await server.wait_call("POST", rf"/channels/{post}/messages")  # still serving
            await server.wait_until(lambda: "trainer" in roles_of(tmp_path, p.BRUNO), what="Bruno's role")
            bot.assert_alive()
            assert len(server.identifies) == 1  # the same session: no reconnection was needed
            await stop(bot)
    finally:
        bot.kill()
    output = bot.output()
    assert output.count("skipped a malformed") == 2 and "texte-secret-42" not in output
    assert "trainer" in roles_of(tmp_path, p.BRUNO)  # the role objects were read as the ids they carry


def roles_of(tmp_path: Path, user_id: int) -> set[str]:
    with database(tmp_path) as db:
        rows = db.execute("SELECT r.role FROM roles r JOIN members m ON m.id = r.member_id "
                          "WHERE m.platform_user_id = ?", (str(user_id),)).fetchall()
    return {r["role"] for r in rows}


# ---------------------------------------------------------------- acknowledgements


def declare(code: str, trace: str) -> dict[str, Any]:
    options = [{"name": "code", "type": 3, "value": code}, {"name": "trace", "type": 3, "value": trace}]
    return p.slash("declare", options, p.ALICE, "Alice", GENERAL)


async def test_a_failed_or_slow_acknowledgement_still_takes_effect(server: DiscordServer, tmp_path: Path) -> None:
    callback = r"/interactions/\d+/[^/]+/callback"
    bot = run_bot(server, tmp_path)
    try:
        with bot.explained():
            await server.wait_connected()
            await wait_log(server, bot, "first connection to guild")
            # Every try fails (discord.py retries a 500 on its own, after 1 s then 3 s).
            server.api.fail("POST", callback, 500, message="Internal Server Error", sticky=True)
            await server.interaction(declare("B2-3", "https://exemple.org/sequence"))
            # Fabienne is asked to review it: the declaration exists.
            await server.wait_call("POST", r"/channels/\d+/messages", lambda c: bool(c.json.get("components")))
            await wait_dm_text(server, p.ALICE, "/declare")  # Alice is told it was taken into account
            server.api.clear_failures()

            server.api.fail("POST", callback, 0, delay=4.0)  # the answer comes after Discord's 3 s
            await server.interaction(declare("B2-2", "Une séquence en demi-groupe"))
            await server.wait_call("POST", r"/channels/\d+/messages", lambda c: bool(c.json.get("components")),
                                   skip=1)
            await server.wait_until(lambda: 404 in [c.status for c in server.api.find("POST", callback)],
                                    what="the late answer to the callback")
            await stop(bot)
    finally:
        bot.kill()
    with database(tmp_path) as db:
        declared = [(r["code"], r["state"]) for r in db.execute("SELECT code, state FROM declarations ORDER BY id")]
    assert declared == [("B2-3", "declared"), ("B2-2", "declared")]
    statuses = [c.status for c in server.api.find("POST", callback)]
    assert 500 in statuses and 404 in statuses  # refused, then expired (10062), as the double says


def refused_writes(server: DiscordServer) -> int:
    assert server.api.rate_limits is not None
    return sum(1 for method, _path, _global in server.api.rate_limits.refused if method != "GET")


def all_sent(tmp_path: Path, breaches: int) -> bool:
    with database(tmp_path) as db:
        rows = list(db.execute("SELECT template, status FROM outbox"))
    done = sum(1 for r in rows if r["template"] == "sos/breach_thread" and r["status"] == "sent")
    return done == breaches and all(r["status"] == "sent" for r in rows)


async def wait_dm_text(server: DiscordServer, user_id: int, text: str) -> None:
    def told() -> bool:
        dm = server.api.dm_of(user_id)
        return dm is not None and any(text in t for t in bot_messages(server, int(dm["id"])))

    await server.wait_until(told, within=15, what=f"a DM to {user_id} saying {text}")


# ---------------------------------------------------------------- rate-limit storm


async def test_a_rate_limit_storm_during_a_ladder_delivers_everything_in_order(
    server: DiscordServer, tmp_path: Path
) -> None:
    assert server.api.rate_limits is not None
    server.api.rate_limits.tighten("create-message", 2, 1.0)  # tighter than Discord: a storm in seconds
    bot = run_bot(server, tmp_path, delay="12s")  # nudge 3 s, referent 6 s, formateurs 9 s, breach 12 s
    try:
        with bot.explained():
            await server.wait_connected()
            await wait_log(server, bot, "first connection to guild")
            posts = []
            for n, (who, name) in enumerate([(p.ALICE, "Alice"), (p.BRUNO, "Bruno"), (p.ALICE, "Alice")]):
                posts.append(await server.forum_post(p.SOS_FORUM, who, name, f"Question {n}",
                                                     f"Comment faire l'exercice {n} sur l'ENT ?"))
            limits = server.api.rate_limits
            limits.storm(seconds=120, retry_after=0.7)  # every write refused…
            await server.wait_until(lambda: refused_writes(server) >= 3, within=60, what="the storm hitting writes")
            await server.run_until(time.monotonic() + 2.0)  # …for a while, during the ladder
            limits.calm()
            limits.storm(seconds=120, retry_after=0.5, global_=True)  # then every request, globally
            await server.wait_until(lambda: any(g for _, _, g in limits.refused), within=60, what="a global 429")
            limits.calm()
            await server.wait_until(lambda: all_sent(tmp_path, breaches=len(posts)), within=60,
                                    what="every message delivered")
            await stop(bot)
    finally:
        bot.kill()
    with database(tmp_path) as db:
        rows = list(db.execute("SELECT id, template, status, platform_message_id, payload FROM outbox ORDER BY id"))
    assert rows and all(r["status"] == "sent" for r in rows), [(r["template"], r["status"]) for r in rows]
    for post in posts:
        in_thread = [r for r in rows if f'"id": "{post}"' in r["payload"] and r["template"]]
        templates = [r["template"] for r in in_thread]
        assert templates[:2] == ["sos/received", "sos/nudge"], templates
        assert "sos/breach_thread" in templates
        ids = [int(r["platform_message_id"]) for r in in_thread if r["platform_message_id"]]
        assert ids == sorted(ids), f"thread {post}: delivered out of order"
        texts = bot_messages(server, post)
        assert len(texts) == len([r for r in in_thread if r["platform_message_id"]])  # none lost, none twice
