"""Double of Discord's message size rules (Discord docs, Resources → Message → Create Message, and
Embed Limits):

- `content` at most 2,000 characters;
- at most 10 embeds; an embed's title 256, description 4,096, up to 25 fields (name 256, value 1,024),
  footer text 2,048, author name 256; all embeds of a message together at most 6,000 characters;
- a message needs content, an embed, a file, a sticker or components (else code 50006, Cannot send an
  empty message).

A breach answers 400 with code 50035 (Invalid Form Body) and the `errors` object naming the field, as
Discord does.
"""

from __future__ import annotations

from typing import Any

CONTENT_LIMIT = 2000
MAX_EMBEDS = 10
EMBED_TOTAL = 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
FIELD_LIMITS = {"name": 256, "value": 1024}
MAX_FIELDS = 25
FOOTER_LIMIT = 2048
AUTHOR_LIMIT = 256

Answer = tuple[int, dict[str, Any]]


def _too_long(field: str, limit: int) -> Answer:
    error = {"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}
    errors: dict[str, Any] = {"_errors": [error]}
    for part in reversed(field.split(".")):
        errors = {part: errors}
    return 400, {"code": 50035, "message": "Invalid Form Body", "errors": errors}


def _embed_size(embed: dict[str, Any]) -> int:
    size = sum(len(str(embed.get(key) or "")) for key in EMBED_LIMITS)
    size += len(str((embed.get("footer") or {}).get("text") or ""))
    size += len(str((embed.get("author") or {}).get("name") or ""))
    size += sum(len(str(f.get("name") or "")) + len(str(f.get("value") or "")) for f in embed.get("fields") or [])
    return size


def check_message(body: dict[str, Any] | None, files: list[str], where: str = "") -> Answer | None:
    """None when the message body is acceptable; `where` prefixes field names (e.g. "message." for a
    forum post's starter message, "data." for an interaction response)."""
    body = body or {}
    content = body.get("content") or ""
    if len(content) > CONTENT_LIMIT:
        return _too_long(f"{where}content", CONTENT_LIMIT)
    embeds = body.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        return _too_long(f"{where}embeds", MAX_EMBEDS)
    for index, embed in enumerate(embeds):
        for key, limit in EMBED_LIMITS.items():
            if len(str(embed.get(key) or "")) > limit:
                return _too_long(f"{where}embeds.{index}.{key}", limit)
        fields = embed.get("fields") or []
        if len(fields) > MAX_FIELDS:
            return _too_long(f"{where}embeds.{index}.fields", MAX_FIELDS)
        for number, field in enumerate(fields):
            for key, limit in FIELD_LIMITS.items():
                if len(str(field.get(key) or "")) > limit:
                    return _too_long(f"{where}embeds.{index}.fields.{number}.{key}", limit)
        if len(str((embed.get("footer") or {}).get("text") or "")) > FOOTER_LIMIT:
            return _too_long(f"{where}embeds.{index}.footer.text", FOOTER_LIMIT)
        if len(str((embed.get("author") or {}).get("name") or "")) > AUTHOR_LIMIT:
            return _too_long(f"{where}embeds.{index}.author.name", AUTHOR_LIMIT)
    if sum(_embed_size(e) for e in embeds) > EMBED_TOTAL:
        return _too_long(f"{where}embeds", EMBED_TOTAL)
    if not (content or embeds or files or body.get("sticker_ids") or body.get("components") or body.get("poll")):
        return 400, {"code": 50006, "message": "Cannot send an empty message"}
    return None
