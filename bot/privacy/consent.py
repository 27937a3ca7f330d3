"""First contact (what the bot records and why, once, by DM) and the consent to be named publicly."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, UserError
from bot.db.models import KeyValue, Member
from bot.events import PostCreated
from bot.hooks import only_when


def welcomed_key(space_id: str, member_id: int) -> str:
    """KV row marking that a member got a space's own notice (member row id only: no personal data)."""
    return f"privacy.welcomed:{space_id}:{member_id}"


def notice_of(ctx: Context) -> str:
    if ctx.space is None:
        return ""
    return ctx.space_config.privacy_notice.strip()


async def welcome_once(ctx: Context) -> None:
    """Tell a member, once, by DM, what is recorded about them and why, with the space's privacy notice.

    Once per member (`Member.welcomed_at`); a space with its own `privacy_notice` (another controller)
    is presented once more the first time the member speaks there.
    """
    member = ctx.member
    notice = notice_of(ctx)
    key = welcomed_key(ctx.space.id, member.id) if ctx.space is not None else None
    if member.welcomed_at is not None:
        if key is None or not notice or await ctx.session.get(KeyValue, key) is not None:
            return
    member.welcomed_at = member.welcomed_at or ctx.now
    if key is not None:
        if await ctx.session.get(KeyValue, key) is None:
            ctx.session.add(KeyValue(key=key, value=ctx.now.isoformat()))
    retention = ctx.space_config.retention_days if ctx.space is not None else None
    space = ctx.space_config.display_name if ctx.space is not None else ""
    # Not ctx.private: the welcome is not the answer to the command, so it leaves no 📬 in the room.
    ctx.out.direct(ctx.member, "privacy/welcome", who=ctx.user, space=space, notice=notice,
                retention_days=retention)


@only_when(lambda ctx, _event: ctx.member.welcomed_at is None or bool(notice_of(ctx)))
async def first_contact(ctx: Context, event: PostCreated) -> None:
    await welcome_once(ctx)


def may_name(member: Member | None) -> bool:
    """May this person be named in a digest or a public recognition? Only after `/consentement public`."""
    return member is not None and member.erased_at is None and bool(member.consent_public)


async def set_consent(session: AsyncSession, member: Member, public: bool) -> None:
    member.consent_public = public
    await session.flush()


PUBLIC = ("public", "publique", "oui", "yes")
PRIVATE = ("prive", "privé", "privee", "privée", "private", "non", "no")


@command("consentement", "consent", usage="/consentement public|prive")
async def consentement(ctx: Context, cmd: ParsedCommand) -> None:
    choice = cmd.argv[0].casefold() if cmd.argv else ""
    if choice in PUBLIC:
        await set_consent(ctx.session, ctx.member, True)
    elif choice in PRIVATE:
        await set_consent(ctx.session, ctx.member, False)
    else:
        raise UserError("privacy/consent_usage", public=ctx.member.consent_public)
    ctx.private("privacy/consent_set", public=ctx.member.consent_public)
