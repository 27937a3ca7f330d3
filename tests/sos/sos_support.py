"""Helpers for the SOS scenario tests: run a replay script on a chosen database and look at its rows."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from replay_support import replay, rows, sent

from adapters.console.replay import Replay

__all__ = ["PARIS", "TEAM", "local", "member_id", "replay", "rows", "sent", "team", "who_got"]

PARIS = ZoneInfo("Europe/Paris")

TEAM = """
space demo referential=c2i2e delay=4d policy=calendar {options}
member alice
member bruno
tutor thomas
trainer fabienne
trainer gilles
coordinator claire
"""


def team(options: str = "") -> str:
    return TEAM.format(options=options)


def who_got(run: Replay) -> list[tuple[str, str]]:
    """(template, recipient or channel) of every delivered message, in order."""
    return [(d.template, d.to or d.channel) for d in sent(run)]


def local(at: datetime) -> str:
    return at.astimezone(PARIS).strftime("%a %d/%m %H:%M")


async def member_id(run: Replay, name: str) -> int:
    from bot.db.models import Member

    (member,) = await rows(run, Member, Member.platform_user_id == name)
    return int(member.id)
