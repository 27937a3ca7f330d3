"""The access matrix: every role × every page. Allowed shows the data; refused shows none of it.

Roles come from the replayed scenario (tests/web/scenarios/two_spaces.tice): in space "lettres" a
member (alice), a tutor (thomas), a formateur (fabienne, group A) and a coordinator (claire); a
coordinator of the other space "maths" (maxime); an outsider with no role (oscar); and nobody logged in.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from web_support import MATHS_SECRET, PEOPLE, Site, site

from bot.db.models import Member, Role
from bot.web import auth

ROLES = ["anonymous", *PEOPLE]
PAGES = {
    "home": "/",
    "dashboard": "/espace/lettres",
    "trainer": "/espace/lettres/formateur",
    "portfolio": "/espace/lettres/portfolio",
    "space_bilan": "/espace/lettres/bilan.csv",
    "member_bilan": "/espace/lettres/bilan/{ref}.csv",
    "own_bilan": "/espace/lettres/mon-bilan.csv",
}
ALLOWED = {
    "home": set(PEOPLE),
    "dashboard": {"coordinator"},
    "trainer": {"trainer"},
    "portfolio": {"member", "tutor", "trainer", "coordinator"},
    "space_bilan": {"coordinator"},
    "member_bilan": {"coordinator"},
    "own_bilan": {"member", "tutor", "trainer", "coordinator"},
}
# What an allowed page must show (role-specific where the data depends on who looks).
SHOWS = {
    ("home", "outsider"): ["aucun espace"],
    ("home", "other_coordinator"): ["/espace/maths"],
    "home": ["/espace/lettres"],
    "dashboard": ["Quelle appli pour enregistrer", "Comment récupérer les travaux rendus", "qui la tient",
                  "id=\"couverture\"", "id=\"participation\"", "data:image/png;base64,"],
    "trainer": ["A1-3", "chloe"],  # chloe (group A) waits for fabienne; david (group B) waits for gilles
    ("portfolio", "member"): ["B2-3", 'class="state-validated">validée'],
    "portfolio": ["Mon portfolio — lettres"],
    "space_bilan": ["member,member_id,domain", "console:alice", "console:chloe"],
    "member_bilan": ["console:alice,A1,A1-1"],
    ("own_bilan", "member"): ["console:alice,B2,B2-3"],
    "own_bilan": ["member,member_id,domain"],
}
# Data of "lettres" that no refused page may carry, and the maths question no page here may carry.
LETTRES_DATA = ["Quelle appli pour enregistrer", "Comment récupérer les travaux rendus", "console:alice",
                "B2-3", "A1-3", "chloe"]
NEVER_HERE = {
    "trainer": ["B3-5"],  # david's declaration is gilles's (group B), not fabienne's
    "member_bilan": ["console:chloe"],
    ("own_bilan", "member"): ["console:chloe", "console:bruno"],
}


def _expected(table: dict, page: str, role: str) -> list[str]:
    return table.get((page, role), table.get(page, []))


async def _ref_for_alice(s: Site) -> str:
    """The strongest attempt: the reference to alice's bilan that is right for this very session."""
    cookie = s.client.session.cookie_jar.filter_cookies(s.client.make_url("/")).get(auth.COOKIE_NAME)
    return auth.opaque_ref(s.state.secret, cookie.value if cookie else "", "bilan", "console:alice")


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("role", ROLES)
async def test_access_matrix(two_spaces: tuple[str, datetime], role: str, page: str) -> None:
    url, now = two_spaces
    async with site(url, now) as s:
        if role != "anonymous":
            await s.login(PEOPLE[role])
        path = PAGES[page].format(ref=await _ref_for_alice(s))
        response = await s.client.get(path, allow_redirects=False)
        body = await response.text()
        assert MATHS_SECRET not in body
        if role in ALLOWED[page]:
            assert response.status == 200, body
            for text in _expected(SHOWS, page, role):
                assert text in body, f"{role} on {page} should see {text!r}"
            for text in _expected(NEVER_HERE, page, role):
                assert text not in body, f"{role} on {page} must not see {text!r}"
        else:
            assert response.status == (401 if role == "anonymous" else 403), body
            for text in LETTRES_DATA:
                assert text not in body, f"refused page leaked {text!r} to {role}"


async def test_the_other_coordinator_sees_their_own_space(two_spaces: tuple[str, datetime]) -> None:
    """The secret marker is real: maxime sees the maths question on the maths dashboard, claire does not."""
    url, now = two_spaces
    async with site(url, now) as s:
        await s.login("maxime")
        mine = await s.client.get("/espace/maths")
        assert mine.status == 200 and MATHS_SECRET in await mine.text()
        await s.logout()
        await s.login("claire")
        theirs = await s.client.get("/espace/maths")
        assert theirs.status == 403 and MATHS_SECRET not in await theirs.text()


async def test_an_unknown_space_looks_like_a_refused_one(two_spaces: tuple[str, datetime]) -> None:
    url, now = two_spaces
    async with site(url, now) as s:
        await s.login("claire")
        unknown = await s.client.get("/espace/nulle-part")
        refused = await s.client.get("/espace/maths")
        assert unknown.status == refused.status == 403
        assert await unknown.text() == await refused.text()


async def test_a_reference_from_another_session_opens_nothing(two_spaces: tuple[str, datetime]) -> None:
    """Member bilans are addressed per session: a link copied from someone else's page is refused."""
    url, now = two_spaces
    async with site(url, now) as s:
        await s.login("claire")
        page = await (await s.client.get("/espace/lettres")).text()
        ref = await _ref_for_alice(s)
        assert f"/espace/lettres/bilan/{ref}.csv" in page
        assert (await s.client.get(f"/espace/lettres/bilan/{ref}.csv")).status == 200
        await s.logout()
        await s.login("claire")  # a new session of the same coordinator
        stale = await s.client.get(f"/espace/lettres/bilan/{ref}.csv")
        assert stale.status == 403 and "console:alice" not in await stale.text()


async def test_roles_are_read_on_every_request(two_spaces: tuple[str, datetime], tmp_path: Path) -> None:
    """A coordinator whose role is removed loses the dashboard at the next request, same session."""
    url, now = two_spaces
    copy = tmp_path / "copy.db"
    shutil.copy(url.removeprefix("sqlite+aiosqlite:///"), copy)
    async with site(f"sqlite+aiosqlite:///{copy}", now) as s:
        await s.login("claire")
        assert (await s.client.get("/espace/lettres")).status == 200
        async with s.db.transaction() as session:
            claire = (await session.execute(select(Member).where(Member.platform_user_id == "claire"))).scalar_one()
            await session.execute(delete(Role).where(Role.member_id == claire.id, Role.role == "coordinator"))
        after = await s.client.get("/espace/lettres")
        assert after.status == 403 and "Quelle appli pour enregistrer" not in await after.text()
