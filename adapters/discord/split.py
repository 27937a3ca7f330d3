"""Cut long Markdown into Discord-sized messages (2,000 characters each).

Cuts fall on the coarsest boundary that keeps a message reasonably full: paragraph, then line, then
word; only a single word longer than a message is cut inside. A cut inside a ``` code block closes
the block and reopens it (same language) in the next message, so both render as code.
"""

from __future__ import annotations

LIMIT = 2000
_FENCE = "```"
_SEPARATORS = ("\n\n", "\n", " ")


def _cut(text: str, limit: int) -> tuple[str, str]:
    """Split `text` (longer than `limit`) into a head of at most `limit` characters and the rest."""
    best = -1
    for sep in _SEPARATORS:
        pos = text.rfind(sep, 0, limit + 1)
        # A boundary that leaves the message less than half full is kept only as a fallback: a finer
        # boundary further on reads better than a run of tiny messages.
        if pos >= limit // 2:
            return text[:pos], text[pos + len(sep) :]
        best = max(best, pos)
    if best > 0:
        sep_len = 2 if text.startswith("\n\n", best) else 1
        return text[:best], text[best + sep_len :]
    return text[:limit], text[limit:]


def _open_fence(text: str) -> str | None:
    """The opening line of a code block left open at the end of `text`, if any."""
    opening: str | None = None
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith(_FENCE):
            opening = None if opening is not None else stripped
    return opening


def split_message(text: str, limit: int = LIMIT) -> list[str]:
    """Messages of at most `limit` characters whose concatenation reads as `text`."""
    if len(text) <= limit:
        return [text]
    # Room for the "\n```" that closes a block cut in two.
    room = limit - len(_FENCE) - 1 if _FENCE in text else limit
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        before = len(rest)
        head, tail = _cut(rest, room)
        head = head.rstrip()
        fence = _open_fence(head)
        if fence is not None:
            head += "\n" + _FENCE
            tail = fence + "\n" + tail
        tail = tail.lstrip("\n")
        if len(tail) >= before:
            # Reopening a block gave back more than the cut took (a tiny head under a long fence line):
            # cut raw instead, so the loop always moves forward.
            head, tail = rest[:limit], rest[limit:]
        if head:
            chunks.append(head)
        rest = tail
    if rest.strip():
        chunks.append(rest)
    return chunks
