"""One-time login links and signed, expiring sessions.

A link carries a random token; only its SHA-256 is stored, and the row is marked used by a single
conditional UPDATE, so a link opens one session even when several instances race on it. The session
cookie is `<id>.<HMAC(secret, id)>`: forged cookies are refused before any query, and the database
row (hash of the id) carries the expiry, so logging out or expiring works on every instance.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import KeyValue, Member, WebLogin, WebSession

LINK_LIFETIME = timedelta(minutes=15)
LOGIN_PATH = "/connexion/"
PUBLIC_URL_KEY = "web.public_url"  # written by whichever process has [web] configured
COOKIE_NAME = "ticebot_session"
TOKEN_BYTES = 32


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def sign(secret: bytes, value: str) -> str:
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


async def issue_link(session: AsyncSession, member_id: int, now: datetime, public_url: str) -> str:
    """A fresh one-time link for this member, valid LINK_LIFETIME."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(WebLogin(token_hash=_digest(token), member_id=member_id, created_at=now,
                         expires_at=now + LINK_LIFETIME))
    await session.flush()
    return f"{public_url.rstrip('/')}{LOGIN_PATH}{token}"


async def consume_link(session: AsyncSession, token: str, now: datetime) -> int | None:
    """The member the link was issued to, once; None when unknown, used or expired."""
    if not token or len(token) > 200:
        return None
    token_hash = _digest(token)
    result = await session.execute(
        update(WebLogin)
        .where(WebLogin.token_hash == token_hash, WebLogin.used_at.is_(None), WebLogin.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    row = await session.get(WebLogin, token_hash)
    return row.member_id if row is not None else None


async def open_session(session: AsyncSession, secret: bytes, member_id: int, now: datetime,
                       lifetime: timedelta) -> str:
    """Create a session row and return the cookie value for it."""
    session_id = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(WebSession(id_hash=_digest(session_id), member_id=member_id, created_at=now,
                           expires_at=now + lifetime))
    # Housekeeping of our own rows only: expired links and sessions are of no use to anyone.
    await session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    await session.execute(delete(WebLogin).where(WebLogin.expires_at <= now - LINK_LIFETIME))
    await session.flush()
    return f"{session_id}.{sign(secret, session_id)}"


def session_id_of(secret: bytes, cookie: str | None) -> str | None:
    """The session id in a cookie whose signature is right; None otherwise (no query needed)."""
    if not cookie or cookie.count(".") != 1 or len(cookie) > 300:
        return None
    session_id, signature = cookie.split(".")
    return session_id if hmac.compare_digest(signature, sign(secret, session_id)) else None


async def session_member(session: AsyncSession, secret: bytes, cookie: str | None, now: datetime) -> Member | None:
    """The member of a valid, unexpired session; erased members have no session."""
    session_id = session_id_of(secret, cookie)
    if session_id is None:
        return None
    row = await session.get(WebSession, _digest(session_id))
    if row is None or row.expires_at <= now:
        return None
    member = await session.get(Member, row.member_id)
    return member if member is not None and member.erased_at is None else None


async def close_session(session: AsyncSession, secret: bytes, cookie: str | None) -> None:
    session_id = session_id_of(secret, cookie)
    if session_id is not None:
        await session.execute(delete(WebSession).where(WebSession.id_hash == _digest(session_id)))


def opaque_ref(secret: bytes, session_cookie: str, kind: str, value: str) -> str:
    """A reference to `value` that only means something inside this session (no guessable ids in URLs)."""
    return sign(secret, f"{kind}:{session_cookie}:{value}")[:24]


async def public_url(session: AsyncSession) -> str | None:
    row = await session.get(KeyValue, PUBLIC_URL_KEY)
    return row.value if row is not None else None


async def publish_public_url(session: AsyncSession, url: str) -> None:
    """Record where the dashboard is reached, so `/tableau` on any instance can build links."""
    row = await session.get(KeyValue, PUBLIC_URL_KEY)
    if row is None:
        session.add(KeyValue(key=PUBLIC_URL_KEY, value=url.rstrip("/")))
    else:
        row.value = url.rstrip("/")

