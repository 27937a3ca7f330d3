"""French details users noticed: elision, a count said once, excerpts cut at a word, paragraphs kept apart;
and the 📬 left in the room when a command's answer goes to private messages (every platform)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.console.replay import Replay
from adapters.matrix.render import render as matrix_html
from bot.limits import excerpt
from bot.refs import UserRef
from bot.templates import de, render

HEADER = """space demo referential=c2i2e
member alice
member emilie
member bruno
trainer fabienne
at 2026-09-07T09:00
"""


@pytest.fixture
async def replays() -> AsyncIterator[list[Replay]]:
    made: list[Replay] = []
    yield made
    for replay in made:
        await replay.close()


async def play(replays: list[Replay], script: str) -> Replay:
    replay = Replay()
    replays.append(replay)
    await replay.run_script(HEADER + script)
    return replay


def test_de_elides_before_a_vowel() -> None:
    assert [de(n) for n in ("Alice", "Émilie", "Yves", "Bruno", "@bob:hs")] == [
        "d'Alice", "d'Émilie", "d'Yves", "de Bruno", "de @bob:hs"]


async def test_portfolio_title_elides(replays: list[Replay]) -> None:
    replay = await play(replays, "emilie dm: /portfolio\nbruno dm: /portfolio\n")
    titles = [d.text.splitlines()[0] for d in replay.delivered if d.template == "declarations/portfolio"]
    assert titles[0].startswith("**Portfolio d'emilie —") and titles[1].startswith("**Portfolio de bruno —")


def _portfolio(validated: int, required: int, missing: list[str]) -> str:
    return render("fr", "declarations/portfolio", who=UserRef("console", "alice", "Alice"), referential="C2i2e",
                  domains=[], certified=False, has_rule=True, validated=validated, required=required,
                  missing=missing, crosswalks=[], level_rules=[]).text


def test_certification_count_is_said_once() -> None:
    short = _portfolio(22, 23, ["Encore 1 compétence à valider (22 validées sur 23 requises)."])
    assert short.count("22 validées sur 23 requises") == 1
    assert "**Vers la certification**. Il manque :" in short
    # Enough validated, but a domain over its limit: the count is then said in the heading only.
    domain = _portfolio(24, 23, ["Domaine A1 (Maîtrise) : encore 1 compétence à valider — au plus 2 non validées."])
    assert domain.count("24 validées sur 23 requises") == 1


def test_excerpt_cuts_at_a_word_and_says_so() -> None:
    text = "Comment partager un document volumineux avec mes élèves de cinquième sans passer par l'ENT ?"
    cut = excerpt(text, 40)
    assert cut.endswith("…") and len(cut) <= 40
    assert text.startswith(cut[:-1]) and text[len(cut) - 1] == " "  # the cut falls between two words
    assert excerpt("Court.", 40) == "Court."


async def test_sla_lists_long_questions_cut_at_a_word(replays: list[Replay]) -> None:
    question = ("Comment organiser le partage des documents de la séquence entre collègues de l'équipe "
                "disciplinaire sans messagerie ?")
    replay = await play(replays, f"alice in sos: {question}\nfabienne dm: /sla\n")
    sla = next(d for d in replay.delivered if d.template == "sos/sla")
    line = next(li for li in sla.text.splitlines() if "alice" in li)
    shown = line.split("alice : ", 1)[1].split(" — ", 1)[0]  # then who holds it
    assert shown.endswith("…") and question.startswith(shown[:-1]) and question[len(shown) - 1] == " "


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_declaration_confirmation_closing_sentence_is_its_own_paragraph(lang: str) -> None:
    text = render(lang, "declarations/declared", who=UserRef("console", "alice", "Alice"),
                  items=[{"code": "B2-3", "label": "Concevoir", "id": 1, "level": None}], skipped=[],
                  private=True, immediate=True,
                  understood={"trace": "", "links": [], "on_post": False, "embedded": False}).text
    html = matrix_html(text)["formatted_body"]
    assert "</ul>\n<p>" in html  # after the list, not inside its last bullet
    assert "</li>\n</ul>" in html and "Concevoir (n" in html


async def test_a_command_answered_privately_leaves_a_mailbox_in_the_room(replays: list[Replay]) -> None:
    replay = await play(replays, "alice in general: /portfolio\nalice dm: /portfolio\n"
                                 "alice in general: /declare B2-3 https://exemple.org/seq\n")
    reacts = [d for d in replay.delivered if d.kind == "react"]
    portfolios = [d for d in replay.delivered if d.template == "declarations/portfolio"]
    assert [d.to for d in portfolios] == ["alice", "alice"]  # both answers are private
    assert len(reacts) == 1 and reacts[0].text == "📬" and reacts[0].channel == "general"  # only the room one
