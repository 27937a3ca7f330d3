"""First contact (once, by DM, in the member's language, with the space's notice), consent, visibility."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from adapters.console.replay import Replay
from bot.db.models import Member
from bot.privacy.consent import may_name

HEADER = """space demo referential=c2i2e{lang}
member alice
member bruno
tutor tom
trainer fabienne
coordinator claire
at 2026-09-07T09:00
"""


@pytest.fixture
async def replay(tmp_path, monkeypatch) -> AsyncIterator[Replay]:
    monkeypatch.setenv("TICEBOT_DATA_DIR", str(tmp_path / "exports"))
    r = Replay()
    yield r
    await r.close()


async def start(r: Replay, lang: str = "", notice: str = "") -> None:
    await r.run_script(HEADER.format(lang=f" lang={lang}" if lang else ""))
    r.spaces["demo"].config.privacy_notice = notice


async def member(r: Replay, name: str) -> Member:
    assert r.app is not None
    async with r.app.db.transaction() as session:
        return (await session.execute(select(Member).where(Member.platform_user_id == name))).scalar_one()


def welcomes(r: Replay, to: str) -> list[str]:
    return [d.text for d in r.delivered if d.template == "privacy/welcome" and d.to == to]


async def test_first_contact_is_sent_once_by_dm_for_posts_and_commands(replay: Replay) -> None:
    await start(replay)
    await replay.run_script("""alice in sos: Comment projeter sans fil ?
alice reply: Toujours pas trouvé.
alice dm: /portfolio
bruno dm: /aide
bruno in general: Bonjour à tous
fabienne reply: Bienvenue !
""")
    assert len(welcomes(replay, "alice")) == 1
    assert len(welcomes(replay, "bruno")) == 1  # a command first: welcomed before the command's answer
    assert len(welcomes(replay, "fabienne")) == 1
    assert welcomes(replay, "tom") == []  # never spoke
    order = [d.template for d in replay.delivered if d.to == "bruno"]
    assert order[0] == "privacy/welcome" and "general/help" in order
    # A DM, never a public message.
    assert all(d.to for d in replay.delivered if d.template == "privacy/welcome")
    text = welcomes(replay, "alice")[0]
    assert "/mes-donnees" in text and "/oublier" in text and "/consentement public" in text
    assert "730 jours" in text and "responsable de traitement" in text
    assert (await member(replay, "alice")).welcomed_at is not None
    assert (await member(replay, "tom")).welcomed_at is None


async def test_space_notice_and_language(replay: Replay) -> None:
    await start(replay, lang="en", notice="https://inspe.example.org/rgpd-ticebot")
    await replay.run_script("alice in sos: How do I share a file?\n")
    [text] = welcomes(replay, "alice")
    assert "https://inspe.example.org/rgpd-ticebot" in text and "What I record and why" in text


async def test_consent_to_be_named_is_opt_in_and_revocable(replay: Replay) -> None:
    await start(replay)
    await replay.run_script("alice dm: /portfolio\nbruno dm: /consentement public\n")
    alice, bruno = await member(replay, "alice"), await member(replay, "bruno")
    assert not alice.consent_public and not may_name(alice)  # default: private
    assert bruno.consent_public and may_name(bruno)
    await replay.run_script("bruno dm: /consentement prive\nalice dm: /consentement\n")
    assert not may_name(await member(replay, "bruno"))
    assert [d.template for d in replay.delivered if d.to == "alice"][-1] == "privacy/consent_usage"
    # Erased people are never named, whatever they chose before.
    bruno = await member(replay, "bruno")
    bruno.consent_public = True
    from datetime import UTC, datetime

    bruno.erased_at = datetime.now(UTC)
    assert not may_name(bruno) and not may_name(None)


@pytest.mark.parametrize("consent", ["public", "prive"])
@pytest.mark.parametrize("declarations", ["public", "prive"])
async def test_private_declaration_visible_only_to_member_and_validators(
        replay: Replay, consent: str, declarations: str) -> None:
    await start(replay)
    await replay.run_script(f"""alice dm: /consentement {consent}
alice dm: /confidentialite {declarations}
alice dm: /declare B2-3 Trace secrète : mon padlet quokka-42
bruno dm: /portfolio
alice dm: /portfolio
fabienne dm: /precisions #1 Quel niveau de classe ?
alice dm: En quatrième, quokka-42 en groupe.
fabienne dm: /valider #1
""")
    seen = [d for d in replay.delivered if "quokka-42" in d.text]
    assert seen and {d.to for d in seen} <= {"alice", "tom", "fabienne", "claire"}
    assert all(d.to for d in seen)  # never in a channel or a thread
    assert not [d for d in replay.delivered if d.to == "bruno" and "B2-3" in d.text]
    portfolio = [d for d in replay.delivered if d.template == "declarations/portfolio"]
    assert [d.to for d in portfolio] == ["bruno", "alice"]
