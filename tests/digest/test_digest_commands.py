"""/digest on|off (anyone) and /digest maintenant (coordinators only), with polite refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from adapters.console.replay import Replay
from bot.db.models import DigestSent, Member

SCRIPT = """space demo
member alice
trainer fabienne
coordinator claire
at 2026-09-15T10:00
"""


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TICEBOT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


async def opted_in(replay: Replay, name: str) -> bool:
    assert replay.app is not None
    async with replay.app.core.db.transaction() as session:
        return bool(await session.scalar(select(Member.digest_opt_in).where(Member.platform_user_id == name)))


async def test_opt_in_and_out(sqlite_url: str) -> None:
    replay = Replay(database_url=sqlite_url)
    try:
        await replay.run_script(SCRIPT + "alice dm: /digest on\nexpect digest/opt_in to alice")
        assert await opted_in(replay, "alice")
        await replay.run_script("alice in general: /digest off\nexpect digest/opt_out to alice")
        assert not await opted_in(replay, "alice")
        await replay.run_script("alice dm: /digest\nexpect digest/usage to alice\nalice dm: /digest bof\n"
                                "expect digest/usage")
        usage = [d for d in replay.delivered if d.template == "digest/usage"][0].text
        assert "désactivé" in usage and "maintenant" not in usage  # members are not offered what they can't do
    finally:
        await replay.close()


async def test_digest_now_is_for_coordinators_and_is_not_the_weekly_one(sqlite_url: str) -> None:
    replay = Replay(database_url=sqlite_url)
    try:
        await replay.run_script(SCRIPT + """
alice in sos: Comment projeter l'écran de ma tablette ?
alice dm: /digest maintenant
expect digest/refuse_now to alice
expect no digest/community
fabienne dm: /digest maintenant
expect digest/refuse_now to fabienne
claire in general: /digest now
expect digest/now_posted to claire
""")
        now = [d for d in replay.delivered if d.template == "digest/community"]
        assert len(now) == 1 and now[0].channel == "annonces" and "1 question posée" in now[0].text
        assert "à la demande" in now[0].text
        assert replay.app is not None
        async with replay.app.core.db.transaction() as session:
            assert (await session.execute(select(DigestSent))).scalars().all() == []
        # The Monday digest still goes out.
        await replay.run_script("at 2026-09-21T08:01\nexpect digest/community")
    finally:
        await replay.close()
