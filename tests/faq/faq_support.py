"""Helpers for the FAQ tests: a September thread resolved by a formateur, replayed on a chosen database."""

from __future__ import annotations

from held_executor import HeldExecutor
from replay_support import replay, rows, sent

__all__ = ["OCTOBER_ASK", "SEPTEMBER", "HeldExecutor", "replay", "rows", "sent", "team"]

TEAM = """
space lettres referential=c2i2e delay=4d {options}
member alice
member bruno
member chloe
tutor thomas
trainer fabienne
coordinator claire
"""

# Thread 1 (m1): resolved in September by fabienne's answer, ticked by alice.
SEPTEMBER = """
at 2026-09-14T09:00
alice in sos: Mon TNI ne reconnaît plus le stylet depuis la mise à jour, que faire ?
+2h
fabienne reply: Ouvre le logiciel du tableau, menu Paramètres puis Calibrage, et touche les cinq croix.
alice react ✅
"""

OCTOBER_ASK = """
at 2026-10-05T10:00
chloe in sos: Le stylet de mon tableau blanc interactif ne marche plus du tout, une idée ?
"""


def team(options: str = "") -> str:
    return TEAM.format(options=options)


