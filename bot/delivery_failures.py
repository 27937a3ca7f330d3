"""Deliveries given up on: recorded with their reason, listed, and told to the space's coordinators.

When a row fails for good the dispatcher calls `note_failure` in the same transaction: each space the
row concerns (the channel's space, or the spaces of the person a DM was for) gets one pending
`delivery.failures` step, due REPORT_DELAY later so that one incident makes one message, and at most
one message per space every REPORT_EVERY. The step DMs every coordinator a summary (never the
messages' text: template, where, when, why) with the commands that list and resend them.

`failed_deliveries` and the `delivery/failed_section` template are what a report (e.g. /sla) includes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Channel, KeyValue, Member, Outbox, ScheduledStep, Space
from bot.hooks import StepRun, on_step
from bot.members import members_with_role, spaces_of

log = logging.getLogger(__name__)

REPORT_STEP = "delivery.failures"
REPORT_TEMPLATE = "delivery/failures"
REPORT_DELAY = timedelta(minutes=10)  # gather the failures of one incident into one message
REPORT_EVERY = timedelta(days=1)  # at most one summary per space per day
SHOWN = 10  # rows listed in a message; the rest are counted


def _reported_key(space_id: str) -> str:
    return f"delivery.failures_reported:{space_id}"


@dataclass(frozen=True)
class FailedDelivery:
    """One row given up on, as a coordinator reads it."""

    id: int
    failed_at: datetime
    template: str
    where: str  # "thread" | "channel" | "direct"
    name: str  # channel name (or id), or the person's display name for a DM
    reason: str
    attempts: int


async def _channel(session: AsyncSession, platform: str, channel_id: str) -> Channel | None:
    return (await session.execute(
        select(Channel).where(Channel.platform == platform, Channel.platform_channel_id == channel_id)
    )).scalar_one_or_none()


async def _member(session: AsyncSession, platform: str, user_id: str) -> Member | None:
    return (await session.execute(
        select(Member).where(Member.platform == platform, Member.platform_user_id == user_id)
    )).scalar_one_or_none()


def _channel_id(payload: dict[str, object]) -> str | None:
    for key in ("thread", "message"):
        value = payload.get(key)
        if isinstance(value, dict) and isinstance(value.get("channel"), dict):
            return str(value["channel"].get("id", ""))
    channel = payload.get("channel")
    return str(channel.get("id", "")) if isinstance(channel, dict) else None


async def describe(session: AsyncSession, row: Outbox) -> tuple[list[str], FailedDelivery]:
    """The spaces a row concerns, and how to show it."""
    payload = row.payload or {}
    user = payload.get("user")
    if isinstance(user, dict):
        member = await _member(session, row.platform, str(user.get("id", "")))
        spaces = await spaces_of(session, member.id) if member is not None else []
        where, name = "direct", (member.display_name if member is not None else str(user.get("display", "")))
    else:
        channel_id = _channel_id(payload) or ""
        channel = await _channel(session, row.platform, channel_id)
        spaces = [channel.space_id] if channel is not None else []
        where = "thread" if "thread" in payload else "channel"
        name = (channel.name or channel.kind) if channel is not None else channel_id
    failed_at = row.failed_at or row.next_attempt_at
    return spaces, FailedDelivery(row.id, failed_at, row.template or row.kind, where, name,
                                  row.last_error or "", row.attempts)


async def note_failure(session: AsyncSession, row: Outbox, now: datetime) -> None:
    """Arm each concerned space's summary for coordinators (once per incident, at most daily)."""
    if row.template == REPORT_TEMPLATE:
        return  # a summary that cannot be delivered is listed by `ticebot outbox list`, not re-reported
    spaces, _ = await describe(session, row)
    for space_id in spaces:
        pending = await session.scalar(
            select(func.count()).select_from(ScheduledStep)
            .where(ScheduledStep.space_id == space_id, ScheduledStep.kind == REPORT_STEP,
                   ScheduledStep.state == "pending"))
        if pending:
            continue
        last = await session.get(KeyValue, _reported_key(space_id))
        due = now + REPORT_DELAY
        if last is not None:
            due = max(due, datetime.fromisoformat(last.value) + REPORT_EVERY)
        session.add(ScheduledStep(space_id=space_id, kind=REPORT_STEP, due_at=due))


async def failed_deliveries(session: AsyncSession, space_id: str, since: datetime | None = None,
                            limit: int = SHOWN) -> tuple[list[FailedDelivery], int]:
    """Rows of this space given up on (since `since`), newest first: up to `limit` of them, and how many."""
    query = select(Outbox).where(Outbox.status == "failed", Outbox.template != REPORT_TEMPLATE)
    if since is not None:
        query = query.where(Outbox.failed_at > since)
    shown: list[FailedDelivery] = []
    total = 0
    for row in (await session.execute(query.order_by(Outbox.id.desc()))).scalars():
        spaces, item = await describe(session, row)
        if space_id in spaces:
            total += 1
            if len(shown) < limit:
                shown.append(item)
    return shown, total


@on_step(REPORT_STEP)
async def report_failures(run: StepRun) -> None:
    from bot.outbound import Outbound

    space = await run.session.get(Space, run.step.space_id)
    if space is None:
        return
    key = _reported_key(space.id)
    last = await run.session.get(KeyValue, key)
    since = datetime.fromisoformat(last.value) if last is not None else None
    failures, total = await failed_deliveries(run.session, space.id, since)
    if not total:
        return  # retried meanwhile (`ticebot outbox retry`)
    coordinators = await members_with_role(run.session, space.id, "coordinator")
    if not coordinators:
        log.warning("delivery: %d failed deliveries in space %s and no coordinator to tell", total, space.id)
    out = Outbound(run.session, run.now, space.language)
    for coordinator in coordinators:
        out.direct(coordinator, REPORT_TEMPLATE, space=space.id, failures=failures, total=total, since=since)
    if last is None:
        run.session.add(KeyValue(key=key, value=run.now.isoformat()))
    else:
        last.value = run.now.isoformat()
