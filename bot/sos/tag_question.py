"""A question opened by `/sos` is tagged like any other question.

`/sos` is a command, and observers (tagging among them) do not run on a command's post: so the
command tags its question's words itself, through the tagging capability when it is wired (an app
assembled without tagging tags nothing), before any level routes it by its tags.
"""

from __future__ import annotations

from bot.context import Context


async def tag_question(ctx: Context, text: str) -> None:
    from bot.tagging import service

    if service.tagging_on_post not in ctx.core.registry.post_observers or ctx.post is None:
        return
    await service.tag_words(ctx, ctx.post, text)
