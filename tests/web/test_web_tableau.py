"""`/tableau`: a one-time link, always by private message, that opens a session for that person."""

from __future__ import annotations

import re

from web_support import site, token_of

from adapters.console.replay import Replay
from bot.web.auth import publish_public_url

SCRIPT = """space lettres referential=c2i2e
member alice lang=en
coordinator claire
at 2026-09-07T09:00
alice in sos: Comment partager un document sans passer par l'ENT ?
"""
LINK = re.compile(r"https?://\S+/connexion/\S+")


async def _replay(url: str) -> Replay:
    replay = Replay(database_url=url, json_lines=True)
    await replay.run_script(SCRIPT)
    return replay


def _sent(replay: Replay, template: str) -> list:
    return [d for d in replay.delivered if d.template == template]


async def test_tableau_sends_a_private_link_that_opens_a_session(database_url: str) -> None:
    replay = await _replay(database_url)
    try:
        async with site(database_url, replay.clock.now()) as s:
            async with s.db.transaction() as session:
                await publish_public_url(session, str(s.client.make_url("")))
            await replay.run_line("claire dm: /tableau")
            [dm] = _sent(replay, "web/link")
            assert dm.kind == "send_direct" and dm.to == "claire"
            assert "valable 15 minutes, une seule fois" in dm.text
            link = LINK.search(dm.text)
            assert link is not None
            opened = await s.client.post("/connexion", data={"token": token_of(link.group(0))},
                                         allow_redirects=False)
            assert opened.status == 303
            home = await (await s.client.get("/")).text()
            assert "Bonjour claire" in home and 'href="/espace/lettres"' in home
    finally:
        await replay.close()


async def test_tableau_in_a_public_thread_still_answers_privately(sqlite_url: str) -> None:
    replay = await _replay(sqlite_url)
    try:
        assert replay.app is not None
        async with replay.app.db.transaction() as session:
            await publish_public_url(session, "https://tableau.example.org")
        await replay.run_line("alice reply: /tableau")
        [dm] = _sent(replay, "web/link")
        assert dm.kind == "send_direct" and dm.to == "alice" and dm.thread == ""
        assert dm.text.startswith("Your link to the dashboard")  # alice reads English
        assert "https://tableau.example.org/connexion/" in dm.text
        thread_posts = [d for d in replay.delivered if d.thread and "connexion/" in d.text]
        assert thread_posts == []
    finally:
        await replay.close()


async def test_tableau_without_a_dashboard_or_without_a_role_explains(sqlite_url: str) -> None:
    replay = await _replay(sqlite_url)
    try:
        await replay.run_line("claire dm: /tableau")
        [off] = _sent(replay, "web/not_enabled")
        assert off.to == "claire" and "[web]" in off.text and "connexion/" not in off.text
        assert replay.app is not None
        async with replay.app.db.transaction() as session:
            await publish_public_url(session, "https://tableau.example.org")
        await replay.run_line("oscar dm: /tableau")
        [nobody] = _sent(replay, "web/no_role")
        assert nobody.to == "oscar" and "connexion/" not in nobody.text
        assert _sent(replay, "web/link") == []
    finally:
        await replay.close()
