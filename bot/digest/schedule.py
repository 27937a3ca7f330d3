"""When digests go out: one pending `digest.community` step per space, armed from the cron at start-up.

The step fires through the ordinary sweep, so a digest missed while the bot was down fires once at
start-up, for the period that was due; the next one is then armed after *now* (no flood of old weeks).
A `digests_sent` row, inserted in the same transaction as the outgoing messages, makes each period's
digest go out once even when two instances or a restart race on it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.models import DigestSent, ScheduledStep, Space
from bot.digest.chart import chart_path, render_chart
from bot.digest.community import community_digest
from bot.digest.periods import local_days, next_fire, week_ending
from bot.digest.personal import personal_digests, recipients
from bot.digest.trainer import trainer_digests
from bot.hooks import StepRun, on_step
from bot.outbound import Outbound
from bot.refs import ChannelRef
from bot.sos.store import channel_of_kind

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)

COMMUNITY, PERSONAL, TRAINER = "digest.community", "digest.personal", "digest.trainer"
LATE_AFTER = timedelta(minutes=5)


# ---- arming ------------------------------------------------------------------------------------


async def arm_space(session: AsyncSession, space: Space, cfg: SpaceConfig, now: datetime, lock: bool) -> None:
    """Leave exactly one pending community step for the configured cron (none when disabled)."""
    if lock:  # PostgreSQL: two instances starting together serialise here (SQLite: BEGIN IMMEDIATE)
        await session.execute(select(Space.id).where(Space.id == space.id).with_for_update())
    pending = list((await session.execute(
        select(ScheduledStep).where(ScheduledStep.space_id == space.id, ScheduledStep.kind == COMMUNITY,
                                    ScheduledStep.state == "pending").order_by(ScheduledStep.due_at)
    )).scalars())
    if cfg.digest.enabled and pending and pending[0].note == cfg.digest.cron:
        for extra in pending[1:]:
            extra.state = "cancelled"
        return  # kept as is, even when overdue: the sweep fires it once (the catch-up)
    for step in pending:
        step.state = "cancelled"
    if cfg.digest.enabled:
        session.add(ScheduledStep(space_id=space.id, kind=COMMUNITY, note=cfg.digest.cron,
                                  due_at=next_fire(cfg.digest.cron, now, cfg.timezone)))


async def arm_all(core: Core) -> None:
    now = core.clock.now()
    async with core.db.transaction() as session:
        spaces = list((await session.execute(select(Space).order_by(Space.id))).scalars())
        for space in spaces:
            try:
                cfg = core.space_config(space)
                next_fire(cfg.digest.cron, now, cfg.timezone)
            except ValueError as exc:
                log.error("digest of space %s not armed: bad cron: %s", space.id, exc)
                continue
            await arm_space(session, space, cfg, now, core.db.is_postgres)


async def _arm_next(run: StepRun, cfg: SpaceConfig) -> None:
    others = await run.session.scalar(
        select(ScheduledStep.id).where(ScheduledStep.space_id == cfg.id, ScheduledStep.kind == COMMUNITY,
                                       ScheduledStep.state == "pending", ScheduledStep.id != run.step.id).limit(1))
    if others is None and cfg.digest.enabled:
        after = max(run.now, run.step.due_at)
        run.session.add(ScheduledStep(space_id=cfg.id, kind=COMMUNITY, note=cfg.digest.cron,
                                      due_at=next_fire(cfg.digest.cron, after, cfg.timezone)))


# ---- sending -----------------------------------------------------------------------------------


async def claim(session: AsyncSession, space_id: str, kind: str, period_start: datetime, now: datetime,
                member_id: int = 0) -> bool:
    """Record that this digest is being sent; False when it already was (by us or another instance)."""
    existing = await session.scalar(select(DigestSent.id).where(
        DigestSent.space_id == space_id, DigestSent.kind == kind, DigestSent.period_start == period_start,
        DigestSent.member_id == member_id))
    if existing is not None:
        return False
    try:
        async with session.begin_nested():
            session.add(DigestSent(space_id=space_id, kind=kind, period_start=period_start, member_id=member_id,
                                   sent_at=now))
    except IntegrityError:
        return False
    return True


async def announcement_channels(session: AsyncSession, space_id: str) -> list[ChannelRef]:
    """The announcements channel of each platform the space lives on, else its general channel."""
    from bot.db.models import Channel

    platforms = sorted(set((await session.execute(
        select(Channel.platform).where(Channel.space_id == space_id))).scalars()))
    out = []
    for platform in platforms:
        channel = (await channel_of_kind(session, space_id, platform, "announcements")
                   or await channel_of_kind(session, space_id, platform, "general"))
        if channel is not None:
            out.append(channel)
    return out


async def post_community(core: Core, session: AsyncSession, space: Space, start: datetime, end: datetime,
                         now: datetime, *, late: datetime | None = None, weekly: bool = True) -> bool:
    """Post the community digest of [start, end) with its chart; False when the space has no channel."""
    cfg = core.space_config(space)
    channels = await announcement_channels(session, space.id)
    if not channels:
        log.warning("space %s has no announcements/general channel: community digest not posted", space.id)
        return False
    digest = await community_digest(session, core.referential_for(space), cfg, start, end, now)
    image = ""
    if digest.has_chart_data and not digest.quiet:
        path = chart_path(space.id, end if weekly else now, "" if weekly else "-now")
        try:
            image = str(await asyncio.to_thread(render_chart, digest, path, space.language, cfg.timezone))
        except Exception:  # a chart is a bonus: the text goes out without it
            log.exception("digest chart for %s failed", space.id)
    out = Outbound(session, now, space.language)
    for channel in channels:
        out.post(channel, "digest/community", image_path=image, late=late, weekly=weekly, **digest.values())
    return True


def _late(run: StepRun) -> datetime | None:
    return run.step.due_at if run.now - run.step.due_at > LATE_AFTER else None


@on_step(COMMUNITY)
async def community_step(run: StepRun) -> None:
    space = await run.session.get(Space, run.step.space_id)
    if space is None:
        return
    cfg = run.core.space_config(space)
    if not cfg.digest.enabled:
        return
    start, end = week_ending(run.step.due_at, cfg.timezone)
    if await claim(run.session, space.id, "community", start, run.now):
        await post_community(run.core, run.session, space, start, end, run.now, late=_late(run))
        # Personal and formateur digests go out at the same time, each in its own transaction.
        for kind in (PERSONAL, TRAINER):
            run.session.add(ScheduledStep(space_id=space.id, kind=kind, due_at=run.step.due_at,
                                          note=start.isoformat()))
    await _arm_next(run, cfg)


async def _period(run: StepRun) -> tuple[Space, SpaceConfig, datetime, datetime] | None:
    space = await run.session.get(Space, run.step.space_id)
    if space is None:
        return None
    cfg = run.core.space_config(space)
    start, end = week_ending(run.step.due_at, cfg.timezone)
    return space, cfg, start, end


async def _already_sent(session: AsyncSession, space_id: str, kind: str, start: datetime) -> set[int]:
    return set((await session.execute(select(DigestSent.member_id).where(
        DigestSent.space_id == space_id, DigestSent.kind == kind, DigestSent.period_start == start))).scalars())


@on_step(PERSONAL)
async def personal_step(run: StepRun) -> None:
    loaded = await _period(run)
    if loaded is None:
        return
    space, cfg, start, end = loaded
    members = await recipients(run.session, space.id)
    digests = await personal_digests(run.session, run.core.referential_for(space), space.id, end)
    sent = await _already_sent(run.session, space.id, "personal", start)
    out = Outbound(run.session, run.now, space.language)
    fresh = [m for m in members if m.id not in sent]
    run.session.add_all([DigestSent(space_id=space.id, kind="personal", period_start=start, member_id=m.id,
                                    sent_at=run.now) for m in fresh])
    await run.session.flush()  # a racing instance fails here (unique), rolling all of this back
    for member in fresh:
        digest = digests.get(member.id)
        if digest is not None:
            out.direct(member, "digest/personal", **local_days(start, end, cfg.timezone), **digest.values())


@on_step(TRAINER)
async def trainer_step(run: StepRun) -> None:
    loaded = await _period(run)
    if loaded is None:
        return
    space, cfg, start, end = loaded
    sent = await _already_sent(run.session, space.id, "trainer", start)
    out = Outbound(run.session, run.now, space.language)
    for member, digest in (await trainer_digests(run.session, cfg, start, end, run.now)).values():
        if member.id in sent:
            continue
        run.session.add(DigestSent(space_id=space.id, kind="trainer", period_start=start, member_id=member.id,
                                   sent_at=run.now))
        out.direct(member, "digest/trainer", space=space.id, **local_days(start, end, cfg.timezone),
                   **digest.values())
    await run.session.flush()

