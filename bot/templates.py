"""Every message the bot writes is a Jinja2 template in prompts/<lang>/<name>.md.j2 (wording is data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.limits import excerpt
from bot.refs import UserRef
from bot.resources import PROMPTS_DIR
from bot.timezones import writing_zone

LANGUAGES = ("fr", "en")

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


@lru_cache(maxsize=4)
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(PROMPTS_DIR / lang)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,  # Markdown for chat, not HTML; adapters escape for their format.
    )
    env.filters["dt"] = lambda v: _format_dt(lang, v)
    env.filters["month"] = lambda v: _format_month(lang, v)
    env.filters["delta"] = lambda v: _format_delta(lang, v)
    # Every quote of what someone wrote goes through this filter (see bot/limits.py).
    env.filters["excerpt"] = lambda v, size="quote", link="": excerpt(v, size, link, lang)
    return env


def render(lang: str, name: str, **context: Any) -> Rendered:
    """Render prompts/<lang>/<name>.md.j2; `mention(user)` in a template names a person properly."""
    lang = lang if lang in LANGUAGES else "fr"
    mentions: list[UserRef] = []

    def mention(user: UserRef) -> str:
        if user not in mentions:
            mentions.append(user)
        return f"@{user.name}"

    template = _environment(lang).get_template(f"{name}.md.j2")
    text = template.render(mention=mention, lang=lang, **context).strip()
    return Rendered(text=text, template=name, mentions=tuple(mentions))


def template_names(lang: str) -> list[str]:
    root = PROMPTS_DIR / lang
    return sorted(str(p.relative_to(root))[: -len(".md.j2")] for p in root.rglob("*.md.j2"))
