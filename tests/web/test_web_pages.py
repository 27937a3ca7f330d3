"""What the pages say: the same figures as the bot's own reports, counts without names, English too."""

from __future__ import annotations

import html
import re
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from web_support import replay_into, site

from bot.db.models import Member
from bot.declarations.bilan import bilan_rows, to_csv
from bot.referential.loader import load_all
from bot.sos.sla import sla_report
from bot.web.render import environment


def section(page: str, ident: str) -> str:
    found = re.search(rf'<section id="{ident}">(.*?)</section>', page, re.S)
    assert found is not None, ident
    return found.group(1)


def cells(fragment: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", fragment, re.S)
    cell = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cell.findall(r)] for r in rows]


async def test_the_promise_is_the_sla_report(two_spaces: tuple[str, datetime]) -> None:
    url, now = two_spaces
    async with site(url, now) as s:
        async with s.db.transaction() as session:
            report = await sla_report(session, now, "lettres")
        await s.login("claire")
        promise = section(await (await s.client.get("/espace/lettres")).text(), "promesse")
    ratio = f"{round(100 * report.answered_within_deadline_ratio)} %"

    def hours(value: float | None) -> str:
        return f"{value:.1f}".replace(".", ",") + " h"

    for figure, label in ((report.questions, "questions"), (ratio, "répondues dans le délai"),
                          (hours(report.median_first_response_hours), "1re réponse, médiane"),
                          (hours(report.p90_first_response_hours), "1re réponse, 90e centile"),
                          (report.breaches, "dépassements"), (report.open, "encore ouvertes")):
        assert re.search(rf"<strong>{figure}</strong><span>{label}", promise), (figure, label)
    assert (report.questions, report.breaches, report.open) == (5, 3, 2)
    weeks = cells(promise.split("<details>")[1])
    assert [row[0] for row in weeks[1:]] == ["07/09/2026", "14/09/2026", "21/09/2026", "28/09/2026"]
    assert sum(int(row[1]) for row in weeks[1:]) == report.questions
    assert sum(int(row[4]) for row in weeks[1:]) == report.breaches


async def test_the_queue_by_time_left_with_who_holds_each(two_spaces: tuple[str, datetime]) -> None:
    url, now = two_spaces
    async with site(url, now) as s:
        await s.login("claire")
        queue = cells(section(await (await s.client.get("/espace/lettres")).text(), "file"))
    assert queue[0] == ["question", "posée par", "temps restant", "qui la tient"]
    # david's question (22/09 18:00, deadline 26/09 18:00) has less time left than bruno's (23/09 19:00).
    assert [row[1] for row in queue[1:]] == ["david", "bruno"]
    # thomas /claim-ed david's question and never answered: the claim was chased, lapsed, and the
    # policy handed it on; by now the coordinator holds it (the same rows /sla reads).
    assert queue[1][2] == "délai dépassé de 1 jour 15 heures" and queue[1][3] == "claire"
    # Nobody answered bruno: past the deadline the policy's last level (the coordinator) holds it.
    assert queue[2][2].startswith("délai dépassé de 14 heures") and queue[2][3] == "claire"


async def test_declarations_by_age_and_review_times(two_spaces: tuple[str, datetime]) -> None:
    url, now = two_spaces
    async with site(url, now) as s:
        await s.login("claire")
        page = await (await s.client.get("/espace/lettres")).text()
    pending = cells(section(page, "declarations"))
    assert [(row[0][:4], row[1], row[2], row[3]) for row in pending[1:]] == [
        ("A1-3", "chloe", "déclarée", "13,0"), ("B3-5", "david", "déclarée", "13,0")]
    reviews = section(page, "validations")
    assert "<strong>1</strong><span>déclarations examinées" in reviews
    assert cells(reviews)[1] == ["fabienne", "1", "2,0"]  # alice's B2-3, validated two hours after it came


async def test_participation_counts_people_and_names_nobody(two_spaces: tuple[str, datetime]) -> None:
    url, now = two_spaces
    async with site(url, now) as s:
        await s.login("claire")
        part = section(await (await s.client.get("/espace/lettres")).text(), "participation")
    assert cells(part)[1:] == [["07/09/2026", "2", "2", "1"],   # alice, bruno asked; thomas, gilles answered
                               ["14/09/2026", "1", "1", "1"],   # chloe asked; david answered with a link
                               ["21/09/2026", "2", "0", "1"],   # david, bruno asked; a /claim is no answer
                               ["28/09/2026", "0", "0", "0"]]
    for name in ("alice", "bruno", "chloe", "david", "thomas", "fabienne", "gilles"):
        assert name not in part


async def test_coverage_is_a_heatmap_of_domains_by_group(tmp_path: Path) -> None:
    """Declarations only (commands are not tagged), so the expected cells are known exactly."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'coverage.db'}"
    now = await replay_into(url, """space lettres referential=c2i2e
member alice group=A
member chloe group=A
member bruno group=B
trainer fabienne group=A
coordinator claire
at 2026-09-07T09:00
alice dm: /declare A1-1 J'ai listé les personnes ressources TICE du collège.
alice dm: /declare A1-2 J'ai cartographié les outils de la salle informatique.
chloe dm: /declare A1-2 Inventaire des outils numériques de mon établissement.
chloe dm: /declare B1-1 Dossier partagé de ressources avec l'équipe de lettres.
fabienne dm: /declare B2-1 Un formateur qui déclare ne compte pas dans la cohorte.
""")
    async with site(url, now) as s:
        await s.login("claire")
        cover = cells(section(await (await s.client.get("/espace/lettres")).text(), "couverture"))
        page = await (await s.client.get("/espace/lettres")).text()
    assert cover[0] == ["domaine", "A (2)", "B (1)"]
    rows = {row[0]: row[1:] for row in cover[1:]}
    assert rows["A1"] == ["2/5", "0/5"] and rows["B1"] == ["1/3", "0/3"] and rows["B2"] == ["0/5", "0/5"]
    assert '<td class="heat-2">2/5</td>' in page and '<td class="heat-1">1/3</td>' in page


async def test_the_space_bilan_is_the_jury_export(two_spaces: tuple[str, datetime]) -> None:
    url, now = two_spaces
    async with site(url, now) as s:
        async with s.db.transaction() as session:
            expected = to_csv(await bilan_rows(session, "lettres", load_all()["c2i2e"]))
        await s.login("claire")
        answer = await s.client.get("/espace/lettres/bilan.csv")
        assert answer.headers["Content-Disposition"] == 'attachment; filename="bilan-lettres.csv"'
        assert await answer.text() == expected


async def test_a_formateur_sees_their_groups_only(two_spaces: tuple[str, datetime]) -> None:
    url, now = two_spaces
    async with site(url, now) as s:
        await s.login("gilles")
        page = await (await s.client.get("/espace/lettres/formateur")).text()
        await s.logout()
        await s.login("fabienne")
        hers = await (await s.client.get("/espace/lettres/formateur")).text()
    assert [row[1] for row in cells(section(page, "ma-file"))[1:]] == ["david"]
    assert "<strong>3</strong><span>questions" in section(page, "promesse")  # bruno's two and david's
    assert [row[1] for row in cells(section(hers, "ma-file"))[1:]] == ["chloe"]
    assert "<strong>2</strong><span>questions" in section(hers, "promesse")  # alice's and chloe's
    assert "Aucune question ouverte" in section(hers, "mes-questions")


async def test_a_formateur_sees_the_questions_they_hold(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'held.db'}"
    now = await replay_into(url, """space lettres
member alice
trainer fabienne
at 2026-09-07T09:00
alice in sos: Comment partager un document sans l'ENT ?
+1h
fabienne reply: /claim
alice in sos: Comment faire un QCM sans compte élève ?
""")
    async with site(url, now) as s:
        await s.login("fabienne")
        held = cells(section(await (await s.client.get("/espace/lettres/formateur")).text(), "mes-questions"))
    assert [row[0] for row in held[1:]] == ["Comment partager un document sans l'ENT ?"]
    assert held[1][3] == "fabienne"


async def test_pages_in_english_for_an_english_speaker(two_spaces: tuple[str, datetime], tmp_path: Path) -> None:
    import shutil

    url, now = two_spaces
    copy = tmp_path / "copy.db"
    shutil.copy(url.removeprefix("sqlite+aiosqlite:///"), copy)
    async with site(f"sqlite+aiosqlite:///{copy}", now) as s:
        async with s.db.transaction() as session:
            claire = (await session.execute(select(Member).where(Member.platform_user_id == "claire"))).scalar_one()
            claire.language = "en"
        await s.login("claire")
        page = await (await s.client.get("/espace/lettres")).text()
    assert '<html lang="en">' in page and "The SOS promise" in page and "answered within the delay" in page
    assert "Participation per week" in page and "La promesse SOS" not in page


def test_every_web_page_exists_in_both_languages_and_autoescapes() -> None:
    root = Path(__file__).resolve().parents[2] / "prompts"
    fr = sorted(p.name for p in (root / "fr" / "web").iterdir())
    assert fr == sorted(p.name for p in (root / "en" / "web").iterdir())
    assert {"coordinator.html.j2", "trainer.html.j2", "portfolio.html.j2", "link.md.j2"} <= set(fr)
    assert environment("fr").from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
