"""Review reminders with the fake clock."""

from __future__ import annotations

from decl_support import Run


async def test_reminder_after_review_delay_then_coordinator(run: Run) -> None:
    replay = await run("""
alice in general: /declare B3-1 https://exemple.org/seance
+6d
expect no declarations/reminder
+2d
expect declarations/reminder to fabienne
+7d
expect declarations/reminder_coordinator to claire
""")
    reminders = [d for d in replay.delivered if d.template == "declarations/reminder"]
    assert {d.to for d in reminders} == {"fabienne", "gaston"}  # both referent trainers
    assert "attend une réponse depuis 7 jours" in reminders[0].text


async def test_no_reminder_once_decided_or_waiting_for_member(run: Run) -> None:
    replay = await run("""
alice in general: /declare B3-1 https://exemple.org/seance
fabienne reply: /valider
bruno in general: /declare B3-2 https://exemple.org/autre
gaston reply: /precisions Quelle classe ?
+8d
expect no declarations/reminder
""")
    assert "declarations/reminder" not in [d.template for d in replay.delivered]


async def test_answer_restarts_the_review_delay(run: Run) -> None:
    await run("""
alice in general: /declare B3-1 https://exemple.org/seance
+3d
fabienne reply: /precisions Quelle classe ?
+3d
alice reply: Une classe de 4e.
+6d
expect no declarations/reminder
+1d12h
expect declarations/reminder to fabienne
""")
