"""The dashboard's routes. Read-only: the only rows it writes are its own (links used, sessions).

Every space page checks the viewer's roles in that space on every request (`scope.py`); a space the
viewer has no role in gets the same 403 whether it exists or not. Member bilans are addressed by
references that only mean something inside the viewer's session.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import SpaceConfig
from bot.db.database import Database
from bot.db.models import Member, Space
from bot.declarations.bilan import BilanRow, bilan_rows, to_csv
from bot.declarations.portfolio import portfolio_data
from bot.web import auth, charts
from bot.web.limits import AttemptLimiter
from bot.web.panels.coverage import coverage
from bot.web.panels.participation import participation
from bot.web.panels.promise import open_queue, promise
from bot.web.panels.reviews import pending, review_times
from bot.web.panels.trainer import trainer_view
from bot.web.render import page
from bot.web.scope import ALL_BILANS, DASHBOARD, OWN_PORTFOLIO, TRAINER_VIEW, Scope, scope_of
from bot.web.security import add_headers

STATIC_DIR = Path(__file__).resolve().parent / "static"


@dataclass
class WebState:
    db: Database
    clock: Clock
    secret: bytes
    session_lifetime: timedelta = timedelta(hours=8)
    secure_cookies: bool = False
    default_language: str = "fr"
    referentials: dict[str, Any] = field(default_factory=dict)
    limiter: AttemptLimiter | None = None

    def __post_init__(self) -> None:
        if self.limiter is None:
            self.limiter = AttemptLimiter(self.clock)
        if not self.referentials:
            from bot.referential.loader import load_all

            self.referentials = load_all()


STATE = web.AppKey("ticebot_web", WebState)


@dataclass
class Viewer:
    member: Member
    scope: Scope
    cookie: str

    @property
    def lang(self) -> str:
        return self.member.language or ""


def _state(request: web.Request) -> WebState:
    return request.app[STATE]


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


async def _viewer(request: web.Request, session: AsyncSession) -> Viewer | None:
    state = _state(request)
    cookie = request.cookies.get(auth.COOKIE_NAME)
    member = await auth.session_member(session, state.secret, cookie, state.clock.now())
    if member is None or cookie is None:
        return None
    return Viewer(member, await scope_of(session, member), cookie)


def _need_login(state: WebState) -> web.Response:
    return _html(page(state.default_language, "need_login"), status=401)


def _forbidden(lang: str) -> web.Response:
    return _html(page(lang, "forbidden"), status=403)


Finish = Callable[[], Awaitable[web.Response]]
SpaceWork = Callable[[AsyncSession, Viewer, Space, SpaceConfig], Awaitable[web.Response | Finish]]


async def _in_space(request: web.Request, view: str, work: SpaceWork) -> web.Response:
    """Run `work` only for a viewer whose roles in the URL's space allow `view` (checked now).

    `work` may return a function that finishes the page once the transaction is closed (charts are
    drawn there: on SQLite a transaction holds the write lock the bot needs)."""
    state = _state(request)
    space_id = request.match_info["space"]
    async with state.db.transaction() as session:
        viewer = await _viewer(request, session)
        if viewer is None:
            return _need_login(state)
        space = await session.get(Space, space_id)
        if space is None or not viewer.scope.may(space_id, view):
            return _forbidden(viewer.lang or state.default_language)
        cfg = SpaceConfig.model_validate(space.settings or {"id": space.id})
        done = await work(session, viewer, space, cfg)
    return done if isinstance(done, web.Response) else await done()


def _lang(viewer: Viewer, space: Space) -> str:
    return viewer.lang or space.language or "fr"


# ---- login ------------------------------------------------------------------------------------


async def login_form(request: web.Request) -> web.Response:
    # A GET never uses the link: chat platforms fetch links for previews, which must not burn it.
    return _html(page(_state(request).default_language, "login", token=request.match_info["token"]))


async def login(request: web.Request) -> web.Response:
    state = _state(request)
    assert state.limiter is not None
    token = str((await request.post()).get("token", ""))
    address = request.remote or "?"
    if not state.limiter.allowed(address, token):
        return _html(page(state.default_language, "too_many"), status=429)
    now = state.clock.now()
    async with state.db.transaction() as session:
        member_id = await auth.consume_link(session, token, now)
        cookie = None
        if member_id is not None:
            member = await session.get(Member, member_id)
            if member is not None and member.erased_at is None:
                cookie = await auth.open_session(session, state.secret, member_id, now, state.session_lifetime)
    if cookie is None:
        state.limiter.failed(address)
        return _html(page(state.default_language, "login_failed"), status=403)
    response = web.Response(status=303, headers={"Location": "/"})
    response.set_cookie(auth.COOKIE_NAME, cookie, httponly=True, samesite="Lax", secure=state.secure_cookies,
                        max_age=int(state.session_lifetime.total_seconds()), path="/")
    return response


async def logout(request: web.Request) -> web.Response:
    state = _state(request)
    async with state.db.transaction() as session:
        await auth.close_session(session, state.secret, request.cookies.get(auth.COOKIE_NAME))
    response = _html(page(state.default_language, "logged_out"))
    response.del_cookie(auth.COOKIE_NAME, path="/")
    return response


# ---- pages ------------------------------------------------------------------------------------


async def home(request: web.Request) -> web.Response:
    state = _state(request)
    async with state.db.transaction() as session:
        viewer = await _viewer(request, session)
        if viewer is None:
            return _need_login(state)
        spaces = []
        for space_id in viewer.scope.spaces():
            spaces.append({"id": space_id, "dashboard": viewer.scope.may(space_id, DASHBOARD),
                           "trainer": viewer.scope.may(space_id, TRAINER_VIEW),
                           "portfolio": viewer.scope.may(space_id, OWN_PORTFOLIO)})
        return _html(page(viewer.lang or state.default_language, "home", who=viewer.member.display_name,
                          spaces=spaces))


async def dashboard(request: web.Request) -> web.Response:
    state = _state(request)

    async def work(session: AsyncSession, viewer: Viewer, space: Space, cfg: SpaceConfig) -> Finish:
        now = state.clock.now()
        ref = state.referentials[space.referential_id]
        lang = _lang(viewer, space)
        data = {
            "promise": await promise(session, cfg, now), "queue": await open_queue(session, cfg, now),
            "pending": await pending(session, space.id, now), "reviews": await review_times(session, space.id),
            "coverage": await coverage(session, space.id, ref),
            "participation": await participation(session, space.id, now, cfg.timezone),
            "bilans": _bilan_links(state.secret, viewer, await bilan_rows(session, space.id, ref)),
        }

        async def finish() -> web.Response:
            # Off the event loop: matplotlib takes tens of milliseconds per image.
            data["promise_chart"] = await asyncio.to_thread(charts.promise_chart, data["promise"]["weeks"], lang)
            data["coverage_chart"] = await asyncio.to_thread(charts.coverage_chart, data["coverage"], lang)
            return _html(page(lang, "coordinator", space=space.id, referential=ref.title, now=now, **data))

        return finish

    return await _in_space(request, DASHBOARD, work)


async def trainer(request: web.Request) -> web.Response:
    state = _state(request)

    async def work(session: AsyncSession, viewer: Viewer, space: Space, cfg: SpaceConfig) -> Finish:
        now = state.clock.now()
        lang = _lang(viewer, space)
        data = await trainer_view(session, cfg, viewer.member.id, now)

        async def finish() -> web.Response:
            data["promise_chart"] = await asyncio.to_thread(charts.promise_chart, data["promise"]["weeks"], lang)
            return _html(page(lang, "trainer", space=space.id, now=now, **data))

        return finish

    return await _in_space(request, TRAINER_VIEW, work)


async def portfolio(request: web.Request) -> web.Response:
    state = _state(request)

    async def work(session: AsyncSession, viewer: Viewer, space: Space, cfg: SpaceConfig) -> web.Response:
        ref = state.referentials[space.referential_id]
        data = await portfolio_data(session, ref, space, viewer.member.id)
        return _html(page(_lang(viewer, space), "portfolio", space=space.id, who=viewer.member.display_name,
                          p=data))

    return await _in_space(request, OWN_PORTFOLIO, work)


# ---- bilans -----------------------------------------------------------------------------------


def _bilan_links(secret: bytes, viewer: Viewer, rows: list[BilanRow]) -> list[dict[str, str]]:
    people: dict[str, str] = {}
    for row in rows:
        people.setdefault(row.member_id, row.member)
    return [{"name": name, "ref": _member_ref(secret, viewer, member_id)} for member_id, name in people.items()]


def _member_ref(secret: bytes, viewer: Viewer, member_id: str) -> str:
    return auth.opaque_ref(secret, viewer.cookie, "bilan", member_id)


def _csv(rows: list[BilanRow], name: str) -> web.Response:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "bilan"
    return web.Response(text=to_csv(rows), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{safe}.csv"'})


async def space_bilan(request: web.Request) -> web.Response:
    state = _state(request)

    async def work(session: AsyncSession, viewer: Viewer, space: Space, cfg: SpaceConfig) -> web.Response:
        return _csv(await bilan_rows(session, space.id, state.referentials[space.referential_id]),
                    f"bilan-{space.id}")

    return await _in_space(request, ALL_BILANS, work)


async def member_bilan(request: web.Request) -> web.Response:
    state = _state(request)
    wanted = request.match_info["ref"]

    async def work(session: AsyncSession, viewer: Viewer, space: Space, cfg: SpaceConfig) -> web.Response:
        rows = await bilan_rows(session, space.id, state.referentials[space.referential_id])
        mine = [r for r in rows if _member_ref(state.secret, viewer, r.member_id) == wanted]
        if not mine:
            return _forbidden(_lang(viewer, space))
        return _csv(mine, f"bilan-{space.id}-{mine[0].member}")

    return await _in_space(request, ALL_BILANS, work)


async def own_bilan(request: web.Request) -> web.Response:
    state = _state(request)

    async def work(session: AsyncSession, viewer: Viewer, space: Space, cfg: SpaceConfig) -> web.Response:
        me = f"{viewer.member.platform}:{viewer.member.platform_user_id}"
        rows = [r for r in await bilan_rows(session, space.id, state.referentials[space.referential_id])
                if r.member_id == me]
        return _csv(rows, f"bilan-{space.id}-{viewer.member.display_name}")

    return await _in_space(request, OWN_PORTFOLIO, work)


async def stylesheet(request: web.Request) -> web.FileResponse:
    # Served without a session: the login page needs it and it holds no data.
    return web.FileResponse(STATIC_DIR / "ticebot.css", headers={"Content-Type": "text/css"})


def make_app(state: WebState) -> web.Application:
    app = web.Application(client_max_size=16 * 1024)
    app[STATE] = state
    app.on_response_prepare.append(add_headers)
    app.add_routes([
        web.get("/", home),
        web.get(auth.LOGIN_PATH + "{token}", login_form),
        web.post("/connexion", login),
        web.post("/deconnexion", logout),
        web.get("/espace/{space}", dashboard),
        web.get("/espace/{space}/formateur", trainer),
        web.get("/espace/{space}/portfolio", portfolio),
        web.get("/espace/{space}/bilan.csv", space_bilan),
        web.get("/espace/{space}/bilan/{ref}.csv", member_bilan),
        web.get("/espace/{space}/mon-bilan.csv", own_bilan),
        web.get("/static/ticebot.css", stylesheet),
    ])
    return app
