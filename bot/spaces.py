"""Making the database agree with the configuration: spaces, their channels, configured roles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import SpaceConfig
from bot.db.database import Database
from bot.db.models import Channel, Role, Space
from bot.members import ensure_role, get_or_create_member, platform_of_user_id
from bot.refs import UserRef

CHANNEL_KINDS = {"sos": "sos", "general": "general", "announcements": "announcements",
                 "trainers": "trainers", "formateurs": "trainers"}  # fmt: skip


async def upsert_channel(
    session: AsyncSession, space_id: str, platform: str, channel_id: str, kind: str, name: str
) -> None:
    row = (
        await session.execute(
            select(Channel).where(Channel.platform == platform, Channel.platform_channel_id == channel_id)
        )
    ).scalar_one_or_none()
    if row is None:
        session.add(Channel(space_id=space_id, platform=platform, platform_channel_id=channel_id,
                            kind=kind, name=name))
    else:
        row.space_id, row.kind, row.name = space_id, kind, name or row.name


async def _sync_one(session: AsyncSession, cfg: SpaceConfig, now: datetime) -> None:
    space = await session.get(Space, cfg.id)
    data = cfg.model_dump(mode="json")
    if space is None:
        session.add(Space(id=cfg.id, referential_id=cfg.referential, language=cfg.language, settings=data))
    else:
        space.referential_id, space.language, space.settings = cfg.referential, cfg.language, data
    await session.flush()
    for platform, mapping in (("matrix", cfg.matrix), ("discord", cfg.discord)):
        for kind, channel_id in mapping.items():
            if kind in CHANNEL_KINDS and isinstance(channel_id, str | int):
                await upsert_channel(session, cfg.id, platform, str(channel_id), CHANNEL_KINDS[kind], kind)
    # Config roles are rebuilt from the file each start; roles seen on the platform are kept apart.
    await session.execute(delete(Role).where(Role.space_id == cfg.id, Role.source == "config"))
    await session.flush()
    groups = {raw: name for name, spec in cfg.groups.items()
              for raw in spec.get("trainers", []) + spec.get("members", [])}
    for role, people in cfg.roles.items():
        for raw in people:
            member = await get_or_create_member(session, UserRef(*platform_of_user_id(raw)), now)
            await ensure_role(session, cfg.id, member.id, role, groups.get(raw, ""))
    for raw, group in groups.items():
        member = await get_or_create_member(session, UserRef(*platform_of_user_id(raw)), now)
        await ensure_role(session, cfg.id, member.id, "member", group)


async def sync_spaces(db: Database, now: datetime, spaces: list[SpaceConfig]) -> None:
    async with db.transaction() as session:
        for cfg in spaces:
            await _sync_one(session, cfg, now)
