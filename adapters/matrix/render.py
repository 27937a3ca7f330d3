"""Core Markdown → Matrix message content: plain `body`, HTML `formatted_body`, mention pills, m.mentions."""

from __future__ import annotations

import html
import re
from typing import Any

from markdown_it import MarkdownIt

from bot.refs import UserRef

# Chat text: a newline is a line break, raw HTML from templates or users is escaped, not trusted.
_MD = MarkdownIt("commonmark", {"breaks": True, "html": False}).enable(["strikethrough", "table"])

# Private-use characters survive Markdown rendering untouched, so a mention is replaced by a token
# before rendering and by the pill after: a display name with `_` or `*` cannot be mangled into emphasis.
_TOKEN = "\ue000{}\ue001"
_TOKEN_RE = re.compile("\ue000(\\d+)\ue001")


def _at_name(user: UserRef) -> str:
    """How the core writes a mention: `@Display`, or the bare Matrix id (already starting with @)."""
    return user.name if user.name.startswith("@") else "@" + user.name


def pill(user: UserRef) -> str:
    name = html.escape(user.display or user.id)
    return f'<a href="https://matrix.to/#/{html.escape(user.id)}">{name}</a>'


def _tokenise(text: str, mentions: tuple[UserRef, ...], append_missing: bool) -> tuple[str, list[UserRef]]:
    """Replace each `@Display` of a mentioned user by a token; longest names first ("@Ann" vs "@Anne")."""
    found: list[UserRef] = []
    for user in sorted(dict.fromkeys(mentions), key=lambda u: len(u.name), reverse=True):
        needle = re.escape(_at_name(user))
        if user.name.startswith("@"):
            needle = "@?" + needle  # a template may write "@" + "@alice:hs" for someone with no display name
        # Not followed by a name character: "@Ann" must not match inside "@Anne", "@a:hs" not in "@a:hs.org".
        pattern = re.compile(needle + r"(?![\w-]|\.\w)")
        token = _TOKEN.format(len(found))
        text, count = pattern.subn(lambda _m, token=token: token, text)
        if count:
            found.append(user)
        elif append_missing:
            text = f"{text} {token}"
            found.append(user)
    return text, found


def render(text: str, mentions: tuple[UserRef, ...] = (), *, append_missing: bool = False) -> dict[str, Any]:
    """Build the content of an m.room.message (msgtype m.text).

    `append_missing` adds a pill for every mentioned user the text does not name (role alerts must ping
    everyone listed even when the template only says "formateurs").
    """
    tokenised, found = _tokenise(text, mentions, append_missing)
    rendered = _MD.render(tokenised).strip()
    # A single paragraph needs no <p>: clients then show it exactly like a plain message.
    if rendered.count("<p>") == 1 and rendered.startswith("<p>") and rendered.endswith("</p>"):
        rendered = rendered[3:-4]
    formatted = _TOKEN_RE.sub(lambda m: pill(found[int(m.group(1))]), rendered)
    body = _TOKEN_RE.sub(lambda m: _at_name(found[int(m.group(1))]), tokenised)
    user_ids = list(dict.fromkeys(u.id for u in mentions))
    return {
        "msgtype": "m.text",
        "body": body,
        "format": "org.matrix.custom.html",
        "formatted_body": formatted,
        # Always present: an explicit (possibly empty) list turns off clients' guessing from the body.
        "m.mentions": {"user_ids": user_ids},
    }


def thread_relation(root_event_id: str) -> dict[str, Any]:
    """A reply in a thread, with the rich-reply fallback pointing at the root for thread-unaware clients."""
    return {
        "rel_type": "m.thread",
        "event_id": root_event_id,
        "is_falling_back": True,
        "m.in_reply_to": {"event_id": root_event_id},
    }


def reaction(event_id: str, emoji: str) -> dict[str, Any]:
    return {"m.relates_to": {"rel_type": "m.annotation", "event_id": event_id, "key": emoji}}


def notice(text: str) -> dict[str, Any]:
    """A bot notice (m.notice): clients and other bots know not to answer it."""
    content = render(text)
    content["msgtype"] = "m.notice"
    return content
