"""Two formateurs review at once: the optimistic lock lets one win and tells the other."""

from __future__ import annotations

import pytest
from decl_support import Run, declarations, reviews
from sqlalchemy import text

from bot.context import UserError
from bot.db.models import Declaration
from bot.declarations.review import Conflict, decide


async def test_stale_version_loses(run: Run) -> None:
    replay = await run("alice in general: /declare B4-1 https://exemple.org/eval\n")
    assert replay.app is not None
    now = replay.clock.now()
    async with replay.app.core.db.transaction() as session:
        decl = await session.get(Declaration, 1)
        assert decl is not None and decl.version == 1
        # Gaston's review commits between our read and our write.
        await session.execute(text("UPDATE declarations SET state='validated', version=version+1 WHERE id=1"))
        with pytest.raises(Conflict):
            await decide(session, decl, "not_validated", actor_id=3, now=now, comment="motif")
    [decl] = await declarations(replay)
    assert decl.state == "validated" and decl.version == 2
    assert await reviews(replay) == []  # the loser wrote no review row


async def test_second_formateur_is_told(run: Run) -> None:
    replay = await run("""
alice in general: /declare B4-1 https://exemple.org/eval
fabienne reply: /valider
gaston reply: /refuser Je ne suis pas d'accord
expect declarations/already
""")
    [decl] = await declarations(replay)
    assert decl.state == "validated"


async def test_decided_declaration_refuses_new_decision(run: Run) -> None:
    replay = await run("alice in general: /declare B4-2 https://exemple.org/eval\nfabienne reply: /valider\n")
    assert replay.app is not None
    async with replay.app.core.db.transaction() as session:
        decl = await session.get(Declaration, 1)
        assert decl is not None
        with pytest.raises(UserError) as refused:
            await decide(session, decl, "validated", actor_id=3, now=replay.clock.now(), comment=None)
    assert refused.value.template == "declarations/already"


async def test_command_loser_is_told_who_won(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """Gaston's review commits while Fabienne's command runs: she gets `conflict` naming him."""
    from bot.declarations import commands

    real_decide = commands.decide

    async def racing_decide(session, decl, to_state, actor_id, now, comment):  # type: ignore[no-untyped-def]
        gaston = (await session.execute(text("SELECT id FROM members WHERE platform_user_id='gaston'"))).scalar()
        await session.execute(text("UPDATE declarations SET state='validated', version=version+1 WHERE id=:i"),
                              {"i": decl.id})
        await session.execute(text("INSERT INTO reviews (declaration_id, actor_id, from_state, to_state, at) "
                                   "VALUES (:i, :g, 'in_review', 'validated', :at)"),
                              {"i": decl.id, "g": gaston, "at": now.replace(tzinfo=None)})
        return await real_decide(session, decl, to_state, actor_id, now, comment)

    monkeypatch.setattr(commands, "decide", racing_decide)
    replay = await run("""
alice in general: /declare B4-1 https://exemple.org/eval
fabienne reply: /refuser Trace insuffisante
expect declarations/conflict
""")
    assert "@gaston" in replay.delivered[-1].text
