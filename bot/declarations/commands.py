"""Declaration commands: /declare, /valider, /refuser, /precisions, /a-valider, /confidentialite."""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import select

from bot.commands.parser import ParsedCommand
from bot.commands.registry import command
from bot.context import Context, NotACommand, UserError
from bot.db.models import Declaration, Member, Post, Space
from bot.declarations.levels import recognised_level
from bot.declarations.parsing import can_exist, parse_declare, split_code, split_target
from bot.declarations.reminders import cancel_reminders, schedule_reminder, validators_for
from bot.declarations.review import Conflict, check_reviewer, decide, validator_roles
from bot.declarations.store import PENDING, declarations_in_thread, in_thread, last_review, latest_by_code, queue
from bot.declarations.store import thread_of as decl_thread
from bot.links import thread_link
from bot.members import user_ref
from bot.referential import Referential

log = logging.getLogger(__name__)

USAGE = "/declare <code> [<code>…] <trace>"
_LINK = re.compile(r"https?://\S+")


def require_space(ctx: Context) -> Space:
    if ctx.space is None:
        raise UserError("errors/no_space")
    return ctx.space


def _item(decl: Declaration) -> dict[str, Any]:
    return {"id": decl.id, "code": decl.code, "label": decl.label, "level": decl.level}


async def _trace_post(ctx: Context) -> Post | None:
    """The post a declaration is made on: the thread's root when the command is a reply in a thread."""
    if ctx.post is None:
        return None
    if ctx.is_direct or ctx.thread is None or ctx.thread.id == ctx.post.platform_post_id:
        return ctx.post
    root = (
        await ctx.session.execute(
            select(Post).where(Post.platform == ctx.thread.channel.platform,
                               Post.platform_channel_id == ctx.thread.channel.id,
                               Post.platform_post_id == ctx.thread.id)
        )
    ).scalar_one_or_none()
    return root or ctx.post


STAFF_ONLY = ("trainer", "coordinator")
DECLARING = ("member", "tutor", "resource")


def _links(text: str) -> list[str]:
    return [m.rstrip(".,;:!?)»") for m in _LINK.findall(text)]


def _excerpt(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@command("declare", "declarer", "déclarer", "declaration", usage=USAGE, inline="code")
async def declare(ctx: Context, cmd: ParsedCommand) -> None:
    space = require_space(ctx)
    if cmd.embedded and ctx.has_role(*STAFF_ONLY) and not ctx.has_role(*DECLARING):
        raise NotACommand  # a formateur mentioning /declare is explaining it, not declaring
    ref = ctx.core.referential_for(space)
    example = ref.competences()[0].code
    if not cmd.args.strip():
        raise UserError("declarations/usage", example=example, referential=ref.title)
    parsed = parse_declare(cmd.args, ref, ctx.core.referentials)
    if not parsed.codes:
        raise UserError("declarations/usage", example=example, referential=ref.title)
    await record_declarations(ctx, ref, parsed.codes, parsed.trace, cmd)


async def record_declarations(
    ctx: Context, ref: Referential, codes: list[str], trace: str, cmd: ParsedCommand, level: int | None = None
) -> None:
    """Create the declarations (one per code), acknowledge what was understood, tell the validators.

    A command inside a message makes the message itself the trace: its words before and after
    the command are the trace text, and the post is kept as the trace post.
    """
    space = require_space(ctx)
    if cmd.embedded:
        trace = " ".join(part for part in (cmd.before, trace) if part).strip()
        post: Post | None = ctx.post
    else:
        post = await _trace_post(ctx)
    on_other_post = post is not None and post is not ctx.post
    if not trace and not on_other_post:
        raise UserError("declarations/no_trace", codes=codes)
    private = ctx.is_direct
    if private or ctx.thread is None:
        root = ctx.post.platform_post_id if ctx.post is not None else ""
    else:
        root = ctx.thread.id
    existing = await latest_by_code(ctx.session, space.id, ctx.member.id)
    created: list[Declaration] = []
    skipped: list[dict[str, Any]] = []
    for code in codes:
        previous = existing.get(code)
        if previous is not None and not _may_declare_again(previous, level):
            skipped.append({**_item(previous), "state": previous.state})
            continue
        competence = ref.get(code)
        decl = Declaration(
            space_id=space.id, member_id=ctx.member.id, referential_id=ref.id, referential_version=ref.version,
            code=code, label=competence.label if competence else code, trace_text=trace or None,
            trace_post_id=post.id if post is not None else None, platform=ctx.channel.platform,
            platform_channel_id=ctx.channel.id, thread_root_id=root, is_private=private, state="declared",
            level=level, created_at=ctx.now, updated_at=ctx.now,
        )
        ctx.session.add(decl)
        created.append(decl)
    if not created:
        raise UserError("declarations/nothing_new", skipped=skipped)
    await ctx.session.flush()
    if ctx.post is not None and not private and trace:
        await _tag(ctx, ctx.post)
    cfg = ctx.space_config
    for decl in created:
        schedule_reminder(ctx.session, cfg, decl, ctx.now)
    understood = {"trace": _excerpt(trace), "links": _links(trace), "on_post": on_other_post,
                  "post_at": post.created_at if on_other_post and post is not None else None,
                  "embedded": cmd.embedded}
    values = dict(who=ctx.user, items=[_item(d) for d in created], skipped=skipped, private=private,
                  immediate=cfg.review.notify == "immediate", understood=understood)
    one = created[0].id if len(created) == 1 else None
    if private or ctx.thread is None:
        ctx.out.direct(ctx.member, "declarations/declared", **values)
    else:
        ctx.out.reply(ctx.thread, "declarations/declared", declaration_id=one, **values)
    if cfg.review.notify != "immediate":
        return  # left for the formateurs' digest
    link = "" if private or not root else thread_link(decl_thread(created[0]), cfg)
    for validator in await validators_for(ctx.session, cfg, created[0]):
        for decl in created:
            ctx.out.direct(validator, "declarations/notify_validator", declaration_id=decl.id, who=ctx.user,
                           trace=_excerpt(decl.trace_text or "", 500), on_post=on_other_post, link=link,
                           private=private, **_item(decl))


def _may_declare_again(previous: Declaration, level: int | None) -> bool:
    """A refused competence may be declared again, and a validated one at a higher level."""
    if previous.state in PENDING:
        return False
    if previous.state == "validated":
        done = previous.validated_level or previous.level
        return level is not None and done is not None and level > done
    return True


async def _tag(ctx: Context, post: Post) -> None:
    """A declaration's post is a contribution too: tag it, as the tagging observer would have."""
    from bot.tagging.service import tag_post

    try:
        async with ctx.session.begin_nested():
            await tag_post(ctx, post, post.text or "")
    except Exception:  # tagging is an extra: never lose the declaration because of it
        log.exception("tagging failed for declaration post %s", post.id)


async def _targets(ctx: Context, args: str, command_name: str) -> tuple[list[Declaration], str]:
    """`#id` anywhere; in a declaration's thread, its pending declaration(s), a leading code picks one."""
    decl_id, text = split_target(args)
    if decl_id is not None:
        decl = await ctx.session.get(Declaration, decl_id) if can_exist(decl_id) else None
        if decl is None:
            raise UserError("declarations/not_found", id=decl_id)
        return [decl], text
    found = await declarations_in_thread(ctx.session, ctx.thread) if ctx.thread and not ctx.is_direct else []
    if not found:
        raise UserError("declarations/need_id", command=command_name)
    code, rest = split_code(text, ctx.core.referential_for(require_space(ctx)))
    if code is not None and any(d.code == code for d in found):
        found, text = [d for d in found if d.code == code], rest
    pending = [d for d in found if d.state in PENDING]
    if not pending:
        latest = found[-1]
        raise UserError("declarations/already", id=latest.id, code=latest.code, state=latest.state)
    return pending, text


async def _review(ctx: Context, cmd: ParsedCommand, to_state: str, text_required: str | None) -> None:
    space = require_space(ctx)
    if not ctx.has_role(*validator_roles(space.settings)):
        if cmd.embedded:
            raise NotACommand  # « il faudrait /valider ça » by a member is talk, not a review
        raise UserError("declarations/refuse_role", roles=list(validator_roles(space.settings)))
    try:
        targets, text = await _targets(ctx, cmd.args, cmd.name)
    except UserError as unclear:
        if cmd.embedded and unclear.template == "declarations/need_id":
            raise NotACommand from None  # no declaration here: the words were about something else
        raise
    for decl in targets:
        owner = await ctx.session.get(Space, decl.space_id)
        await check_reviewer(ctx.session, decl, ctx.member.id, validator_roles(owner.settings if owner else {}))
    levels: dict[int, int | None] = {}
    if to_state == "validated":  # every level is checked before anything changes
        rest = text
        for decl in targets:
            ref = ctx.core.referentials.get(decl.referential_id) or ctx.core.referential_for(space)
            levels[decl.id], rest = recognised_level(ref, decl, text)
        text = rest
    if cmd.embedded and not text:
        text = cmd.before  # « Merci, c'est clair. /valider B2-3 »: the words before are the comment
    if text_required and not text:
        raise UserError(text_required, id=targets[0].id, code=targets[0].code)
    for decl in targets:
        try:
            review = await decide(ctx.session, decl, to_state, ctx.member.id, ctx.now, text or None)
        except Conflict as lost:
            decl = await ctx.session.get(Declaration, lost.declaration_id, populate_existing=True)
            assert decl is not None
            winner = await last_review(ctx.session, decl.id)
            who = await ctx.session.get(Member, winner.actor_id) if winner and winner.actor_id else None
            raise UserError("declarations/conflict", id=decl.id, code=decl.code, state=decl.state,
                            by=user_ref(who) if who else None) from None
        if levels.get(decl.id) is not None:
            decl.validated_level = levels[decl.id]
            await ctx.session.flush()
        await cancel_reminders(ctx.session, decl.id)
        author = await ctx.session.get(Member, decl.member_id)
        assert author is not None
        # A decision about a person (validated, refused) is shown in a public thread only if they chose
        # to make their declarations public (/confidentialite public); a request for precisions stays in
        # the thread, where the member answers it.
        decision_in_private = to_state != "needs_info" and not author.declarations_public
        told_privately = decl.is_private or not decl.thread_root_id or decision_in_private
        values = dict(who=user_ref(author), validator=ctx.user, comment=review.comment or "",
                      private=told_privately, validated_level=decl.validated_level, **_item(decl))
        template = f"declarations/{to_state}"
        if told_privately:
            ctx.out.direct(author, template, **values)
        else:
            ctx.out.reply(decl_thread(decl), template, **values)
        # The validator sees the answer in the thread, or is told privately where it went.
        if ctx.is_direct or not in_thread(decl, ctx.thread) or told_privately:
            ctx.private("declarations/review_done", state=to_state, **values)


@command("valider", "validate", usage="/valider [code|#id] [niveau N] [commentaire]", inline="anywhere")
async def valider(ctx: Context, cmd: ParsedCommand) -> None:
    await _review(ctx, cmd, "validated", None)


@command("refuser", "refuse", "reject", usage="/refuser [#id] <motif>", inline="anywhere")
async def refuser(ctx: Context, cmd: ParsedCommand) -> None:
    await _review(ctx, cmd, "not_validated", "declarations/motif_required")


@command("precisions", "précisions", "precision", "précision", usage="/precisions [#id] <question>",
         inline="anywhere")
async def precisions(ctx: Context, cmd: ParsedCommand) -> None:
    await _review(ctx, cmd, "needs_info", "declarations/question_required")


@command("a-valider", "avalider", "a_valider", "à-valider", "to-review", usage="/a-valider")
async def a_valider(ctx: Context, cmd: ParsedCommand) -> None:
    space = require_space(ctx)
    validators = validator_roles(space.settings)
    if not ctx.has_role(*validators):
        raise UserError("declarations/refuse_role", roles=list(validators))
    cfg = ctx.space_config
    rows = []
    # Listing is a read: nothing moves to "in review" and no audit row names whoever looked.
    for decl in await queue(ctx.session, space.id, exclude_member=ctx.member.id):
        author = await ctx.session.get(Member, decl.member_id)
        rows.append({**_item(decl), "state": decl.state, "since": decl.created_at, "waited": ctx.now - decl.created_at,
                     "member": user_ref(author) if author else ctx.user, "private": decl.is_private,
                     "link": "" if decl.is_private or not decl.thread_root_id else thread_link(decl_thread(decl), cfg)})
    ctx.private("declarations/queue", rows=rows, space=space.id)


@command("confidentialite", "confidentialité", "privacy", usage="/confidentialite prive|public")
async def confidentialite(ctx: Context, cmd: ParsedCommand) -> None:
    choice = cmd.argv[0].casefold() if cmd.argv else ""
    if choice in ("prive", "privé", "private", "privee", "privée"):
        ctx.member.declarations_public = False
    elif choice == "public":
        ctx.member.declarations_public = True
    else:
        raise UserError("declarations/privacy_usage", public=ctx.member.declarations_public)
    ctx.private("declarations/privacy_set", public=ctx.member.declarations_public)
