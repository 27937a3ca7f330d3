"""Right to erasure: after /oublier (confirmed) or `ticebot member erase`, no column of any table holds the
person's name, id or words; aggregated figures (SLA report, declaration states) are unchanged."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import JSON, String, Text, select
from typer.testing import CliRunner

from adapters.console.replay import Replay
from bot.db.models import Base, Declaration, Member, Outbox, Post, Question, Review, ScheduledStep
from bot.privacy.cli import member_app
from bot.sos.sla import sla_report

PHRASE = "Zorglub-Quantique"
SCENARIO = f"""space demo referential=c2i2e delay=4d
tutor alice
member bruno
trainer fabienne
coordinator claire
at 2026-09-07T09:00
alice in sos: Comment projeter mon écran sans fil avec le {PHRASE} de la salle 12 ?
+1d12h
bruno reply: « Comment projeter mon écran sans fil avec le {PHRASE} de la salle 12 ? » Merci alice ! \
Demande à l'accueil.
fabienne reply: Avec l'adaptateur du placard, @alice.
alice reply: Parfait, le {PHRASE} marche enfin.
alice react ✅
alice in sos: Deuxième question de alice sur le tableau blanc {PHRASE} qui clignote ?
+2d
alice dm: /declare B2-3 Ma séquence {PHRASE} en quatrième
fabienne dm: /precisions #1 Quel niveau de classe pour alice ?
alice dm: En quatrième, avec le {PHRASE}.
fabienne dm: /valider #1
bruno dm: /declare B3-1 Mon tableau collaboratif de bruno
alice dm: /refuser #2 Trace insuffisante, signé alice {PHRASE}
alice dm: /mes-donnees
"""


async def _values(replay: Replay) -> list[tuple[str, str, str]]:
    """Every text and JSON value of every table, as (table, column, text)."""
    assert replay.app is not None
    found = []
    async with replay.app.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if not columns:
                continue
            for row in (await session.execute(select(*columns))).all():
                for column, value in zip(columns, row, strict=True):
                    if value is None:
                        continue
                    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                    found.append((table.name, column.name, text))
    return found


async def _hits(replay: Replay, *needles: str) -> list[tuple[str, str, str]]:
    return [(t, c, v) for t, c, v in await _values(replay) if any(n.casefold() in v.casefold() for n in needles)]


async def _sla(replay: Replay) -> dict:
    assert replay.app is not None
    async with replay.app.db.transaction() as session:
        return (await sla_report(session, replay.clock.now(), "demo")).as_dict()


async def _states(replay: Replay) -> list[tuple]:
    assert replay.app is not None
    async with replay.app.db.transaction() as session:
        decls = [(d.id, d.code, d.state, d.created_at, d.updated_at)
                 for d in (await session.execute(select(Declaration).order_by(Declaration.id))).scalars()]
        reviews = [(r.id, r.declaration_id, r.actor_id, r.from_state, r.to_state, r.at)
                   for r in (await session.execute(select(Review).order_by(Review.id))).scalars()]
        questions = [(q.id, q.asker_id, q.status, q.created_at, q.first_response_at, q.answered_at, q.resolved_at)
                     for q in (await session.execute(select(Question).order_by(Question.id))).scalars()]
    return [decls, reviews, questions]


def _exports(root: Path) -> list[Path]:
    return sorted(root.glob("ticebot-donnees-*"))


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TICEBOT_DATA_DIR", str(tmp_path / "exports"))
    return tmp_path / "exports"


async def test_oublier_needs_confirmation_within_ten_minutes(data_dir: Path) -> None:
    replay = Replay()
    try:
        await replay.run_script(SCENARIO + "alice dm: /oublier confirmer\nalice dm: /oublier\n+11m\n"
                                "alice dm: /oublier confirmer\nalice dm: /oublier\nalice dm: /oublier annuler\n"
                                "alice dm: /oublier confirmer\n")
        mine = [d.template for d in replay.delivered if d.to == "alice"]
        assert mine[-6:] == ["privacy/erase_no_pending", "privacy/erase_confirm", "privacy/erase_no_pending",
                             "privacy/erase_confirm", "privacy/erase_cancelled", "privacy/erase_no_pending"]
        assert await _hits(replay, PHRASE)  # nothing was erased
    finally:
        await replay.close()


async def test_erasure_leaves_no_name_id_or_text_and_keeps_the_figures(
    data_dir: Path, caplog, database_url: str
) -> None:
    replay = Replay(database_url=database_url)
    try:
        await replay.run_script(SCENARIO)
        assert _exports(data_dir), "the export files exist before erasure"
        assert await _hits(replay, "alice") and await _hits(replay, PHRASE)
        sla_before, states_before = await _sla(replay), await _states(replay)
        assert sla_before["questions"] == 2 and sla_before["answered"] == 1
        with caplog.at_level(logging.INFO):
            await replay.run_script("alice dm: /oublier\nalice dm: /oublier confirmer\n")
        assert [d.template for d in replay.delivered if d.to == "alice"][-1] == "privacy/erased"
        await replay.run_script("+10m\n")  # the farewell row is deleted once delivered
        hits = await _hits(replay, "alice", PHRASE)
        assert hits == [], hits
        assert await _sla(replay) == sla_before
        assert await _states(replay) == states_before  # decisions, dates and actors (now pseudonymous) stay
        assert not _exports(data_dir), "export files are deleted with the rest"
        assert replay.app is not None
        async with replay.app.db.transaction() as session:
            erased = (await session.execute(select(Member).where(Member.erased_at.is_not(None)))).scalar_one()
            assert erased.display_name.startswith("membre effacé #") and len(erased.platform_user_id) == 32
            assert not erased.consent_public and erased.welcomed_at is None
            # Bruno's declaration refused by alice: the decision stays, her words and name go.
            refusal = (await session.execute(select(Review).where(Review.to_state == "not_validated"))).scalar_one()
            assert refusal.actor_id == erased.id and refusal.comment is None
            # The ladder of her still open question stops; nothing goes out about her any more.
            steps = (await session.execute(select(ScheduledStep).where(ScheduledStep.question_id == 2))).scalars()
            assert all(s.state != "pending" for s in steps)
            # Bruno's words stay; her name in them is the pseudonym, the sentence he quoted is cut.
            bruno_reply = (await session.execute(select(Post).where(Post.text.contains("accueil")))).scalar_one()
            assert bruno_reply.text == f"« […] » Merci {erased.display_name} ! Demande à l'accueil."
            assert not (await session.execute(select(Outbox).where(Outbox.status == "pending"))).scalars().all()
        erase_logs = [r.getMessage() for r in caplog.records if "erased" in r.getMessage()]
        assert erase_logs and all("alice" not in m for m in erase_logs)
        assert any(f"member {erased.id} erased" in m for m in erase_logs)
        # She can come back: a new member, welcomed again.
        await replay.run_script("alice in sos: Re-bonjour, nouvelle question ?\n")
        assert [d.template for d in replay.delivered if d.to == "alice"][0] == "privacy/welcome"
        assert len([d for d in replay.delivered if d.template == "privacy/welcome" and d.to == "alice"]) == 2
    finally:
        await replay.close()


def test_cli_erase(tmp_path: Path, data_dir: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    replay = Replay(database_url=url)
    asyncio.run(replay.run_script(SCENARIO))
    sla_before = asyncio.run(_sla(replay))
    result = CliRunner().invoke(member_app, ["erase", "--member", "alice", "--database", url, "--yes"])
    assert result.exit_code == 0, result.output
    assert "effacé" in result.output and "ticebot.toml" in result.output and "alice" not in result.output.replace(
        "« alice »", "")
    assert asyncio.run(_sla(replay)) == sla_before
    hits = asyncio.run(_hits(replay, "alice", PHRASE))
    assert hits == [], hits
    again = CliRunner().invoke(member_app, ["erase", "--member", "alice", "--database", url, "--yes"])
    assert again.exit_code == 1  # nobody by that id any more
    asyncio.run(replay.close())
