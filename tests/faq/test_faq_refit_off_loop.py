"""The FAQ index's vocabulary is refitted off the event loop: while a refit is held in the executor,
posts and new questions are handled, and their suggestions already reflect the database as it is now
(the documents are kept current on the loop; only the vocabulary waits for the refit)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from faq_support import HeldExecutor, rows, sent, team
from test_faq_index_growth import TOPICS, resolved

from adapters.console.replay import Replay
from bot.db.models import Post, Question
from bot.faq.index import faq_indexes_of


@pytest.fixture
async def run(database_url: str) -> AsyncIterator[Replay]:
    r = Replay(database_url=database_url)
    try:
        yield r
    finally:
        await r.close()


@pytest.fixture
def held() -> AsyncIterator[HeldExecutor]:
    executor = HeldExecutor()
    try:
        yield executor  # type: ignore[misc]
    finally:
        executor.gate.set()
        executor.shutdown(wait=True)


async def test_posts_and_questions_are_handled_while_the_index_is_refitted(run: Replay, held: HeldExecutor) -> None:
    # 8 resolved threads; the search at the end sees the last one (each question is searched on arrival).
    await run.run_script(
        team() + "at 2026-09-07T09:00\n" + "".join(resolved(q, a) for q, a in TOPICS) + "claire dm: /faq wifi\n"
    )
    assert run.app is not None
    indexes = faq_indexes_of(run.app.core)
    await indexes.settled()  # the refits as the index grew from 0 to 8 threads ran in the default executor
    assert indexes.current[("lettres",)].fitted_on == len(TOPICS)
    indexes.executor = held

    # Curating the wifi thread changes the documents (not only additions): the next search re-reads
    # them on the loop and starts a refit, which the gate holds.
    await run.run_script(
        "fabienne reply: /faq ajouter Wifi qui décroche en classe | Un relais wifi du référent\n"
        "chloe in sos: Le wifi de ma salle coupe pendant les séances\n"
    )
    await held.wait_started()
    assert indexes.refitting(("lettres",)) and held.jobs == 1
    assert indexes.current[("lettres",)].changed  # answering with the previous vocabulary meanwhile
    ack = sent(run, "sos/received")[-1]
    assert "Wifi qui décroche en classe" in ack.text  # the entry made a moment ago, found before the refit

    # More events while the refit is still held: each is handled and committed, nothing waits for it.
    before = len(run.delivered)
    await run.run_script(
        "bruno in general: Quelqu'un a testé Framindmap avec des CM1 ?\n"
        "bruno in sos: Comment faire une carte mentale avec ma classe ?\n"
    )
    assert [d.template for d in run.delivered[before:] if d.template == "sos/received"] == ["sos/received"]
    assert "Framindmap" in sent(run, "sos/received")[-1].text  # the carte mentale thread, suggested
    assert len(await rows(run, Post, Post.text == "Quelqu'un a testé Framindmap avec des CM1 ?")) == 1
    assert len(await rows(run, Question, Question.status == "open")) == 2
    assert indexes.refitting(("lettres",)) and held.jobs == 1  # still the one refit: no second one started

    held.gate.set()
    await indexes.settled()
    index = indexes.current[("lettres",)]
    assert not index.changed and index.fitted_on == len(index.docs) == len(TOPICS)  # the refit took over
    await run.run_script("alice in sos: Mon wifi décroche en pleine séance, une idée ?\n")
    assert "Wifi qui décroche en classe" in sent(run, "sos/received")[-1].text
    assert held.jobs == 1  # nothing changed since: no refit
