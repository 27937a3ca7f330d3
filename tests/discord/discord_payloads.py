"""Raw Discord payloads (gateway events and REST answers) as the API documents them.

Tests feed these to discord.py's own parsers, so the objects our adapter sees are the real models.
Two documented shapes matter to the adapter (Discord docs, Resources → Message; Events → Gateway Events):
- in a DM there is no `guild_id` and no `member` (`message(..., guild_id=None)`, `reaction_add(...,
  guild_id=None)`, interactions with `user` instead of `member`);
- the `member` of a MESSAGE_CREATE (and of an interaction's resolved data) is a partial member object,
  without its `user` (the author is in `author`).
Shapes Discord does not document but an independent server sent (`guild_id: null`, role objects in
`roles`, members without `user`) are built in the tests that check the adapter survives them.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

Payload = dict[str, Any]

APP_ID = 900000000000000001
BOT_ID = 900000000000000001  # a bot user's id is its application's id
GUILD_ID = 123
SOS_FORUM = 456
GENERAL = 789
TRAINERS = 1011
TRAINER_ROLE = 2001
TUTOR_ROLE = 2002
TAG_OPEN, TAG_ESCALATED, TAG_RESOLVED, TAG_OTHER = 3001, 3002, 3003, 3004

ALICE = 500000000000000001  # a member (stagiaire)
BRUNO = 500000000000000002  # another member
FABIENNE = 500000000000000003  # a formateur
CLAIRE = 500000000000000004  # a coordinator (no Discord role mapped)

_ids = itertools.count(1_000_000_000_000_000_000)
NOW = "2026-09-07T07:00:00.000000+00:00"


def snowflake() -> int:
    return next(_ids)


def user(user_id: int, name: str, *, bot: bool = False) -> Payload:
    return {
        "id": str(user_id),
        "username": name.lower(),
        "global_name": name,
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
    }


def member(user_id: int, name: str, roles: list[int] | None = None) -> Payload:
    return {
        "user": user(user_id, name),
        "roles": [str(r) for r in roles or []],
        "joined_at": NOW,
        "deaf": False,
        "mute": False,
        "flags": 0,
    }


def role(role_id: int, name: str, position: int = 1) -> Payload:
    return {
        "id": str(role_id),
        "name": name,
        "color": 0,
        "hoist": False,
        "position": position,
        "permissions": "0",
        "managed": False,
        "mentionable": True,
        "flags": 0,
    }


def text_channel(channel_id: int, name: str, guild_id: int = GUILD_ID) -> Payload:
    return {
        "id": str(channel_id),
        "type": 0,
        "guild_id": str(guild_id),
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
    }


def forum_channel(channel_id: int, name: str, tags: list[tuple[int, str]], guild_id: int = GUILD_ID) -> Payload:
    return {
        "id": str(channel_id),
        "type": 15,
        "guild_id": str(guild_id),
        "name": name,
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "flags": 0,
        "available_tags": [
            {"id": str(i), "name": n, "moderated": False, "emoji_id": None, "emoji_name": None} for i, n in tags
        ],
        "default_reaction_emoji": None,
        "default_sort_order": None,
        "default_forum_layout": 0,
    }


def thread(
    thread_id: int,
    parent_id: int,
    name: str,
    *,
    owner_id: int = ALICE,
    archived: bool = False,
    applied_tags: list[int] | None = None,
    guild_id: int = GUILD_ID,
) -> Payload:
    return {
        "id": str(thread_id),
        "type": 11,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "flags": 0,
        "applied_tags": [str(t) for t in applied_tags or []],
        "thread_metadata": {
            "archived": archived,
            "auto_archive_duration": 4320,
            "archive_timestamp": NOW,
            "locked": False,
        },
    }


def guild(
    *,
    guild_id: int = GUILD_ID,
    members: list[Payload] | None = None,
    threads: list[Payload] | None = None,
    channels: list[Payload] | None = None,
) -> Payload:
    """A GUILD_CREATE: the SOS forum (with the three state tags), general, formateurs, two roles."""
    members = (
        members
        if members is not None
        else [
            member(BOT_ID, "ticebot"),
            member(ALICE, "Alice"),
            member(BRUNO, "Bruno"),
            member(FABIENNE, "Fabienne", [TRAINER_ROLE]),
            member(CLAIRE, "Claire"),
        ]
    )
    members[0]["user"]["bot"] = True
    return {
        "id": str(guild_id),
        "name": "GFP Lettres",
        "icon": None,
        "owner_id": str(CLAIRE),
        "afk_channel_id": None,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "features": [],
        "mfa_level": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "premium_tier": 0,
        "preferred_locale": "fr",
        "nsfw_level": 0,
        "unavailable": False,
        "large": False,
        "member_count": len(members),  # == len(members): discord.py sees the guild as fully chunked
        "emojis": [],
        "stickers": [],
        "roles": [role(guild_id, "@everyone", 0), role(TRAINER_ROLE, "Formateurs", 2), role(TUTOR_ROLE, "Tuteurs", 1)],
        "members": members,
        "channels": channels
        if channels is not None
        else [
            forum_channel(
                SOS_FORUM,
                "sos-tice",
                [
                    (TAG_OPEN, "En attente"),
                    (TAG_ESCALATED, "Escaladé"),
                    (TAG_RESOLVED, "Résolu"),
                    (TAG_OTHER, "Pronote"),
                ],
            ),
            text_channel(GENERAL, "general"),
            text_channel(TRAINERS, "formateurs"),
        ],
        "threads": threads or [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def message(
    message_id: int,
    channel_id: int,
    author_id: int,
    author_name: str,
    content: str,
    *,
    guild_id: int | None = GUILD_ID,
    roles: list[int] | None = None,
    reference: tuple[int, int] | None = None,
    attachments: list[Payload] | None = None,
    edited: str | None = None,
    components: list[Payload] | None = None,
    bot: bool = False,
    message_type: int = 0,
) -> Payload:
    data: Payload = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": user(author_id, author_name, bot=bot),
        "content": content,
        "timestamp": NOW,
        "edited_timestamp": edited,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": attachments or [],
        "embeds": [],
        "pinned": False,
        "type": 19 if reference and message_type == 0 else message_type,
        "components": components or [],
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
        data["member"] = {k: v for k, v in member(author_id, author_name, roles).items() if k != "user"}
    if reference is not None:
        data["message_reference"] = {
            "channel_id": str(reference[0]),
            "message_id": str(reference[1]),
            **({"guild_id": str(guild_id)} if guild_id else {}),
        }
    return data


def attachment(name: str, mime: str = "image/png") -> Payload:
    att_id = snowflake()
    return {
        "id": str(att_id),
        "filename": name,
        "size": 10,
        "content_type": mime,
        "url": f"https://cdn.discordapp.com/attachments/1/{att_id}/{name}",
        "proxy_url": f"https://media.discordapp.net/attachments/1/{att_id}/{name}",
    }


def reaction_add(
    message_id: int, channel_id: int, user_id: int, name: str, emoji: str, *, guild_id: int | None = GUILD_ID
) -> Payload:
    data: Payload = {
        "user_id": str(user_id),
        "channel_id": str(channel_id),
        "message_id": str(message_id),
        "emoji": {"id": None, "name": emoji},
        "burst": False,
        "type": 0,
    }
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
        data["member"] = member(user_id, name)
    return data


def message_delete(message_id: int, channel_id: int, guild_id: int | None = GUILD_ID) -> Payload:
    data: Payload = {"id": str(message_id), "channel_id": str(channel_id)}
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return data


def member_update(user_id: int, name: str, roles: list[int], guild_id: int = GUILD_ID) -> Payload:
    return {"guild_id": str(guild_id), **member(user_id, name, roles)}


def dm_channel(channel_id: int, user_id: int, name: str) -> Payload:
    return {"id": str(channel_id), "type": 1, "last_message_id": None, "recipients": [user(user_id, name)]}


# ------------------------------------------------------------------ interactions


def declaration_buttons(declaration_id: int) -> list[Payload]:
    """The component rows of a declaration message, as the adapter sends them."""
    buttons = [(3, "Valider", "validate"), (4, "Refuser", "refuse"), (2, "Demander des précisions", "precisions")]
    return [
        {
            "type": 1,
            "components": [
                {"type": 2, "style": style, "label": label, "custom_id": f"ticebot:decl:{declaration_id}:{action}"}
                for style, label, action in buttons
            ],
        }
    ]


def _interaction(
    kind: int,
    data: Payload,
    user_id: int,
    name: str,
    channel: Payload,
    *,
    guild_id: int | None = GUILD_ID,
    roles: list[int] | None = None,
    message: Payload | None = None,
) -> Payload:
    payload: Payload = {
        "id": str(snowflake()),
        "application_id": str(APP_ID),
        "type": kind,
        "data": data,
        "token": f"token-{snowflake()}",
        "version": 1,
        "channel": channel,
        "channel_id": channel["id"],
        "locale": "fr",
        "attachment_size_limit": 10_000_000,
        "app_permissions": "0",
        "entitlements": [],
        "authorizing_integration_owners": {},
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
        payload["guild_locale"] = "fr"
        payload["context"] = 0
        payload["member"] = {**member(user_id, name, roles), "permissions": "0"}
    else:
        payload["context"] = 1
        payload["user"] = user(user_id, name)
    if message is not None:
        payload["message"] = message
    return payload


def slash(
    name: str,
    options: list[Payload],
    user_id: int,
    user_name: str,
    channel: Payload,
    *,
    guild_id: int | None = GUILD_ID,
    roles: list[int] | None = None,
    resolved: Payload | None = None,
) -> Payload:
    """An APPLICATION_COMMAND interaction; options as {"name", "type", "value"}."""
    data: Payload = {"id": str(snowflake()), "name": name, "type": 1, "options": options}
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    if resolved:
        data["resolved"] = resolved
    return _interaction(2, data, user_id, user_name, channel, guild_id=guild_id, roles=roles)


def autocomplete(
    name: str,
    options: list[Payload],
    user_id: int,
    user_name: str,
    channel: Payload,
    *,
    guild_id: int | None = GUILD_ID,
) -> Payload:
    data: Payload = {"id": str(snowflake()), "name": name, "type": 1, "options": options}
    if guild_id is not None:
        data["guild_id"] = str(guild_id)
    return _interaction(4, data, user_id, user_name, channel, guild_id=guild_id)


def button_click(
    custom_id: str,
    user_id: int,
    user_name: str,
    channel: Payload,
    message: Payload,
    *,
    guild_id: int | None = GUILD_ID,
    roles: list[int] | None = None,
) -> Payload:
    data = {"custom_id": custom_id, "component_type": 2}
    return _interaction(3, data, user_id, user_name, channel, guild_id=guild_id, roles=roles, message=message)


def modal_submit(
    custom_id: str,
    text_id: str,
    value: str,
    user_id: int,
    user_name: str,
    channel: Payload,
    message: Payload | None = None,
    *,
    guild_id: int | None = GUILD_ID,
    roles: list[int] | None = None,
) -> Payload:
    data = {
        "custom_id": custom_id,
        "components": [{"type": 1, "components": [{"type": 4, "custom_id": text_id, "value": value}]}],
    }
    return _interaction(5, data, user_id, user_name, channel, guild_id=guild_id, roles=roles, message=message)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat()
