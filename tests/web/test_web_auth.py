"""Links work once and expire; sessions are signed, HttpOnly, SameSite and expire; attempts are limited."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from web_support import SECRET, replay_into, site, token_of

from bot.clock import FakeClock
from bot.config import ConfigError
from bot.db.models import Member, WebLogin, WebSession
from bot.privacy.erase import erase_member
from bot.web import auth
from bot.web.limits import AttemptLimiter
from bot.web.secret import load_secret
from bot.web.security import HEADERS


async def test_a_link_opens_one_session_once(database_url: str) -> None:
    now = await replay_into(database_url)
    async with site(database_url, now) as s:
        link = await s.link_for("claire")
        assert link.startswith(str(s.client.make_url("/connexion/")))
        # Opening the link (or a chat platform's preview fetching it) does not use it up.
        for _ in range(2):
            form = await s.client.get(link.removeprefix(str(s.client.make_url(""))))
            assert form.status == 200 and 'name="token"' in await form.text()
        first = await s.client.post("/connexion", data={"token": token_of(link)}, allow_redirects=False)
        assert first.status == 303 and first.headers["Location"] == "/"
        cookie = first.cookies[auth.COOKIE_NAME]
        assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
        assert int(cookie["max-age"]) == 8 * 3600
        assert (await s.client.get("/")).status == 200
        s.client.session.cookie_jar.clear()
        again = await s.client.post("/connexion", data={"token": token_of(link)}, allow_redirects=False)
        assert again.status == 403 and "plus valable" in await again.text()
        assert auth.COOKIE_NAME not in again.cookies
        assert (await s.client.get("/")).status == 401
        async with s.db.transaction() as session:
            assert await session.scalar(select(func.count()).select_from(WebSession)) == 1


async def test_an_expired_link_is_refused(database_url: str) -> None:
    now = await replay_into(database_url)
    async with site(database_url, now) as s:
        link = await s.link_for("claire")
        s.clock.advance(timedelta(minutes=15))
        late = await s.client.post("/connexion", data={"token": token_of(link)}, allow_redirects=False)
        assert late.status == 403 and auth.COOKIE_NAME not in late.cookies
        assert (await s.client.get("/espace/lettres")).status == 401


async def test_a_link_used_by_two_instances_at_once_opens_one_session(database_url: str) -> None:
    """Two web servers on one database race on the same link: exactly one of them opens a session."""
    now = await replay_into(database_url)
    async with site(database_url, now) as one, site(database_url, now) as two:
        token = token_of(await one.link_for("claire"))
        answers = await asyncio.gather(
            one.client.post("/connexion", data={"token": token}, allow_redirects=False),
            two.client.post("/connexion", data={"token": token}, allow_redirects=False))
        assert sorted(a.status for a in answers) == [303, 403]
        async with one.db.transaction() as session:
            assert await session.scalar(select(func.count()).select_from(WebSession)) == 1
            assert (await session.scalar(select(WebLogin.used_at))) is not None


async def test_sessions_expire_and_logging_out_ends_them(two_spaces: tuple[str, datetime]) -> None:
    url, now = two_spaces
    async with site(url, now, session_lifetime=timedelta(hours=2)) as s:
        await s.login("claire")
        cookie = s.client.session.cookie_jar.filter_cookies(s.client.make_url("/"))[auth.COOKIE_NAME].value
        s.clock.advance(timedelta(hours=1, minutes=59))
        assert (await s.client.get("/espace/lettres")).status == 200
        s.clock.advance(timedelta(minutes=1))
        expired = await s.client.get("/espace/lettres")
        assert expired.status == 401 and "Quelle appli" not in await expired.text()
        s.clock.set(now)
        await s.login("claire")
        second = s.client.session.cookie_jar.filter_cookies(s.client.make_url("/"))[auth.COOKIE_NAME].value
        assert second != cookie
        out = await s.client.post("/deconnexion")
        assert out.status == 200
        # Replaying the cookie after logout: the session row is gone.
        replayed = await s.client.get("/espace/lettres", headers={"Cookie": f"{auth.COOKIE_NAME}={second}"})
        assert replayed.status == 401


async def test_forged_or_tampered_cookies_are_refused(two_spaces: tuple[str, datetime]) -> None:
    url, now = two_spaces
    async with site(url, now) as s:
        await s.login("claire")
        good = s.client.session.cookie_jar.filter_cookies(s.client.make_url("/"))[auth.COOKIE_NAME].value
        session_id, signature = good.split(".")
        s.client.session.cookie_jar.clear()
        other_key = auth.sign(b"another-secret" * 3, session_id)
        for forged in (f"{session_id}.{'0' * 64}", f"{session_id}.{other_key}", session_id, f"x.{signature}", ""):
            answer = await s.client.get("/espace/lettres", headers={"Cookie": f"{auth.COOKIE_NAME}={forged}"})
            assert answer.status == 401, forged
        assert auth.session_id_of(SECRET, good) == session_id


async def test_an_erased_member_loses_their_session(two_spaces: tuple[str, datetime], tmp_path: Path) -> None:
    url, now = two_spaces
    copy = tmp_path / "copy.db"
    shutil.copy(url.removeprefix("sqlite+aiosqlite:///"), copy)
    async with site(f"sqlite+aiosqlite:///{copy}", now) as s:
        await s.login("alice")
        assert (await s.client.get("/espace/lettres/portfolio")).status == 200
        async with s.db.transaction() as session:
            alice = (await session.execute(select(Member).where(Member.platform_user_id == "alice"))).scalar_one()
            await erase_member(session, alice, now)
        assert (await s.client.get("/espace/lettres/portfolio")).status == 401


async def test_login_attempts_are_limited_per_address(two_spaces: tuple[str, datetime]) -> None:
    url, now = two_spaces
    async with site(url, now) as s:
        assert s.state.limiter is not None
        for n in range(s.state.limiter.per_address):
            wrong = await s.client.post("/connexion", data={"token": f"{n:06d}-wrong-token"})
            assert wrong.status == 403
        # Even a valid link is not checked any more from this address, until the window passes.
        link = await s.link_for("claire")
        blocked = await s.client.post("/connexion", data={"token": token_of(link)}, allow_redirects=False)
        assert blocked.status == 429 and "Trop de tentatives" in await blocked.text()
        s.clock.advance(timedelta(minutes=10, seconds=1))
        link = await s.link_for("claire")
        ok = await s.client.post("/connexion", data={"token": token_of(link)}, allow_redirects=False)
        assert ok.status == 303


async def test_login_attempts_are_limited_per_token_prefix(two_spaces: tuple[str, datetime]) -> None:
    """Guessing the end of a token seen partly (a cut-off link) is stopped whatever the address."""
    url, now = two_spaces
    async with site(url, now, limiter=None) as s:
        limiter = s.state.limiter
        assert limiter is not None
        token = token_of(await s.link_for("claire"))
        for n in range(limiter.per_prefix):
            address = f"10.0.0.{n}"
            assert limiter.allowed(address, token[:6] + f"guess{n}")
            limiter.failed(address)
        assert not limiter.allowed("10.0.0.99", token)  # the right token, but its prefix is exhausted
        assert limiter.allowed("10.0.0.99", "other-prefix-token")


def test_the_limiter_forgets_old_attempts() -> None:
    clock = FakeClock(datetime(2026, 9, 1, tzinfo=UTC))
    limiter = AttemptLimiter(clock, per_address=2, per_prefix=100)
    for _ in range(2):
        assert limiter.allowed("1.2.3.4", "abcdefgh")
        limiter.failed("1.2.3.4")
    assert not limiter.allowed("1.2.3.4", "abcdefgh")
    clock.advance(limiter.window)
    assert limiter.allowed("1.2.3.4", "abcdefgh")
    limiter.forget_empty()
    assert "1.2.3.4" not in limiter._failures


async def test_security_headers_on_every_response(two_spaces: tuple[str, datetime]) -> None:
    url, now = two_spaces
    async with site(url, now) as s:
        answers = [await s.client.get("/"), await s.client.get("/nope"), await s.client.get("/static/ticebot.css"),
                   await s.client.post("/connexion", data={"token": "x"})]
        await s.login("claire")
        answers += [await s.client.get("/espace/lettres"), await s.client.get("/espace/maths"),
                    await s.client.get("/espace/lettres/bilan.csv")]
        for answer in answers:
            for name, value in HEADERS.items():
                assert answer.headers.get(name) == value, (answer.url, name)
        csp = HEADERS["Content-Security-Policy"]
        assert "script-src" not in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
        page = await answers[4].text()
        assert "<script" not in page and " style=" not in page and "<style" not in page


async def test_html_is_escaped(tmp_path: Path) -> None:
    """A question's text is data: markup in it is shown, never run."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'xss.db'}"
    now = await replay_into(url, "space lettres\nmember alice\ncoordinator claire\nat 2026-09-07T09:00\n"
                                 "alice in sos: <img src=x onerror=alert(1)> comment faire une capture ?\n")
    async with site(url, now) as s:
        await s.login("claire")
        page = await (await s.client.get("/espace/lettres")).text()
        assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_the_signing_secret_comes_from_the_env_or_a_private_file(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path
    first = load_secret(None, directory)
    assert len(first) >= 32 and (directory / "web-secret").stat().st_mode & 0o777 == 0o600
    assert load_secret(None, directory) == first  # kept: sessions survive a restart
    monkeypatch.setenv("TICEBOT_WEB_SECRET", "short")
    with pytest.raises(ConfigError, match="TICEBOT_WEB_SECRET"):
        load_secret("TICEBOT_WEB_SECRET", directory)
    monkeypatch.setenv("TICEBOT_WEB_SECRET", "k" * 40)
    assert load_secret("TICEBOT_WEB_SECRET", directory) == b"k" * 40
