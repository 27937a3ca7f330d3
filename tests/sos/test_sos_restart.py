"""A restart (or downtime) in the middle of a policy loses and duplicates nothing, on both databases."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sos_support import replay, rows, team, who_got

from bot.db.models import Escalation
from bot.db.sos_models import Assignment

SCRIPT = team("oncall=fabienne,gilles") + """
at 2026-09-07T09:00
alice in sos: Comment partager un document sans ENT ?
bruno in sos: Quel logiciel pour une carte mentale ?
+1d2h
{r1}
+1d
fabienne dm: /claim 1
fabienne dm: /passer 2 en formation
{r2}
+1d
{r3}
+3d
"""


Outcome = tuple[list[tuple[str, str]], Counter[tuple[int, str, int | None]], list[tuple[int, int, str, str]]]


async def _outcome(database_url: str, r1: str = "", r2: str = "", r3: str = "") -> Outcome:
    async with replay(database_url, SCRIPT.format(r1=r1, r2=r2, r3=r3)) as run:
        escalations = Counter((e.question_id, e.kind, e.member_id) for e in await rows(run, Escalation))
        states = sorted((a.question_id, a.member_id, a.target, a.state) for a in await rows(run, Assignment))
        return who_got(run), escalations, states


async def test_restarts_and_downtime_mid_policy_lose_and_duplicate_nothing(database_url: str, tmp_path: Path) -> None:
    reference = await _outcome(f"sqlite+aiosqlite:///{tmp_path / 'reference.db'}")
    templates = [t for t, _to in reference[0]]
    assert {"sos/oncall", "sos/passed", "sos/claim_reminder", "sos/trainers_alert", "sos/coordinator_warning",
            "sos/breach_thread"} <= set(templates)
    # The same story with two restarts and 13 hours of downtime in the middle (what falls due while down
    # fires once at start-up): the same messages to the same people in the same order, the same rows.
    interrupted = await _outcome(database_url, r1="restart", r2="down 13h", r3="restart")
    assert interrupted == reference
