"""Every ladder rule and SOS command, through replay scripts with a fake clock (exact, instant)."""

from __future__ import annotations

from adapters.console.replay import replay_text

HEAD = """
space demo referential=c2i2e delay=4d policy=calendar
member alice
member bruno
tutor thomas
trainer fabienne
trainer gilles
coordinator claire
resource rita
at 2026-09-07T09:00
alice in sos: Comment partager un document avec mes élèves sans ENT ?
"""


def names(delivered) -> list[str]:  # type: ignore[no-untyped-def]
    return [d.template for d in delivered if d.template and not d.template.startswith("privacy/")]


async def test_unanswered_question_climbs_every_level_and_the_coordinator_is_warned_before_the_deadline() -> None:
    delivered = await replay_text(HEAD + "+5d\n")
    got = [(d.at.isoformat()[:16], d.template, d.to or d.channel) for d in delivered if d.template in names(delivered)]
    assert got == [
        ("2026-09-07T07:00", "sos/received", "sos"),
        ("2026-09-08T07:00", "sos/nudge", "sos"),  # 25 %: the community
        ("2026-09-09T07:00", "sos/referent", "fabienne"),  # 50 %: one named formateur (no rota: the referent)
        ("2026-09-09T15:00", "sos/trainers_alert", "formateurs"),  # no /claim within 8 waking hours
        ("2026-09-10T08:00", "sos/resource", "rita"),  # then the resource person, by name
        ("2026-09-10T14:00", "sos/coordinator_warning", "claire"),  # 17 h before the deadline
        ("2026-09-11T07:00", "sos/breach_thread", "sos"),  # 100 %: recorded and said
        ("2026-09-11T07:00", "sos/breach_coordinator", "claire"),
    ]
    nudge = next(d for d in delivered if d.template == "sos/nudge")
    assert "@rita" in nudge.text  # the space's volunteer resource person is named
    alert = next(d for d in delivered if d.template == "sos/trainers_alert")
    assert "@gilles" in alert.text and "@fabienne" not in alert.text  # fabienne was already asked


async def test_a_trainer_reply_answers_the_question_and_stops_the_ladder() -> None:
    delivered = await replay_text(HEAD + "+1d6h\nfabienne reply: Essaie l'espace classe.\n+5d\n")
    assert names(delivered) == ["sos/received", "sos/nudge", "sos/solved_check"]


async def test_a_peer_reply_counts_once_the_asker_ticks_it() -> None:
    script = HEAD + "+2h\nbruno reply: Passe par la plateforme.\n+1d\nalice react ✅\n+5d\n"
    delivered = await replay_text(script)
    assert names(delivered) == ["sos/received", "sos/nudge", "sos/resolved"]
    nudge = next(d for d in delivered if d.template == "sos/nudge")
    assert "ajoutez ✅" in nudge.text  # the nudge reminds the asker that an answer waits for a tick


async def test_someone_else_ticking_does_not_resolve() -> None:
    delivered = await replay_text(HEAD + "bruno reply: Essaie ça.\nbruno react ✅\n+5d\n")
    assert "sos/resolved" not in names(delivered)
    assert "sos/breach_thread" in names(delivered)


async def test_resolu_by_the_asker_closes_and_reouvrir_restarts_the_clock() -> None:
    script = HEAD + "bruno reply: Essaie ça.\nalice reply: /resolu\n+3d\nalice reply: /reouvrir\n+1d\n"
    delivered = await replay_text(script)
    # In the thread (messages are ordered per conversation; DMs go on their own):
    in_thread = [d.template for d in delivered if not d.to and d.template]
    assert in_thread[:4] == ["sos/received", "sos/resolved", "sos/reopened", "sos/nudge"]
    reopened = next(d for d in delivered if d.template == "sos/reopened")
    assert "14 septembre à 09:00" in reopened.text  # 10 Sept + 4 days
    # A new delay over a (quiet) weekend: staff are asked at once, before the weekend, not on Monday.
    assert [d.template for d in delivered if d.at == reopened.at and d.to] == ["sos/referent"]


async def test_a_claim_pauses_the_policy_is_chased_and_the_breach_stays() -> None:
    delivered = await replay_text(HEAD + "+1h\nfabienne reply: /claim\n+5d\n")
    assert names(delivered) == ["sos/received", "sos/claimed", "sos/claim_reminder", "sos/nudge", "sos/referent",
                                "sos/trainers_alert", "sos/resource", "sos/coordinator_warning", "sos/breach_thread",
                                "sos/breach_coordinator"]
    reminder = next(d for d in delivered if d.template == "sos/claim_reminder")
    assert reminder.to == "fabienne"
    referent = next(d for d in delivered if d.template == "sos/referent")
    assert referent.to == "gilles"  # the claim lapsed: someone else is asked
    breach = next(d for d in delivered if d.template == "sos/breach_thread")
    assert "claire s'en occupe" in breach.text  # the thread is told who is now on it


async def test_refusals_are_polite_and_change_nothing() -> None:
    script = HEAD + "bruno reply: /claim\nbruno reply: /resolu\nbruno reply: /reouvrir\n+5d\n"
    delivered = await replay_text(script)
    got = names(delivered)
    assert got[:4] == ["sos/received", "sos/refuse_claim", "sos/refuse_resolve", "sos/refuse_reopen"]
    assert "sos/breach_thread" in got  # the ladder went on


async def test_resolu_outside_a_question_thread_is_explained() -> None:
    delivered = await replay_text(HEAD + "bruno in general: /resolu\n")
    assert names(delivered)[-1] == "sos/not_a_question_thread"


async def test_sos_command_opens_a_question_anywhere_in_the_space() -> None:
    delivered = await replay_text(HEAD.replace("alice in sos", "bruno in sos") +
                                  "alice in general: /sos Mon vidéoprojecteur ne s'allume plus\n+1d\n")
    received = [d for d in delivered if d.template == "sos/received"]
    assert [d.channel for d in received] == ["sos", "general"]
    assert any(d.template == "sos/nudge" and d.channel == "general" for d in delivered)


async def test_a_trainer_announcement_in_sos_is_not_a_question() -> None:
    delivered = await replay_text(HEAD + "fabienne in sos: Rappel : atelier ENT jeudi à 14h.\n+5d\n")
    assert sum(1 for d in delivered if d.template == "sos/received") == 1


async def test_thanks_and_bumps_from_the_asker_are_not_answers() -> None:
    delivered = await replay_text(HEAD + "alice reply: up\nalice reply: merci d'avance !\n+5d\n")
    assert "sos/breach_thread" in names(delivered)


async def test_a_follow_up_after_an_answer_resumes_the_ladder_when_nobody_replies() -> None:
    script = HEAD + ("+1h\nthomas reply: Utilise le drive de l'établissement.\n"
                     "+1h\nalice reply: Ça ne marche toujours pas, le lien est refusé.\n+2d1h\n")
    delivered = await replay_text(script)
    got = names(delivered)
    assert got[:2] == ["sos/received", "sos/nudge"] and got.count("sos/nudge") == 1
    nudge = next(d for d in delivered if d.template == "sos/nudge")
    assert nudge.at.isoformat()[:16] == "2026-09-09T09:00"  # 2 days after the follow-up (11:00 Paris)


async def test_solved_check_is_asked_once_two_days_after_an_answer() -> None:
    delivered = await replay_text(HEAD + "thomas reply: Voici la marche à suivre.\n+10d\n")
    assert names(delivered).count("sos/solved_check") == 1


async def test_a_different_problem_in_a_solved_thread_gets_an_invitation() -> None:
    script = HEAD + "thomas reply: Voici.\nalice react ✅\nbruno reply: Et pour imprimer depuis la tablette ?\n"
    delivered = await replay_text(script)
    assert names(delivered)[-1] == "sos/new_question_invite"


async def test_working_day_policy_skips_the_weekend() -> None:
    script = HEAD.replace("policy=calendar", "policy=working").replace("2026-09-07T09:00", "2026-09-11T09:00")
    delivered = await replay_text(script + "+10d\n")
    breach = next(d for d in delivered if d.template == "sos/breach_thread")
    assert breach.at.isoformat()[:16] == "2026-09-17T07:00"  # Fri 11 + 4 working days = Thu 17, 09:00 Paris


async def test_sla_report_is_for_staff_and_lists_open_questions_by_urgency() -> None:
    script = HEAD + "+1d\nbruno in sos: Quel logiciel pour la carte mentale ?\nfabienne dm: /sla\nalice dm: /sla\n"
    delivered = await replay_text(script)
    sla = next(d for d in delivered if d.template == "sos/sla")
    assert sla.to == "fabienne" and sla.text.index("alice") < sla.text.index("bruno")
    assert names(delivered)[-1] == "sos/refuse_sla"


async def test_english_space_speaks_english() -> None:
    delivered = await replay_text(HEAD.replace("policy=calendar", "policy=calendar lang=en"))
    received = next(d for d in delivered if d.template == "sos/received")
    assert "your question is recorded" in received.text


ROUTING = """
space demo referential=c2i2e delay=4d
member alice
member bruno
trainer fabienne
at 2026-09-01T09:00
bruno in general: /declare B3-5 J'ai préparé un plan B papier pour chaque séance au TBI.
fabienne reply: /valider
{consent}
at 2026-09-07T09:00
alice in sos: Mon vidéoprojecteur s'éteint en pleine séance, comment anticiper ? #B3-5
+1d
"""


async def test_the_nudge_names_people_with_the_matching_validated_competence_only_with_their_consent() -> None:
    without = await replay_text(ROUTING.format(consent=""))
    nudge = next(d for d in without if d.template == "sos/nudge")
    assert "@bruno" not in nudge.text
    agreed = await replay_text(ROUTING.format(consent="bruno dm: /consentement public"))
    nudge = next(d for d in agreed if d.template == "sos/nudge")
    assert "@bruno" in nudge.text


async def test_the_referent_dm_goes_to_the_askers_group_formateur_only() -> None:
    script = """
space demo delay=4d
member alice group=A
member bruno group=B
trainer fabienne group=A
trainer gilles group=B
at 2026-09-07T09:00
alice in sos: Comment créer un QCM dans l'ENT ?
+2d
"""
    delivered = await replay_text(script)
    assert [d.to for d in delivered if d.template == "sos/referent"] == ["fabienne"]
