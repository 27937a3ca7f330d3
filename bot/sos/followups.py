"""After an answer: the asker's follow-up that nobody answers resumes the policy; "is it solved?" once."""

from __future__ import annotations

from datetime import timedelta

from bot.db.models import Member, Question, Space
from bot.hooks import StepRun, on_step
from bot.members import user_ref
from bot.outbound import Outbound
from bot.sos.ladder import schedule_ladder
from bot.sos.store import LADDER_KINDS, cancel_steps, thread_of


@on_step("sos.next_reply")
async def next_reply(run: StepRun) -> None:
    """The asker followed up after an answer and nobody replied: the policy starts again."""
    question = await run.session.get(Question, run.step.question_id)
    if question is None or question.status != "answered":
        return
    space = await run.session.get(Space, question.space_id)
    if space is None:
        return
    cfg = run.core.space_config(space)
    question.status = "open"
    question.answered_at = None
    question.not_solved_at = run.now  # the replies so far did not solve it
    await cancel_steps(run.session, question.id, LADDER_KINDS + ("sos.solved_check",))
    # Resume "from the nudge": the clock is placed so that the first level is due now.
    offsets = [off for lv in cfg.sos.levels if (off := lv.nominal_offset(cfg.sos.delay_td)) is not None]
    schedule_ladder(run.session, cfg, question, run.now - (offsets[0] if offsets else timedelta(0)))


@on_step("sos.solved_check")
async def solved_check(run: StepRun) -> None:
    question = await run.session.get(Question, run.step.question_id)
    if question is None or question.status != "answered":
        return
    asker = await run.session.get(Member, question.asker_id)
    space = await run.session.get(Space, question.space_id)
    if asker is None or space is None:
        return
    Outbound(run.session, run.now, space.language).reply(
        thread_of(question), "sos/solved_check", asker=user_ref(asker))
