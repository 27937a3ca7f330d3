"""Staff endorsement answers a question; an unconfirmed peer reply is checked, not alarmed; the asker's
`/pas-resolu` (or ❌) resumes the policy with the time left."""

from __future__ import annotations

from sos_support import local, replay, rows, sent, team, who_got

from bot.db.models import Post, Question, ScheduledStep

ASK = "at 2026-09-07T09:00\nalice in sos: Comment partager un document sans ENT ?\n+3h\n"
PEER = "bruno reply: Passe par le lien de partage du drive de l'établissement.\n"
ENDORSE = ASK + PEER + "+2h\nfabienne react ✅\n"
STAFF = {"thomas", "fabienne", "gilles", "claire", "formateurs"}


async def test_a_formateur_endorsing_a_peer_reply_answers_and_stops_the_policy(database_url: str) -> None:
    async with replay(database_url, team() + ENDORSE + "+5d\n") as run:
        (question,) = await rows(run, Question)
        (reply,) = await rows(run, Post, Post.platform_post_id == "m2")
        assert question.status == "answered" and question.answered_at == reply.created_at  # answered when written
        (endorsed,) = sent(run, "sos/endorsed")
        assert endorsed.thread == "m1" and "@fabienne" in endorsed.text and "bruno" in endorsed.text
        assert [to for _t, to in who_got(run) if to in STAFF] == []  # nobody was pinged
        pending = await rows(run, ScheduledStep, ScheduledStep.question_id == question.id,
                             ScheduledStep.state == "pending")
        assert pending == []
        assert [d.template for d in sent(run)] == ["sos/received", "sos/endorsed", "sos/solved_check"]


async def test_an_unconfirmed_peer_reply_asks_staff_to_check_it_not_to_rescue_it(database_url: str) -> None:
    async with replay(database_url, team() + ASK + PEER + "+3d\n") as run:
        (nudge,) = sent(run, "sos/nudge")
        assert "ajoutez ✅" in nudge.text  # the asker is asked, once, in the nudge
        assert sent(run, "sos/peer_reply_check") == []
        asked = [d for d in sent(run) if d.to in STAFF or d.kind == "mention_roles"]
        assert asked
        for message in asked:
            assert "sans réponse" not in message.text and "n'a pas encore de réponse" not in message.text
            assert "bruno" in message.text and "lien de partage" in message.text
        referent = next(d for d in asked if d.template == "sos/referent")
        assert "✅ sur la réponse de bruno" in referent.text


async def test_pas_resolu_after_an_endorsement_resumes_with_the_time_left(database_url: str) -> None:
    script = team() + ENDORSE + "+1d\nalice reply: /pas-resolu\n+4d\n"
    async with replay(database_url, script) as run:
        (question,) = await rows(run, Question)
        (resumed,) = sent(run, "sos/not_solved")
        assert local(resumed.at) == "Tue 08/09 14:00" and "11 septembre à 09:00" in resumed.text  # same deadline
        assert question.deadline_at.isoformat().startswith("2026-09-11T07:00")
        # The next level at once (the community, then the formateur on its latest start), up to the breach.
        after = [(d.template, local(d.at)) for d in sent(run) if d.at >= resumed.at]
        assert after[:3] == [("sos/not_solved", "Tue 08/09 14:00"), ("sos/nudge", "Tue 08/09 14:00"),
                             ("sos/referent", "Wed 09/09 09:00")]
        assert ("sos/breach_thread", "Fri 11/09 09:00") in after
        assert question.status == "open" and question.not_solved_at == resumed.at


async def test_the_askers_cross_on_a_peer_reply_stops_it_counting(database_url: str) -> None:
    script = team() + ASK + PEER + "+1h\nalice react ❌\n+3d\n"
    async with replay(database_url, script) as run:
        (noted,) = sent(run, "sos/not_solved")
        assert noted.thread == "m1"
        (referent,) = sent(run, "sos/referent")
        assert "n'a pas encore de réponse" in referent.text and "bruno" not in referent.text
        (nudge,) = sent(run, "sos/nudge")
        assert "ajoutez ✅" not in nudge.text


async def test_only_the_asker_says_not_solved_and_nothing_changes_otherwise(database_url: str) -> None:
    script = team() + ENDORSE + "bruno reply: /pas-resolu\n"
    async with replay(database_url, script) as run:
        (refusal,) = sent(run, "sos/refuse_not_solved")
        assert refusal.thread == "m1"
        (question,) = await rows(run, Question)
        assert question.status == "answered" and question.not_solved_at is None
