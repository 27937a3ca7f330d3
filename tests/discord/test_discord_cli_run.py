"""`ticebot run --config ticebot.toml` as a subprocess against a Discord-compatible server on 127.0.0.1.

The bot is pointed at the server with `[discord] api_base` (the gateway comes from `GET /gateway`); the
test plays the people through gateway events and checks the REST requests the bot made.
SOS delay 6s → nudge at 1.5s, referent DM at 3s, formateurs' alert at 4.5s, breach at 6s.
"""

from __future__ import annotations

import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import discord_payloads as p
import pytest
from discord_cli_config import discord_run_config
from discord_server import DiscordServer
from ticebot_process import TicebotProcess, start_ticebot

TOKEN = "e2e.Discord-Bot-Token.4f1c9b7e"
DELAY_S = 10.0
GENERAL = p.text_channel(p.GENERAL, "general")


@pytest.fixture
async def server() -> AsyncIterator[DiscordServer]:
    started = DiscordServer(TOKEN)
    await started.start()
    yield started
    await started.close()


def config(server: DiscordServer, db: Path) -> str:
    return discord_run_config(server, db, delay=f"{DELAY_S:g}s", token_env="TICEBOT_DISCORD_TOKEN",
                              tutor_role="Tuteurs")


def dm_channel_of(server: DiscordServer, user_id: int) -> dict[str, Any] | None:
    return next(
        (c for c in server.api.channels.values() if c["type"] == 1 and int(c["recipients"][0]["id"]) == user_id),
        None,
    )


def posted_in(channel_id: int | str) -> str:
    return rf"/channels/{channel_id}/messages"


async def test_ticebot_run_serves_a_discord_compatible_server(server: DiscordServer, tmp_path: Path) -> None:
    started = time.monotonic()
    bot = start_ticebot(tmp_path, config(server, tmp_path / "ticebot.db"), {"TICEBOT_DISCORD_TOKEN": TOKEN})
    try:
        with bot.explained():
            await scenario(server, bot)
            code, took = await bot.stop(signal.SIGTERM, within=10)
            assert code == 0, bot.tail()
            assert took < 5, f"ticebot run took {took:.1f}s to stop"
    finally:
        bot.kill()
    output = bot.output()
    assert TOKEN not in output
    assert "ticebot stopping" in output
    assert not server.refused, server.refused
    assert time.monotonic() - started < 40


async def scenario(server: DiscordServer, bot: TicebotProcess) -> None:
    await server.wait_connected()
    bot.assert_alive()
    (query,) = server.gateway_queries
    assert query["v"] == "10" and query["encoding"] == "json"
    # discord.py asks for transport compression; the server answers zlib-stream (zstd-stream: plain text).
    assert query.get("compress") in ("zlib-stream", "zstd-stream", None)
    identify = server.identifies[0]
    assert identify["token"] == TOKEN
    wanted = discord.Intents._from_value(identify["intents"])
    assert wanted.members and wanted.message_content and wanted.guild_messages
    # Slash commands were synced for the guild (and the DM copies globally) before connecting.
    (synced,) = server.calls("PUT", rf"/applications/{p.APP_ID}/guilds/{p.GUILD_ID}/commands")
    assert {"sos", "declare", "valider"} <= {c["name"] for c in synced.json}
    assert server.calls("PUT", rf"/applications/{p.APP_ID}/commands")

    # A forum post in the SOS forum: the receipt in its thread, the "En attente" tag, then the nudge.
    asked = time.monotonic()
    post = await server.forum_post(
        p.SOS_FORUM, p.ALICE, "Alice", "Partager sans ENT ?", "Comment partager un document avec mes élèves sans ENT ?"
    )
    receipt = await server.wait_call("POST", posted_in(post))
    assert f"<@{p.ALICE}>" in (receipt.content or "")
    tagged = await server.wait_call("PATCH", rf"/channels/{post}", lambda c: "applied_tags" in (c.json or {}))
    assert tagged.json["applied_tags"] == [str(p.TAG_OPEN)]
    await server.wait_call("POST", posted_in(post), skip=1)  # the nudge
    nudged = time.monotonic() - asked
    assert DELAY_S * 0.25 - 0.2 <= nudged < DELAY_S * 0.5 + 1, f"nudge {nudged:.2f}s after the post"

    # The formateur (Discord role mapped to trainer) answers in the thread: the ladder stops.
    await server.reply(post, p.FABIENNE, "Fabienne", "Passe par l'espace de partage.", roles=[p.TRAINER_ROLE])
    in_thread = len(server.calls("POST", posted_in(post)))

    # /declare in #general: acknowledged privately at once, the formateur gets a DM with the buttons.
    declare = p.slash(
        "declare",
        [{"name": "code", "type": 3, "value": "B2-3"}, {"name": "trace", "type": 3, "value": "https://exemple.org/seq"}],
        p.ALICE,
        "Alice",
        GENERAL,
    )
    await server.interaction(declare)
    ack = await server.wait_call("POST", r"/interactions/\d+/[^/]+/callback")
    assert ack.json["type"] == 4 and ack.json["data"]["flags"] == 64
    await server.wait_call("POST", r"/users/@me/channels", lambda c: str(c.json["recipient_id"]) == str(p.FABIENNE))
    dm = dm_channel_of(server, p.FABIENNE)
    assert dm is not None
    notice_call = await server.wait_call("POST", posted_in(dm["id"]), lambda c: bool(c.json.get("components")))
    assert "B2-3" in (notice_call.content or "")
    notice = next(m for m in server.api.messages.values() if m["channel_id"] == dm["id"] and m.get("components"))
    buttons = [b["custom_id"] for row in notice["components"] for b in row["components"]]
    validate = next(custom_id for custom_id in buttons if custom_id.endswith(":validate"))

    # She clicks Valider in her DM: acknowledged at once, and the member is told privately, by name.
    alice_dm = await wait_dm(server, p.ALICE)  # opened for the first-contact notice
    before = len(server.calls("POST", posted_in(alice_dm)))
    await server.interaction(p.button_click(validate, p.FABIENNE, "Fabienne", dm, notice, guild_id=None))
    clicked = await server.wait_call("POST", r"/interactions/\d+/[^/]+/callback", skip=1)
    assert clicked.json["type"] == 4 and clicked.json["data"]["flags"] == 64
    validated = await server.wait_call("POST", posted_in(alice_dm), skip=before)
    text = validated.content or ""
    assert "B2-3" in text and f"<@{p.ALICE}>" in text and f"<@{p.FABIENNE}>" in text, text

    # Past the deadline (+1.5s): nothing more about the answered question — no referent DM, no alert in
    # the formateurs' channel, no breach in the thread or to the coordinator, no "Escaladé" tag.
    await server.run_until(asked + DELAY_S + 1.5)
    bot.assert_alive()
    assert not server.calls("POST", posted_in(p.TRAINERS))
    thread_posts = [c.content for c in server.calls("POST", posted_in(post))]
    assert len(thread_posts) == in_thread, thread_posts
    fabienne_dm = [c.content for c in server.calls("POST", posted_in(dm["id"]))]
    # The first-contact notice, the declaration, "noted" after her click; no referent DM about the question.
    assert len(fabienne_dm) == 3 and "B2-3" in (fabienne_dm[-1] or ""), fabienne_dm
    claire_dm = dm_channel_of(server, p.CLAIRE)
    assert claire_dm is None or not server.calls("POST", posted_in(claire_dm["id"]))
    patches = server.calls("PATCH", rf"/channels/{post}")
    assert [str(p.TAG_ESCALATED)] not in [c.json.get("applied_tags") for c in patches]


async def wait_dm(server: DiscordServer, user_id: int) -> str:
    await server.wait_call("POST", r"/users/@me/channels", lambda c: str(c.json["recipient_id"]) == str(user_id))
    dm = dm_channel_of(server, user_id)
    assert dm is not None
    return str(dm["id"])


async def test_a_refused_token_stops_ticebot_run_with_one_clear_line(server: DiscordServer, tmp_path: Path) -> None:
    wrong = "not.the-right.token"
    bot = start_ticebot(tmp_path, config(server, tmp_path / "ticebot.db"), {"TICEBOT_DISCORD_TOKEN": wrong})
    try:
        code = await bot.wait_exit(20)
    finally:
        bot.kill()
    assert code == 2, bot.tail()
    assert "TICEBOT_DISCORD_TOKEN" in bot.stderr_path.read_text()
    assert wrong not in bot.output()
    assert server.refused == ["/users/@me"]
