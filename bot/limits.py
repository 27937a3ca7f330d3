"""What the bot quotes of people's words: a bounded excerpt, whatever they wrote.

Everything people write is stored in full (posts, traces, comments). Messages the bot writes quote it
through the `excerpt` template filter: at most `[limits]` characters and lines, cut at a word, ending
with "…" and, where the template has one, a link to the original. One process serves one
configuration, so the limits in force are set once by the app (`use_limits`).
"""

from __future__ import annotations

from bot.config import LimitsConfig

_current = LimitsConfig()

def use_limits(limits: LimitsConfig) -> None:
    global _current
    _current = limits


def current_limits() -> LimitsConfig:
    return _current


def size_of(size: str | int) -> int:
    if isinstance(size, int):
        return size
    return {"quote": _current.quote_chars, "trace": _current.trace_chars, "echo": _current.echo_chars}[size]


def excerpt(value: object, size: str | int = "quote", link: str = "", lang: str = "fr") -> str:
    """`value` as it may be quoted: short texts unchanged; longer ones cut at a word, then "…"
    (and " (suite : <link>)" when there is a link to read the rest)."""
    text = "" if value is None else str(value).strip()
    chars = size_of(size)
    lines = text.splitlines()
    cut = len(text) > chars or len(lines) > _current.quote_lines
    if not cut:
        return text
    text = "\n".join(lines[: _current.quote_lines])[:chars]
    space = text.rfind(" ")
    if space > chars * 0.7:  # cut at a word when one ends near the limit; a long URL is cut where it is
        text = text[:space]
    text = text.rstrip(" \n,;:.-")
    if text.count("`") % 2:  # do not leave an inline code span open for the rest of the message
        text += "`"
    suffix = ""
    if link:
        suffix = f" (suite : {link})" if lang == "fr" else f" (more: {link})"
    return f"{text}…{suffix}"  # French and English both attach the ellipsis to the last word
