"""Every transition through replay scripts, and the bad-input messages."""

from __future__ import annotations

from decl_support import Run, declarations, reviews, templates

from bot.events import PostCreated
from bot.refs import ChannelRef, MessageRef, ThreadRef, UserRef


async def test_declare_precisions_answer_validate_loop(run: Run) -> None:
    replay = await run("""
alice in general: /declare B2-3 https://exemple.org/sequence
expect declarations/declared
fabienne reply: /precisions Quel niveau de classe ?
expect declarations/needs_info
alice reply: En 5e, avec 28 élèves.
expect declarations/info_received to fabienne
fabienne reply: /valider Très bien
expect declarations/validated
fabienne reply: /valider
expect declarations/already
""")
    [decl] = await declarations(replay)
    assert decl.state == "validated" and decl.referential_id == "c2i2e" and decl.referential_version == "1.0"
    assert decl.label.startswith("Concevoir des situations") and not decl.is_private
    assert decl.trace_text == "https://exemple.org/sequence"
    assert [(f, t) for _, f, t, _ in await reviews(replay)] == [
        ("declared", "in_review"), ("in_review", "needs_info"), ("needs_info", "in_review"),
        ("in_review", "validated")]
    comments = [c for *_, c in await reviews(replay)]
    assert comments[1:] == ["Quel niveau de classe ?", "En 5e, avec 28 élèves.", "Très bien"]
    already = [d for d in replay.delivered if d.template == "declarations/already"][0]
    assert "déjà validée" in already.text
    # The thread's ack carries the declaration id (Discord buttons); validators are DMed.
    sent = [d for d in replay.delivered if not d.template.startswith("privacy/")]
    assert sent[1].to == "fabienne" and sent[1].template == "declarations/notify_validator"


async def test_refuse_requires_motif_then_not_validated(run: Run) -> None:
    replay = await run("""
alice in general: /declare A1-3 J'utilise le cahier de textes de l'ENT
gaston reply: /refuser
expect declarations/motif_required
gaston reply: /refuser "Trace trop courte"
expect declarations/not_validated
gaston reply: /refuser encore
expect declarations/already
""")
    [decl] = await declarations(replay)
    assert decl.state == "not_validated"
    assert (await reviews(replay))[-1][2:] == ("not_validated", "\"Trace trop courte\"")
    assert "refusée" in replay.delivered[-1].text


async def test_precisions_requires_question(run: Run) -> None:
    replay = await run("""
alice in general: /declare A1-3 J'utilise l'ENT
fabienne reply: /precisions
expect declarations/question_required
""")
    assert (await declarations(replay))[0].state == "declared"


async def test_private_declaration_by_dm_reviewed_by_id(run: Run) -> None:
    replay = await run("""
alice dm: /declare A1-1 J'ai listé les personnes ressources de mon collège
expect declarations/declared to alice
tom dm: /valider bravo
expect declarations/need_id to tom
tom dm: /precisions #1 Lesquelles ?
expect declarations/needs_info to alice
alice dm: Le RUPN et la DANE.
expect declarations/info_received to tom
tom dm: /valider #1 Parfait
expect declarations/validated to alice
""")
    [decl] = await declarations(replay)
    assert decl.is_private and decl.state == "validated"
    sent = [(d.template, d.to) for d in replay.delivered]
    for expected in (("declarations/notify_validator", "fabienne"), ("declarations/review_done", "tom"),
                     ("declarations/answer_noted", "alice")):
        assert expected in sent
    # Nothing about a private declaration is written in a channel.
    assert all(d.to for d in replay.delivered if d.template.startswith("declarations/"))


async def test_buttons_args_work_anywhere(run: Run) -> None:
    """Discord buttons send `#<id> <text>`: in the formateurs' room too."""
    replay = await run("""
alice dm: /confidentialite public
alice in general: /declare B1-1 Travail en équipe sur un pad
fabienne in formateurs: /valider #1 Très bon travail collaboratif
expect declarations/validated
""")
    assert ("declarations/review_done", "fabienne") in [(d.template, d.to) for d in replay.delivered]
    validated = [d for d in replay.delivered if d.template == "declarations/validated"][0]
    assert validated.channel == "general" and validated.thread == "m2"


async def test_decisions_on_a_public_declaration_stay_private_by_default(run: Run) -> None:
    replay = await run("""
alice in general: /declare B1-1 Travail en équipe sur un pad
fabienne reply: /precisions Avec quels collègues ?
alice reply: Avec l'équipe de lettres.
fabienne reply: /refuser Il manque la trace du pad.
""")
    asked = [d for d in replay.delivered if d.template == "declarations/needs_info"][0]
    refused = [d for d in replay.delivered if d.template == "declarations/not_validated"][0]
    assert asked.channel == "general"  # the question is asked where the member answers it
    assert refused.to == "alice" and refused.channel == ""  # the refusal is not shown to the channel


async def test_declare_on_thread_post_links_trace(run: Run) -> None:
    replay = await run("""
alice in general: Voici ma séquence sur la recherche documentaire avec Qwant Junior.
alice reply: /déclarer b2.3
expect declarations/declared
alice dm: /portfolio
expect declarations/portfolio to alice
""")
    [decl] = await declarations(replay)
    assert decl.code == "B2-3" and decl.trace_text is None and decl.trace_post_id is not None
    assert "trace : post de septembre 2026" in replay.delivered[-1].text


async def test_several_codes_and_code_pick_in_thread(run: Run) -> None:
    replay = await run("""
alice in general: /declare B2-1, B2-2 Séquence complète : https://exemple.org/s
fabienne reply: /valider B2-2 oui
expect declarations/validated
fabienne reply: /refuser Pas de trace d'évaluation
expect declarations/not_validated
""")
    states = {d.code: d.state for d in await declarations(replay)}
    assert states == {"B2-1": "not_validated", "B2-2": "validated"}


async def test_bad_inputs(run: Run) -> None:
    replay = await run("""
alice dm: /declare 2.3 une trace
expect declarations/foreign_code to alice
alice dm: /declare CRCN 2.3 une trace
expect declarations/foreign_code to alice
alice dm: /declare B2-7 une trace
expect declarations/unknown_code to alice
alice dm: /declare
expect declarations/usage to alice
alice dm: /declare ma séquence
expect declarations/usage to alice
alice dm: /declare B2-3
expect declarations/no_trace to alice
fabienne dm: /valider #99
expect declarations/not_found to fabienne
fabienne in general: /valider
expect declarations/need_id
""")
    assert await declarations(replay) == []
    unknown = [d for d in replay.delivered if d.template == "declarations/unknown_code"][0]
    assert "`B2-1`" in unknown.text and "Identifier les situations" in unknown.text
    foreign = next(d for d in replay.delivered if d.template == "declarations/foreign_code")
    assert "CRCN" in foreign.text and "C2i2e" in foreign.text


async def test_redeclaring_pending_or_validated_is_refused(run: Run) -> None:
    replay = await run("""
alice dm: /declare A2-1 MOOC suivi
alice dm: /declare A2-1 autre trace
expect declarations/nothing_new to alice
alice dm: /declare A2-1 A2-2 MOOC et article
expect declarations/declared to alice
""")
    assert [d.code for d in await declarations(replay)] == ["A2-1", "A2-2"]


async def test_a_valider_lists_oldest_first(run: Run) -> None:
    replay = await run("""
alice dm: /declare A1-1 trace un
+1h
bruno in general: /declare A1-2 trace deux
+1h
alice dm: /a-valider
expect declarations/refuse_role to alice
tom dm: /a-valider
expect declarations/queue to tom
""")
    queue = replay.delivered[-1].text
    assert queue.index("n° 1") < queue.index("n° 2") and "(privée)" in queue
    assert {d.state for d in await declarations(replay)} == {"declared"}


async def test_duplicate_event_is_one_transition(run: Run) -> None:
    replay = await run("alice in general: /declare B3-1 Une séance en salle info\n")
    assert replay.app is not None
    channel = ChannelRef("console", "general")
    event = PostCreated("dup-1", UserRef("console", "fabienne", "fabienne"), channel, MessageRef(channel, "x1"),
                        "/valider bravo", thread=ThreadRef(channel, "m1"))
    assert await replay.app.submit(event) is not False
    await replay.app.submit(event)
    await replay.app.run_once()
    assert [t for *_, t, _ in await reviews(replay)] == ["in_review", "validated"]
    assert templates(replay).count("declarations/validated") == 1


async def test_privacy_setting(run: Run) -> None:
    replay = await run("""
alice dm: /confidentialite
expect declarations/privacy_usage to alice
alice dm: /confidentialité public
expect declarations/privacy_set to alice
""")
    assert "publiques" in replay.delivered[-1].text


async def test_digest_policy_does_not_notify(run: Run) -> None:
    from bot.config import ReviewPolicy

    replay = __import__("adapters.console.replay", fromlist=["Replay"]).Replay()
    try:
        await replay.run_script("space demo referential=c2i2e\nmember alice\ntrainer fabienne\n")
        replay.spaces["demo"].config.review = ReviewPolicy(notify="digest")
        await replay.run_line("alice dm: /declare A1-1 trace")
        assert templates(replay) == ["declarations/declared"]
        assert "prochain récapitulatif" in replay.delivered[-1].text
    finally:
        await replay.close()


async def test_english_member_gets_english_messages(run: Run) -> None:
    replay = await run("""
alice dm: /langue en
alice dm: /declare B2-7 evidence
expect declarations/unknown_code to alice
""")
    assert "I cannot find the code" in replay.delivered[-1].text
