"""Whose memory a space may search: its own, and that of spaces that share theirs with it.

A space shares its resolved questions and FAQ entries with the spaces listed in its `faq_share`, unless
it is `private`. The source space decides (it owns its members' words); the receiving space has nothing
to configure. DMs are never indexed (only questions asked in a space's thread are).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Space

if TYPE_CHECKING:
    from bot.core import Core


async def searchable_spaces(session: AsyncSession, core: Core, space: Space) -> tuple[str, ...]:
    """The space itself first, then every other non-private space whose `faq_share` names it."""
    out = [space.id]
    # Spaces are the configuration's rows: read from the core's memory, not once per question (issue 17).
    for other in await core.config_rows.all_spaces(session):
        if other.id == space.id:
            continue
        cfg = core.space_config(other)
        if not cfg.private and space.id in cfg.faq_share:
            out.append(other.id)
    return tuple(out)
