"""Every message the bot writes is a Jinja2 template in prompts/<lang>/<name>.md.j2 (wording is data)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from jinja2.ext import Extension

from bot.limits import excerpt
from bot.refs import UserRef
from bot.resources import PROMPTS_DIR
from bot.timezones import writing_zone

LANGUAGES = ("fr", "en")
# How a person types a command on each platform. Element intercepts unknown "/…" commands, so Matrix
# bots are addressed with "!"; Discord has real slash commands; the console reads "/".
COMMAND_PREFIX = {"matrix": "!"}

_MONTHS_FR = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]  # fmt: skip
_MONTHS_EN = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


@dataclass
class Rendered:
    text: str
    template: str
    mentions: tuple[UserRef, ...] = field(default_factory=tuple)


def _format_dt(lang: str, value: datetime) -> str:
    local = value.astimezone(writing_zone())
    if lang == "en":
        return f"{_MONTHS_EN[local.month - 1]} {local.day}, {local:%H:%M}"
    return f"{local.day} {_MONTHS_FR[local.month - 1]} à {local:%H:%M}"


def _format_month(lang: str, value: datetime) -> str:
    local = value.astimezone(writing_zone())
    months = _MONTHS_EN if lang == "en" else _MONTHS_FR
    return f"{months[local.month - 1]} {local.year}"


def _format_delta(lang: str, value: timedelta) -> str:
    seconds = int(abs(value.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if lang == "en":
        units = (("day", "days", days), ("hour", "hours", hours), ("minute", "minutes", minutes))
    else:
        units = (("jour", "jours", days), ("heure", "heures", hours), ("minute", "minutes", minutes))
    parts = [f"{n} {one if n == 1 else many}" for one, many, n in units if n]
    if not parts:
        return "moins d'une minute" if lang != "en" else "less than a minute"
    return " ".join(parts[:2])


_VOWELS = set("aeiouyàâäéèêëîïôöùûüÿœæ")


def de(name: str) -> str:
    """French "de" before a name, elided before a vowel: "d'Alice", "d'Émilie", "de Bruno".
    An h is left alone: muet or aspiré cannot be told from the spelling ("d'Hélène", "de Hugues")."""
    return f"d'{name}" if name[:1].casefold() in _VOWELS else f"de {name}"


def command_prefix(platform: str | None) -> str:
    return COMMAND_PREFIX.get(platform or "", "/")


@lru_cache(maxsize=1)
def _command_names() -> frozenset[str]:
    """Every command name and alias the bot knows (all capabilities): those get the platform's prefix."""
    from bot.wiring import build_registry  # late: the services import this module

    commands = build_registry().commands
    return frozenset(name for spec in commands.values() for name in (spec.name, *spec.aliases))


def _command_pattern(names: frozenset[str], *, at_start: bool = False) -> re.Pattern[str]:
    """"/name" of a known command: not inside a word, a path or a URL ("https://x.org/sos" stays)."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) or "(?!)"
    lead = "^" if at_start else r"(?<![\w/:.<])"
    return re.compile(lead + rf"/(?=(?:{alternatives})(?![\w-]))")


class _CommandPrefix(Extension):
    """Writes the platform's prefix in front of the command names a template's *text* shows, so no
    template changes per platform: `/resolu` in a template is `!resolu` for Matrix users. Values a
    template prints (a person's message quoting "/sos") are left alone, except usage strings the
    command registry provides (`{{ c }}` in the help list), rewritten by `finalize`."""

    prefix = "/"
    pattern: re.Pattern[str] = re.compile("(?!)")

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if self.prefix == "/":
            return source
        source = self.pattern.sub(self.prefix, source)
        return source.replace("`/{{", f"`{self.prefix}{{{{")  # `/{{ command }} #12`: a command being named


@lru_cache(maxsize=16)
def _environment(lang: str, prefix: str = "/", names: frozenset[str] = frozenset()) -> Environment:
    pattern = _command_pattern(names)

    class Prefix(_CommandPrefix):
        pass

    Prefix.prefix, Prefix.pattern = prefix, pattern
    usage = _command_pattern(names, at_start=True)

    def finalize(value: Any) -> Any:
        if prefix != "/" and isinstance(value, str) and value.startswith("/"):
            return usage.sub(prefix, value, count=1)
        return value

    env = Environment(
        loader=FileSystemLoader(str(PROMPTS_DIR / lang)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,  # Markdown for chat, not HTML; adapters escape for their format.
        extensions=[Prefix],
        finalize=finalize,
    )
    env.filters["dt"] = lambda v: _format_dt(lang, v)
    env.filters["month"] = lambda v: _format_month(lang, v)
    env.filters["delta"] = lambda v: _format_delta(lang, v)
    env.filters["de"] = de
    # Every quote of what someone wrote goes through this filter (see bot/limits.py).
    env.filters["excerpt"] = lambda v, size="quote", link="": excerpt(v, size, link, lang)
    return env


def render(lang: str, name: str, *, platform: str | None = None, **context: Any) -> Rendered:
    """Render prompts/<lang>/<name>.md.j2; `mention(user)` in a template names a person properly.

    `platform` is where the message will be read: commands are shown with that platform's prefix.
    """
    lang = lang if lang in LANGUAGES else "fr"
    prefix = command_prefix(platform)
    mentions: list[UserRef] = []

    def mention(user: UserRef) -> str:
        if user not in mentions:
            mentions.append(user)
        return f"@{user.name}"

    environment = _environment(lang, prefix, _command_names() if prefix != "/" else frozenset())
    template = environment.get_template(f"{name}.md.j2")
    text = template.render(mention=mention, lang=lang, prefix=prefix, **context).strip()
    return Rendered(text=text, template=name, mentions=tuple(mentions))


def template_names(lang: str) -> list[str]:
    root = PROMPTS_DIR / lang
    return sorted(str(p.relative_to(root))[: -len(".md.j2")] for p in root.rglob("*.md.j2"))
