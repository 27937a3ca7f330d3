"""A claim is a promise: a silent claimer is reminded once, then the next level is tried."""

from __future__ import annotations

from sos_support import local, member_id, replay, rows, sent, team

from bot.db.models import Question
from bot.db.sos_models import Assignment

ASK = "at 2026-09-07T09:00\nalice in sos: Comment partager un document sans ENT ?\n+1h\n"


async def test_a_silent_claim_is_reminded_once_then_handed_on(database_url: str) -> None:
    script = team() + ASK + "fabienne reply: /claim\n+5d\n"
    async with replay(database_url, script) as run:
        fabienne = await member_id(run, "fabienne")
        (claim,) = await rows(run, Assignment, Assignment.member_id == fabienne)
        assert claim.state == "lapsed" and claim.acknowledged_at is not None and claim.reminded_at is not None
        reminders = sent(run, "sos/claim_reminder")
        assert [r.to for r in reminders] == ["fabienne"]  # once, to the claimer only
        (reminder,) = reminders
        assert reminder.at == claim.reminded_at and claim.ended_at == reminder.at
        assert "confiée dès maintenant à la personne suivante" in reminder.text  # she is told, and may answer
        # At the reminder itself, the question goes on: someone else is asked, not fabienne.
        after = [d for d in sent(run) if d.at > reminder.at and d.to]
        assert after and after[0].to != "fabienne"
        assert all(d.to != "fabienne" for d in after if d.template != "sos/trainers_alert")
        (question,) = await rows(run, Question)
        assert question.claimed_by_id is None  # the claim lapsed
        assert len(sent(run, "sos/claimed")) == 1


async def test_a_claimer_who_answers_after_the_reminder_still_answers_it(database_url: str) -> None:
    # The reminder (Wed 08:00) handed it on; fabienne's answer an hour later still answers the question,
    # and gilles, asked at 09:00 (the referent level's latest start, after the nudge), hears nothing more.
    script = team() + ASK + "fabienne reply: /claim\n+2d\nfabienne reply: Voici la marche à suivre.\n+5d\n"
    async with replay(database_url, script) as run:
        fabienne = await member_id(run, "fabienne")
        (claim,) = await rows(run, Assignment, Assignment.member_id == fabienne)
        assert claim.state == "lapsed" and claim.reminded_at is not None
        (question,) = await rows(run, Question)
        assert question.status == "answered"
        assert local(question.answered_at) == "Wed 09/09 10:00"
        staff = [(d.template, d.to) for d in sent(run) if d.to and d.template.startswith("sos/")]
        assert staff == [("sos/claim_reminder", "fabienne"), ("sos/referent", "gilles")]


async def test_the_reminder_leaves_time_for_the_next_level_and_respects_quiet_hours(database_url: str) -> None:
    script = team() + ASK + "fabienne reply: /claim\n+5d\n"
    async with replay(database_url, script) as run:
        (reminder,) = sent(run, "sos/claim_reminder")
        next_ask = next(d for d in sent(run) if d.at > reminder.at and d.to and d.to != "fabienne")
        assert local(reminder.at) == "Wed 09/09 08:00"  # a day of waking time after the claim
        # Handed on at the reminder: the nudge at once, then gilles at the referent level's latest start.
        assert local(next_ask.at) == "Wed 09/09 09:00" and next_ask.to == "gilles"
        assert 8 <= int(local(reminder.at)[-5:-3]) < 21


async def test_claim_in_a_private_message_takes_the_question_given_to_you(database_url: str) -> None:
    script = team() + ASK + "+2d\nfabienne dm: /claim\n"
    async with replay(database_url, script) as run:
        fabienne = await member_id(run, "fabienne")
        (assignment,) = await rows(run, Assignment, Assignment.member_id == fabienne)
        assert assignment.state == "acknowledged" and assignment.target == "referent"
        assert [d.to for d in sent(run, "sos/claim_noted")] == ["fabienne"]
        (claimed,) = sent(run, "sos/claimed")
        assert claimed.thread == "m1"  # the thread is told who took it


async def test_a_claim_is_handed_on_no_later_than_the_next_level_would_have_started(database_url: str) -> None:
    # Monday 09:00, fabienne on call claims on Wednesday 10:00 and forgets. A day of waking time would
    # run to Thursday evening; the coordinator's latest start is Thursday 16:00, so the reminder comes
    # then and hands the question on at once: the formateurs' alert (its time is over) and claire.
    script = team("oncall=fabienne,gilles") + (
        "at 2026-09-07T09:00\nalice in sos: Comment partager un document sans ENT ?\n"
        "at 2026-09-09T10:00\nfabienne dm: /claim\n+3d\n")
    async with replay(database_url, script) as run:
        staff = [(local(d.at), d.template, d.to or d.channel) for d in sent(run) if d.template in
                 ("sos/claim_reminder", "sos/trainers_alert", "sos/coordinator_warning", "sos/breach_thread")]
        assert staff == [("Thu 10/09 16:00", "sos/claim_reminder", "fabienne"),
                         ("Thu 10/09 16:00", "sos/trainers_alert", "formateurs"),
                         ("Thu 10/09 16:00", "sos/coordinator_warning", "claire"),
                         ("Fri 11/09 09:00", "sos/breach_thread", "sos")]
