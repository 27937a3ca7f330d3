"""Digest content on a seeded week: numbers checked against the data, in French and English; consent."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlalchemy import update

from adapters.console.replay import Replay
from bot.db.models import Member
from bot.digest.cli import preview_text

PARIS = ZoneInfo("Europe/Paris")


def seeded(lang: str) -> str:
    return f"""space demo referential=c2i2e delay=4d lang={lang}
member alice
member bruno
member chloe
tutor thomas
trainer fabienne
coordinator claire
at 2026-09-07T10:00
chloe in sos: Comment projeter l'écran de ma tablette ?
+10h
thomas reply: Avec l'application de recopie d'écran du collège.
at 2026-09-14T10:00
alice dm: /digest on
chloe dm: /digest on
alice in sos [Partager un document sans ENT]: Comment partager un document avec mes élèves sans ENT ?
+2h
thomas reply: Passe par l'espace classe : https://exemple.org/espace-classe
alice react ✅
at 2026-09-15T10:00
bruno in sos: Quel logiciel pour faire des cartes mentales avec mes élèves ? #B1-1
+4h
thomas reply: Essaie Framindmap.
at 2026-09-16T10:00
chloe in sos: Mon TBI ne s'allume plus depuis la mise à jour, une idée ?
+1h
alice in general: /declare B2-3 https://exemple.org/ma-sequence
fabienne reply: /valider Bravo
bruno in general: /declare A1-3 J'utilise le cahier de textes de l'ENT chaque semaine avec mes classes
fabienne reply: /valider Très bien
chloe in general: /declare A2-1 Je me forme en ligne sur les outils numériques
"""


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TICEBOT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


async def seeded_week(url: str, lang: str, consent: tuple[str, ...] = ("alice",)) -> Replay:
    replay = Replay(database_url=url)
    await replay.run_script(seeded(lang))
    assert replay.app is not None
    async with replay.app.core.db.transaction() as session:
        await session.execute(update(Member).where(Member.platform_user_id.in_(consent)).values(consent_public=True))
    await replay.run_script("at 2026-09-21T08:05")
    return replay


def one(replay: Replay, template: str, to: str = "", since: str = "2026-09-21T08:00") -> str:
    """The only `template` message (to `to`) sent since the Monday of the seeded week's digest."""
    after = datetime.fromisoformat(since).replace(tzinfo=PARIS)
    found = [d for d in replay.delivered if d.template == template and (not to or d.to == to) and d.at >= after]
    assert len(found) == 1, [d.template for d in replay.delivered]
    return found[0].text


async def test_community_digest_numbers_in_french(sqlite_url: str, data_dir: Path) -> None:
    replay = await seeded_week(sqlite_url, "fr")
    try:
        text = one(replay, "digest/community")
        # asked 3 (alice, bruno, chloe's TBI), answered 2 (2 h and 4 h), TBI still open and past its deadline
        assert "3 questions posées · 2 répondues · 1 encore ouverte · 1 hors délai" in text
        assert "Première réponse en 3,0 h (médiane), contre 10,0 h les 4 semaines précédentes." in text
        assert "- Partager un document sans ENT — #sos/" in text  # resolved this week: a FAQ entry
        assert "B1-1" in text.split("**Compétences les plus travaillées**")[1].split("\n")[0]
        assert "**Pas encore abordées** :" in text
        # consent: alice is named, bruno's validation is only counted
        assert "**Compétences validées** : alice (B2-3), et 1 autre validation. Bravo !" in text
        assert "bruno" not in text and "chloe" not in text and "thomas" not in text
        assert "**Ressources partagées** : 1 message avec un lien\n- https://exemple.org/espace-classe" in text
        image = text.rsplit("[fichier : ", 1)[1].rstrip("]")
        assert Path(image).parent == data_dir / "digests"
        with Image.open(image) as png:
            assert png.format == "PNG" and png.size == (1200, 600)
    finally:
        await replay.close()


async def test_personal_and_trainer_digests(sqlite_url: str) -> None:
    replay = await seeded_week(sqlite_url, "fr")
    try:
        alice = one(replay, "digest/personal", "alice")
        assert "- B2-3 : validée (n° 1)" in alice and "Vos questions encore ouvertes" not in alice
        chloe = one(replay, "digest/personal", "chloe")
        assert "Mon TBI ne s'allume plus depuis la mise à jour, une idée ?" in chloe
        assert "- A2-1 : déclarée (n° 3)" in chloe
        # bruno did not opt in
        assert not [d for d in replay.delivered if d.template == "digest/personal" and d.to == "bruno"]
        trainer = one(replay, "digest/trainer", "fabienne")
        assert "- #3 A2-1 — chloe, depuis le 16 septembre à 11:00" in trainer
        assert "⚠️ hors délai — chloe : Mon TBI ne s'allume plus" in trainer
        assert "3 questions · 2 répondues · 1 ouverte · 1 hors délai · 67 % dans le délai" in trainer
    finally:
        await replay.close()


async def test_community_digest_in_english_without_consent(sqlite_url: str) -> None:
    replay = await seeded_week(sqlite_url, "en", consent=())
    try:
        text = one(replay, "digest/community")
        assert "3 questions asked · 2 answered · 1 still open · 1 past the deadline" in text
        assert "First reply after 3.0 h (median), versus 10.0 h over the previous 4 weeks." in text
        assert "**Competences validated**: 2 validations this week. Well done!" in text
        assert "alice" not in text and "bruno" not in text
        assert "Your declarations" in one(replay, "digest/personal", "alice")
        assert "Pending declarations" in one(replay, "digest/trainer", "fabienne")
    finally:
        await replay.close()


async def test_quiet_week_is_one_friendly_line(sqlite_url: str) -> None:
    replay = Replay(database_url=sqlite_url)
    try:
        await replay.run_script("space demo\nmember alice\nat 2026-09-14T09:00\nalice dm: /aide\nat 2026-09-21T09:00")
        text = one(replay, "digest/community", since="2026-09-14T09:00")
        assert text.startswith("**Semaine du 14/09 au 21/09** —") and "\n" not in text
        assert "[fichier" not in text  # no empty chart either
    finally:
        await replay.close()


async def test_cli_preview_prints_the_last_7_days(sqlite_url: str, tmp_path: Path) -> None:
    replay = await seeded_week(sqlite_url, "fr")
    await replay.close()
    chart = tmp_path / "preview.png"
    text = await preview_text("demo", sqlite_url, lang="en", chart=chart,
                              now=datetime(2026, 9, 21, 8, 0, tzinfo=PARIS))
    assert "3 questions asked · 2 answered" in text and "on request" in text
    with Image.open(chart) as png:
        assert png.size == (1200, 600)
    with pytest.raises(LookupError):
        await preview_text("nowhere", sqlite_url)
